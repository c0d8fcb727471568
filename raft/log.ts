import { assert } from './assert.js';
import type { LogStorage } from './log-storage.js';
import { UnstableLog } from './log-unstable.js';
import { entrySizeBytes } from './types.js';
import type { Entry, Snapshot } from './types.js';

/**
 * The Raft log as the core sees it: the host's stable log plus what is not
 * yet persisted. Invariant: applied <= committed <= lastIndex().
 */
export class RaftLog {
  readonly unstable: UnstableLog;
  /** Highest index known committed (Raft Figure 2 commitIndex). */
  committed: number;
  /** Highest index the host has applied (Figure 2 lastApplied). */
  applied: number;

  constructor(
    readonly storage: LogStorage,
    applied: number,
  ) {
    this.unstable = new UnstableLog(storage.lastIndex() + 1);
    const hs = storage.hardState();
    const snapIndex = storage.snapshot().meta.index;
    this.committed = Math.max(hs.commit, snapIndex);
    assert(this.committed <= this.lastIndex(), () => `log: commit ${this.committed} beyond last index ${this.lastIndex()}`);
    // The host restarts from a snapshot: it cannot have applied less than what is compacted.
    assert(applied >= storage.firstIndex() - 1, () => `log: applied ${applied} below the log's first index ${storage.firstIndex()}`);
    assert(applied <= this.committed, () => `log: applied ${applied} beyond commit ${this.committed}`);
    this.applied = applied;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  /** Last index the host reported durable: everything before the unstable part. */
  persistedIndex(): number {
    return Math.min(this.unstable.offset - 1, this.storage.lastIndex());
  }

  lastTerm(): number {
    const t = this.term(this.lastIndex());
    assert(t !== undefined, 'log: no term for the last index');
    return t;
  }

  /** Term at i, or undefined when compacted or beyond the end. */
  term(i: number): number | undefined {
    if (i < this.firstIndex() - 1 || i > this.lastIndex()) return undefined;
    return this.unstable.maybeTerm(i) ?? this.storage.term(i);
  }

  matchTerm(i: number, t: number): boolean {
    return this.term(i) === t;
  }

  /** Raft §5.4.1: a candidate's log is at least as up-to-date as ours. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /** Index of the first entry that conflicts with ours or is new; 0 if all are already here. */
  findConflict(ents: readonly Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * The largest index <= index whose term is <= term: the first point that
   * may match a log whose entry at `index` has `term` (fast backtracking).
   */
  findConflictByTerm(index: number, term: number): number {
    for (let i = index; i >= 0; i--) {
      const t = this.term(i);
      if (t === undefined || t <= term) return i;
    }
    return 0;
  }

  /**
   * AppendEntries receiver rules 2-5 (Raft Figure 2). Returns the index of the
   * last new entry, or undefined if prev does not match.
   */
  maybeAppend(prevIndex: number, prevTerm: number, leaderCommit: number, ents: readonly Entry[]): number | undefined {
    if (!this.matchTerm(prevIndex, prevTerm)) return undefined;
    const lastNew = prevIndex + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      assert(ci > this.committed, () => `log: entry ${ci} conflicts with committed ${this.committed}`);
      this.append(ents.slice(ci - (prevIndex + 1)));
    }
    this.commitTo(Math.min(leaderCommit, lastNew));
    return lastNew;
  }

  append(ents: readonly Entry[]): number {
    const first = ents[0];
    if (first === undefined) return this.lastIndex();
    assert(first.index - 1 >= this.committed, () => `log: append at ${first.index} would overwrite committed ${this.committed}`);
    assert(first.index <= this.lastIndex() + 1, () => `log: append at ${first.index} leaves a gap after ${this.lastIndex()}`);
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  commitTo(c: number): void {
    if (c <= this.committed) return;
    assert(c <= this.lastIndex(), () => `log: commit ${c} beyond last index ${this.lastIndex()}`);
    this.committed = c;
  }

  appliedTo(i: number): void {
    if (i === 0) return;
    assert(i <= this.committed && i >= this.applied, () => `log: applied ${i} outside [${this.applied}, ${this.committed}]`);
    this.applied = i;
  }

  /** Entries [lo, hi) bounded by bytes (at least one); undefined if lo is compacted. */
  slice(lo: number, hi: number, maxBytes: number): Entry[] | undefined {
    if (lo >= hi) return [];
    if (lo < this.firstIndex()) return undefined;
    assert(hi <= this.lastIndex() + 1, () => `log: slice to ${hi} beyond ${this.lastIndex()}`);
    const out: Entry[] = [];
    let bytes = 0;
    const off = this.unstable.offset;
    if (lo < off) {
      const stable = this.storage.entries(lo, Math.min(hi, off), maxBytes);
      for (const e of stable) {
        bytes += entrySizeBytes(e);
        out.push(e);
      }
      if (out.length < Math.min(hi, off) - lo) return out;
    }
    if (hi > off) {
      for (const e of this.unstable.slice(Math.max(lo, off), hi)) {
        bytes += entrySizeBytes(e);
        if (out.length > 0 && bytes > maxBytes) break;
        out.push(e);
      }
    }
    return out;
  }

  /** Committed entries not yet applied, starting after a pending snapshot if any. */
  nextCommittedEntries(maxBytes: number): Entry[] {
    const lo = Math.max(this.applied + 1, this.firstIndex());
    const hi = this.committed + 1;
    if (lo >= hi) return [];
    const ents = this.slice(lo, hi, maxBytes);
    assert(ents !== undefined, () => `log: committed entries from ${lo} are compacted`);
    return ents;
  }

  hasNextCommittedEntries(): boolean {
    return this.committed >= Math.max(this.applied + 1, this.firstIndex());
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  /** Replaces the whole log with a snapshot from the leader (Raft §7). */
  restore(snap: Snapshot): void {
    this.committed = snap.meta.index;
    this.unstable.restore(snap);
  }
}
