import type { Entry, HardState, Snapshot } from './types.js';

/**
 * The stable log as the core reads it: synchronous, over an in-memory copy the
 * host keeps in step with disk (the host persists a Ready, then records it here,
 * then calls advance()).
 *
 * Invariants: firstIndex() - 1 <= snapshot().meta.index (entries a snapshot
 * covers may be kept a while for slow followers; entries no snapshot covers
 * are never dropped); lastIndex() >= firstIndex() - 1; term(i) is defined
 * for i in [firstIndex()-1, lastIndex()].
 */
export interface LogStorage {
  /** Hard state and the snapshot the node restarts from. */
  hardState(): HardState;
  /** Entries in [lo, hi), at most maxBytes (but always at least one if lo < hi). */
  entries(lo: number, hi: number, maxBytes: number): Entry[];
  /** Term of entry i; undefined if compacted (i < firstIndex()-1) or beyond lastIndex(). */
  term(i: number): number | undefined;
  firstIndex(): number;
  lastIndex(): number;
  /** The newest snapshot; its meta.index is 0 for "none yet". */
  snapshot(): Snapshot;
}
