import { assert } from '../../raft/assert.js';

/**
 * Whose turn it is to take a snapshot, among the groups of one process: one
 * at a time. Taking one holds a frozen copy's encode buffers, the chunks of
 * a storage batch and LevelDB's copy of it; the groups of a process fill at
 * the same pace, so without turns they all snapshot at once and those
 * buffers add up at the peak. A group refused a turn is woken (its `wake`)
 * when the holder releases it and asks again at its next safe point.
 * Invariant: at most one holder; a holder releases once.
 */
export class SnapshotTurns {
  private holder: object | undefined;
  private readonly waiting = new Map<object, () => void>();

  /** True when `who` holds the turn now (taken, or held already); else `wake` runs at the next release. */
  take(who: object, wake: () => void): boolean {
    if (this.holder === undefined || this.holder === who) {
      this.holder = who;
      this.waiting.delete(who);
      return true;
    }
    this.waiting.set(who, wake);
    return false;
  }

  release(who: object): void {
    assert(this.holder === who, 'snapshot turns: released by a group that does not hold the turn');
    this.holder = undefined;
    const woken = [...this.waiting.values()];
    this.waiting.clear();
    for (const wake of woken) wake();
  }

  /** The group holding the turn, if any (for tests and status). */
  get busy(): boolean {
    return this.holder !== undefined;
  }
}
