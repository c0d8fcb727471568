import { assert } from '../../raft/assert.js';
import type { MemoryStorage } from '../../raft/memory-storage.js';
import type { Entry } from '../../raft/types.js';

/**
 * The crash test's model of a store: what the crash child asked to write,
 * reduced to what must be observable after a restart. Entry and snapshot
 * bytes are derived from (index, term[, size]), so the content on disk is
 * checked against the model too.
 */
export type CrashOp =
  /** persist: entries from..to at `term` (truncating a suffix), then hard state [term, vote, commit]. */
  | { readonly k: 'persist'; readonly from: number; readonly to: number; readonly term: number; readonly hs: readonly [number, number, number] }
  /** persist of a snapshot received from a leader, with its hard state. */
  | { readonly k: 'install'; readonly index: number; readonly term: number; readonly size: number; readonly hs: readonly [number, number, number] }
  /** saveSnapshot of a snapshot at `index` of `size` bytes. */
  | { readonly k: 'snap'; readonly index: number; readonly size: number }
  | { readonly k: 'compact'; readonly index: number };

export interface CrashState {
  snap: { index: number; term: number; size: number };
  /** Index and term just before the first entry held. */
  start: { index: number; term: number };
  /** terms[k] is the term of entry start.index + 1 + k. */
  terms: number[];
  hs: [number, number, number];
}

export const crashConf = { voters: [1, 2, 3], learners: [] };
/** The groups the crash child writes, all in one ProcessStore. */
export const crashGroups = [1, 2, 3] as const;
export const crashEntryBytes = 100;

function fill(bytes: number, seed: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let x = seed >>> 0 || 1;
  for (let k = 0; k < bytes; k++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[k] = x & 0xff;
  }
  return out;
}

export function entryData(index: number, term: number): Uint8Array {
  return fill(crashEntryBytes, index * 7919 + term * 104729);
}

export function snapshotData(index: number, term: number, size: number): Uint8Array {
  return fill(size, index * 31 + term * 1_000_003 + size);
}

export function makeEntries(from: number, to: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push({ type: 'normal', index: i, term, data: entryData(i, term) });
  return out;
}

export function lastIndex(s: CrashState): number {
  return s.start.index + s.terms.length;
}

export function termAt(s: CrashState, i: number): number | undefined {
  if (i === s.start.index) return s.start.term;
  return s.terms[i - s.start.index - 1];
}

export function cloneState(s: CrashState): CrashState {
  return { snap: { ...s.snap }, start: { ...s.start }, terms: [...s.terms], hs: [...s.hs] };
}

/** Applies one op, as MemoryStorage would. */
export function applyOp(s: CrashState, op: CrashOp): void {
  switch (op.k) {
    case 'persist':
      assert(op.from > s.start.index && op.from <= lastIndex(s) + 1, `model: persist from ${op.from}`);
      s.terms.length = op.from - s.start.index - 1;
      for (let i = op.from; i <= op.to; i++) s.terms.push(op.term);
      s.hs = [...op.hs];
      return;
    case 'install':
      s.snap = { index: op.index, term: op.term, size: op.size };
      s.start = { index: op.index, term: op.term };
      s.terms = [];
      s.hs = [...op.hs];
      return;
    case 'snap': {
      const term = termAt(s, op.index);
      assert(term !== undefined, `model: snap at ${op.index}`);
      s.snap = { index: op.index, term, size: op.size };
      return;
    }
    case 'compact': {
      if (op.index <= s.start.index) return;
      const term = termAt(s, op.index);
      assert(term !== undefined, `model: compact at ${op.index}`);
      s.terms = s.terms.slice(op.index - s.start.index);
      s.start = { index: op.index, term };
      return;
    }
  }
}

/**
 * Reads a loaded store back into the model, checking every entry's and the
 * snapshot's bytes against what the model derives; returns a reason string
 * when content is wrong.
 */
export function stateFromLog(log: MemoryStorage): CrashState | string {
  const snap = log.snapshot();
  const { index, term } = snap.meta;
  if (index > 0 && !bytesEqual(snap.data, snapshotData(index, term, snap.data.length))) {
    return `snapshot ${index} data is not what was written`;
  }
  const start = { index: log.firstIndex() - 1, term: log.term(log.firstIndex() - 1) ?? -1 };
  const terms: number[] = [];
  const all = log.lastIndex() >= log.firstIndex() ? log.entries(log.firstIndex(), log.lastIndex() + 1, Infinity) : [];
  for (const e of all) {
    if (e.type !== 'normal' || !bytesEqual(e.data, entryData(e.index, e.term))) return `entry ${e.index} data is not what was written`;
    terms.push(e.term);
  }
  const hs = log.hardState();
  return { snap: { index, term, size: snap.data.length }, start, terms, hs: [hs.term, hs.vote, hs.commit] };
}

export function fingerprint(s: CrashState): string {
  return JSON.stringify(s);
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}
