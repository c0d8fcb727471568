import { assert } from './assert.js';
import type { LogStorage } from './log-storage.js';
import { entrySizeBytes, EMPTY_HARD_STATE } from './types.js';
import type { ConfState, Entry, HardState, Snapshot } from './types.js';

const EMPTY_CONF: ConfState = { voters: [], learners: [] };

/**
 * The in-memory copy of a node's stable log. The LevelDB layer loads into it
 * at start and mirrors every synced write into it; the simulator uses it alone
 * as a node's "disk" (it survives a simulated crash).
 */
export class MemoryStorage implements LogStorage {
  private hard: HardState = EMPTY_HARD_STATE;
  private snap: Snapshot;
  /** Index and term of the entry just before entries[0] (compacted or snapshotted). */
  private offsetIndex: number;
  private offsetTerm: number;
  /** Invariant: entries[k].index === offsetIndex + 1 + k. */
  private ents: Entry[] = [];

  constructor(conf: ConfState = EMPTY_CONF) {
    this.snap = { meta: { index: 0, term: 0, conf }, data: new Uint8Array(0) };
    this.offsetIndex = 0;
    this.offsetTerm = 0;
  }

  hardState(): HardState {
    return this.hard;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  firstIndex(): number {
    return this.offsetIndex + 1;
  }

  lastIndex(): number {
    return this.offsetIndex + this.ents.length;
  }

  term(i: number): number | undefined {
    if (i === this.offsetIndex) return this.offsetTerm;
    if (i < this.offsetIndex || i > this.lastIndex()) return undefined;
    return this.ents[i - this.offsetIndex - 1]?.term;
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    assert(lo >= this.firstIndex(), () => `entries(${lo}) below firstIndex ${this.firstIndex()}`);
    assert(hi <= this.lastIndex() + 1, () => `entries(.., ${hi}) beyond lastIndex ${this.lastIndex()}`);
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi; i++) {
      const e = this.ents[i - this.offsetIndex - 1];
      assert(e !== undefined, `missing entry ${i}`);
      bytes += entrySizeBytes(e);
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  /** All entries held, for persistence layers that rebuild or inspect. */
  allEntries(): readonly Entry[] {
    return this.ents;
  }

  setHardState(hs: HardState): void {
    this.hard = hs;
  }

  /**
   * Appends entries, truncating any existing suffix from entries[0].index on
   * (a conflicting suffix from an old leader, Raft §5.3).
   */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    for (let k = 1; k < entries.length; k++) {
      assert(entries[k]!.index === first.index + k, 'append: entries must be contiguous');
    }
    if (first.index <= this.offsetIndex) {
      // Entries the snapshot already covers are dropped; the rest are appended.
      const skip = this.offsetIndex + 1 - first.index;
      this.append(entries.slice(skip));
      return;
    }
    assert(
      first.index <= this.lastIndex() + 1,
      () => `append: gap, lastIndex ${this.lastIndex()} then entry ${first.index}`,
    );
    this.ents.length = first.index - this.offsetIndex - 1;
    for (const e of entries) this.ents.push(e);
  }

  /** Replaces the whole log by a snapshot received from the leader. */
  applySnapshot(snap: Snapshot): void {
    assert(
      snap.meta.index >= this.snap.meta.index,
      () => `applySnapshot: index ${snap.meta.index} older than ${this.snap.meta.index}`,
    );
    this.snap = snap;
    this.offsetIndex = snap.meta.index;
    this.offsetTerm = snap.meta.term;
    this.ents = [];
  }

  /** Records a snapshot of the host's state machine taken at an applied index. */
  createSnapshot(index: number, conf: ConfState, data: Uint8Array): Snapshot {
    assert(index > this.snap.meta.index, () => `createSnapshot: ${index} not newer than ${this.snap.meta.index}`);
    assert(index <= this.hard.commit, () => `createSnapshot: ${index} beyond commit ${this.hard.commit}`);
    const term = this.term(index);
    assert(term !== undefined, () => `createSnapshot: no term for ${index}`);
    this.snap = { meta: { index, term, conf }, data };
    return this.snap;
  }

  /**
   * Replaces the data of the snapshot at `index` (if it is still the
   * snapshot) by `placeholder`: a host that can read the data back from its
   * disk need not keep a big snapshot in memory. The meta stays.
   */
  replaceSnapshotData(index: number, placeholder: Uint8Array): void {
    if (this.snap.meta.index === index) this.snap = { meta: this.snap.meta, data: placeholder };
  }

  /** Drops entries through `index`. Invariant: only what a snapshot covers. */
  compact(index: number): void {
    if (index <= this.offsetIndex) return;
    assert(index <= this.snap.meta.index, () => `compact: ${index} beyond snapshot ${this.snap.meta.index}`);
    assert(index <= this.lastIndex(), () => `compact: ${index} beyond lastIndex ${this.lastIndex()}`);
    const term = this.term(index);
    assert(term !== undefined, `compact: no term for ${index}`);
    this.ents = this.ents.slice(index - this.offsetIndex);
    this.offsetIndex = index;
    this.offsetTerm = term;
  }
}
