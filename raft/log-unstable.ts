import { assert } from './assert.js';
import type { Entry, Snapshot } from './types.js';

/**
 * Log entries and a snapshot the core has accepted but the host has not yet
 * persisted. Handed out once in Ready.entries / Ready.snapshot (then "in
 * progress"); dropped when the host reports them persisted.
 * Invariants: entries[k].index === offset + k; with a snapshot, offset ===
 * snapshot index + 1; offset <= inProgressTo + 1 <= offset + entries.length.
 */
export class UnstableLog {
  snapshot: Snapshot | undefined;
  entries: Entry[] = [];
  offset: number;
  /** Last index handed to the host for persisting (entries after it are not handed out yet). */
  inProgressTo: number;

  constructor(offset: number) {
    this.offset = offset;
    this.inProgressTo = offset - 1;
  }

  /** Entries not yet handed to the host. */
  entriesToPersist(): Entry[] {
    return this.entries.slice(this.inProgressTo + 1 - this.offset);
  }

  hasEntriesToPersist(): boolean {
    return this.offset + this.entries.length - 1 > this.inProgressTo;
  }

  /** The host took everything unstable: nothing is handed out twice. */
  acceptInProgress(): void {
    this.inProgressTo = this.offset + this.entries.length - 1;
  }

  maybeFirstIndex(): number | undefined {
    return this.snapshot === undefined ? undefined : this.snapshot.meta.index + 1;
  }

  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot?.meta.index;
  }

  maybeTerm(i: number): number | undefined {
    if (i < this.offset) {
      return this.snapshot !== undefined && this.snapshot.meta.index === i ? this.snapshot.meta.term : undefined;
    }
    const last = this.maybeLastIndex();
    if (last === undefined || i > last) return undefined;
    return this.entries[i - this.offset]?.term;
  }

  /** Entries through (i, t) are on disk. A mismatch means they were replaced meanwhile: keep them. */
  stableTo(i: number, t: number): void {
    if (this.maybeTerm(i) !== t || i < this.offset) return;
    this.entries = this.entries.slice(i + 1 - this.offset);
    this.offset = i + 1;
    this.inProgressTo = Math.max(this.inProgressTo, i);
  }

  stableSnapTo(i: number): void {
    if (this.snapshot !== undefined && this.snapshot.meta.index === i) this.snapshot = undefined;
  }

  restore(snap: Snapshot): void {
    this.offset = snap.meta.index + 1;
    this.inProgressTo = snap.meta.index;
    this.entries = [];
    this.snapshot = snap;
  }

  truncateAndAppend(ents: readonly Entry[]): void {
    const first = ents[0];
    if (first === undefined) return;
    const after = first.index;
    if (after === this.offset + this.entries.length) {
      for (const e of ents) this.entries.push(e);
    } else if (after <= this.offset) {
      // Replaces everything unstable; the host's append truncates what is stable.
      this.offset = after;
      this.entries = [...ents];
    } else {
      this.entries = this.entries.slice(0, after - this.offset);
      for (const e of ents) this.entries.push(e);
    }
    // Replaced entries must be handed out (and persisted) again.
    this.inProgressTo = Math.min(this.inProgressTo, after - 1);
  }

  slice(lo: number, hi: number): Entry[] {
    assert(lo >= this.offset && hi <= this.offset + this.entries.length && lo <= hi, () =>
      `unstable slice [${lo},${hi}) out of [${this.offset},${this.offset + this.entries.length})`,
    );
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}
