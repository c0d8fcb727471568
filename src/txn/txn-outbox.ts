import type { TxnCmd, TxnId, TxnResult } from './txn-command.js';
import type { TxnEnv, TxnGroupClient } from './txn-client.js';

/**
 * Holds a front door's background steps (spreading an outcome: RESOLVE in
 * the secondaries, FORGET in the primary) for a moment, so that they leave
 * with the next foreground step to the same group (the next transaction's
 * PREPARE or DECIDE). Sent in one turn, they share one frame write and so
 * one Raft entry and one disk batch at the leader; sent alone, each would
 * take a turn of its own that the next transaction's step waits behind.
 * Held steps leave after `lingerMs` at the latest. Order per group is kept:
 * held steps go before the foreground step that flushes them.
 * Nothing here is needed for safety: a held step is only late.
 */
export class TxnOutbox implements TxnGroupClient {
  readonly #held = new Map<number, Array<() => void>>();

  constructor(
    private readonly client: TxnGroupClient,
    private readonly env: TxnEnv,
    private readonly lingerMs: number,
  ) {}

  /** A background step: sent with the next foreground step to g, or after the linger. */
  run(g: number, cmd: TxnCmd, deadlineMs: number): Promise<TxnResult> {
    if (this.lingerMs <= 0) return this.client.run(g, cmd, deadlineMs);
    return new Promise<TxnResult>((resolve, reject) => {
      let q = this.#held.get(g);
      if (q === undefined) {
        q = [];
        this.#held.set(g, q);
        void this.env.sleep(this.lingerMs).then(() => this.flush(g));
      }
      q.push(() => {
        this.client.run(g, cmd, deadlineMs).then(resolve, reject);
      });
    });
  }

  status(g: number, txn: TxnId, groups: readonly number[], deadlineMs: number): Promise<TxnResult> {
    return this.client.status(g, txn, groups, deadlineMs);
  }

  /** Sends every step held for g now (call it just before a foreground step to g). */
  flush(g: number): void {
    const q = this.#held.get(g);
    if (q === undefined) return;
    this.#held.delete(g);
    for (const send of q) send();
  }

  /** Steps held now, over every group. */
  get held(): number {
    let n = 0;
    for (const q of this.#held.values()) n += q.length;
    return n;
  }
}
