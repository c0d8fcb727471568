import type { NodeId } from '../../raft/types.js';
import type { Logger } from '../server/logger.js';
import type { GroupReplica } from './group-replica.js';

export interface LeaderBalancerLimits {
  /** How often leaders look at their groups. */
  readonly checkMs: number;
  /** No transfer before this long after start: the first elections settle first. */
  readonly settleMs: number;
  /** After asking for a transfer of a group, wait this long before asking again. */
  readonly retryMs: number;
}

export const LEADER_BALANCER_LIMITS_DEFAULT: LeaderBalancerLimits = { checkMs: 250, settleMs: 1_000, retryMs: 3_000 };

/**
 * Spreads leadership: the leader of a group whose preferred leader (its
 * first replica in ring order, src/sharding/layout.ts) is another member
 * that is active and holds the whole log hands leadership over to it
 * (TimeoutNow, Raft thesis §3.10). With one group per participant each
 * then leads one; after a participant rejoins and catches up it gets its
 * groups back. Only the current leader acts, so there is nothing to agree on.
 */
export class LeaderBalancer {
  private timer: NodeJS.Timeout | undefined;
  private readonly askedAtMs = new Map<number, number>();
  private readonly startedMs: number;

  constructor(
    private readonly selfId: NodeId,
    private readonly groups: ReadonlyArray<{ readonly replica: GroupReplica; readonly preferred: NodeId }>,
    private readonly log: Logger,
    private readonly limits: LeaderBalancerLimits = LEADER_BALANCER_LIMITS_DEFAULT,
    private readonly now: () => number = Date.now,
  ) {
    this.startedMs = now();
  }

  start(): void {
    this.timer = setInterval(() => this.check(), this.limits.checkMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  /** One pass over the groups this member leads. */
  check(): void {
    const now = this.now();
    if (now - this.startedMs < this.limits.settleMs) return;
    for (const { replica, preferred } of this.groups) {
      if (preferred === this.selfId || !replica.isLeader || replica.isClosed) continue;
      const st = replica.status();
      if (st.leadTransferee !== 0) continue;
      const pr = st.peers.find((p) => p.id === preferred);
      if (pr === undefined || pr.learner || !pr.recentActive || pr.match < st.lastIndex) continue;
      const asked = this.askedAtMs.get(replica.groupId);
      if (asked !== undefined && now - asked < this.limits.retryMs) continue;
      this.askedAtMs.set(replica.groupId, now);
      this.log.info({ group: replica.groupId, to: preferred, term: st.term }, 'transferring leadership to the preferred leader');
      replica.withNode((n) => n.transferLeader(preferred)).catch(() => undefined);
    }
  }
}
