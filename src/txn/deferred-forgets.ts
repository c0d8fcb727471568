import { assert } from '../../raft/assert.js';
import type { TxnId } from './txn-command.js';

/**
 * Decisions FORGET asked to drop before their hold ends (notAfter, in group
 * time), dropped as group time passes it. Two FIFOs, by kind: a COMMIT is
 * held for its commit window (about a second), an ABORT for ABORT_HOLD_MS
 * (a minute). In one FIFO an ABORT at its head held back every COMMIT
 * forgotten in the minute after it: under contention a group kept a
 * minute of transactions (hundreds of MB, and the resolver's sweep walked
 * them all). Within a FIFO holds grow about in order; one not yet due
 * holds back those after it (they go later, never early).
 * Deterministic: filled in log order, so every replica drops the same.
 */
export class DeferredForgets {
  readonly #commits = new Map<TxnId, number>();
  readonly #aborts = new Map<TxnId, number>();

  get size(): number {
    return this.#commits.size + this.#aborts.size;
  }

  has(txn: TxnId): boolean {
    return this.#commits.has(txn) || this.#aborts.has(txn);
  }

  add(txn: TxnId, commit: boolean, notAfter: number): void {
    assert(!this.has(txn), () => `deferred forgets: ${txn} deferred twice`);
    (commit ? this.#commits : this.#aborts).set(txn, notAfter);
  }

  delete(txn: TxnId): void {
    if (!this.#commits.delete(txn)) this.#aborts.delete(txn);
  }

  /** Removes and returns the deferred decisions whose hold group time clockMs has passed. */
  takeDue(clockMs: number): TxnId[] {
    const out: TxnId[] = [];
    for (const q of [this.#commits, this.#aborts]) {
      for (const [txn, notAfter] of q) {
        if (notAfter >= clockMs) break;
        q.delete(txn);
        out.push(txn);
      }
    }
    return out;
  }

  /** The head that is due first (the other queue's head is due later), with its hold. */
  first(): [TxnId, number] | undefined {
    const c = this.#commits.entries().next();
    const a = this.#aborts.entries().next();
    if (c.done) return a.done ? undefined : a.value;
    return a.done || c.value[1] <= a.value[1] ? c.value : a.value;
  }

  /** Every deferred decision with its hold, each queue in its order (the snapshot keeps it). */
  *entries(): IterableIterator<[TxnId, number]> {
    yield* this.#commits;
    yield* this.#aborts;
  }
}
