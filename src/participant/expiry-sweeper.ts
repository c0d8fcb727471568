import type { Logger } from '../server/logger.js';
import type { GroupMember } from './group-member.js';

export interface ExpirySweeperLimits {
  /** Between the end of one sweep and the start of the next. */
  readonly periodMs: number;
  /** Expired keys one group deletes per sweep (each is one replicated command, group-committed together). */
  readonly keysPerSweepMax: number;
}

export const EXPIRY_SWEEPER_LIMITS_DEFAULT: ExpirySweeperLimits = { periodMs: 100, keysPerSweepMax: 512 };

/**
 * Removes expired keys by replicated deletes: on each group this process
 * leads, the keys whose expiry has passed on the leader's clock are deleted
 * with one `delexpired` command each, which removes the key only if its
 * expiry in the log is still past at the entry's time (a key rewritten
 * meanwhile stays). Followers never delete: they apply the leader's entries.
 * Reads hide an expired key before its delete lands (KvStateMachine.get).
 * Invariant: one sweep at a time, so a key is never deleted twice in flight.
 */
export class ExpirySweeper {
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    private readonly groups: readonly GroupMember[],
    private readonly log: Logger,
    private readonly limits: ExpirySweeperLimits = EXPIRY_SWEEPER_LIMITS_DEFAULT,
  ) {}

  start(): void {
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      void this.sweepOnce().finally(() => this.#schedule());
    }, this.limits.periodMs);
    this.#timer.unref();
  }

  /** One pass over the groups this process leads; resolves when every delete settled. Returns the keys removed. */
  async sweepOnce(): Promise<number> {
    let removed = 0;
    for (const g of this.groups) {
      if (this.#stopped || !g.replica.isLeader) continue;
      const keys = g.sm.kv.expiredKeys(Date.now(), this.limits.keysPerSweepMax);
      if (keys.length === 0) continue;
      const session = g.kv.openSession();
      const results = await Promise.allSettled(keys.map((key) => session.execute({ type: 'str', key, change: { kind: 'delexpired' } })));
      session.close();
      const failed = results.filter((r) => r.status === 'rejected').length;
      removed += results.filter((r) => r.status === 'fulfilled' && r.value.type === 'str' && r.value.result.kind === 'int' && r.value.result.n === '1').length;
      // Not leader any more, or no quorum: the next leader's sweep finds them again.
      if (failed > 0) this.log.debug({ group: g.groupId, failed, of: keys.length }, 'expiry sweep: some deletes did not land');
    }
    return removed;
  }
}
