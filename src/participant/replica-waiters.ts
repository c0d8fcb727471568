import { assert } from '../../raft/assert.js';
import type { RawNode } from '../../raft/raw-node.js';
import type { Entry, ReadState } from '../../raft/types.js';
import type { HostLimits, HostStateMachine } from './host-contract.js';
import { NodeError } from './node-error.js';
import { ownedBytes } from './owned-bytes.js';

export interface ProposalWaiter {
  resolve(results: unknown[]): void;
  reject(err: Error): void;
  deadlineMs: number;
}

export interface ReadWaiter {
  resolve(): void;
  reject(err: Error): void;
  deadlineMs: number;
}

interface QueuedProposal {
  readonly data: Uint8Array;
  readonly waiter: ProposalWaiter;
}

/** One proposal's entry at an index: the term it was proposed in, and one waiter per command (undefined once expired). */
interface Proposed {
  readonly term: number;
  readonly waiters: Array<ProposalWaiter | undefined>;
}

/**
 * The clients waiting on one group replica: proposals queued for the next
 * batch, proposed entries by index, and ReadIndex reads from queued to
 * confirmed to answered. Every queue is bounded or drained each turn.
 */
export class ReplicaWaiters {
  /**
   * Commands proposed here that were applied and answered, and that failed
   * (refused, lost to another leader's entry, timed out, leadership lost,
   * closed). For metrics. Invariant: never decrease.
   */
  readonly counts = { committed: 0, failed: 0 };
  private readonly proposals: QueuedProposal[] = [];
  /**
   * Proposed entries by index. An index may hold proposals of several
   * terms: a leader that lost its unreplicated tail proposes at those
   * indexes again when it leads once more, before it has applied them.
   * Whichever entry is applied there settles them all.
   */
  private readonly inflight = new Map<number, Proposed[]>();
  private readonly readsQueued: ReadWaiter[] = [];
  private readonly readsInflight = new Map<number, ReadWaiter[]>();
  /**
   * Reads a quorum confirmed, waiting until the state machine has applied
   * their read index: a Ready applies at most maxApplyBytes of entries, so
   * the one confirming a read may not yet have applied everything before it.
   * Invariant: read indexes are nondecreasing.
   */
  private readonly confirmed: Array<{ readonly ctx: number; readonly index: number }> = [];
  private nextReadCtx = 1;

  constructor(
    private readonly limits: HostLimits,
    private readonly now: () => number,
  ) {}

  /** Queues a command for the next proposal batch; an error if the queue is full. */
  queueProposal(data: Uint8Array, waiter: ProposalWaiter): NodeError | undefined {
    if (this.proposals.length >= this.limits.pendingProposalsMax) return new NodeError('OVERLOADED', 'too many pending proposals');
    this.proposals.push({ data, waiter });
    return undefined;
  }

  queueRead(waiter: ReadWaiter): void {
    this.readsQueued.push(waiter);
  }

  proposeQueued(node: RawNode, sm: HostStateMachine): void {
    while (this.proposals.length > 0) {
      const batch = this.proposals.splice(0, this.limits.proposalBatchMax);
      // Many commands ride in one entry when the state machine can combine them:
      // one log entry, one disk put and one encode for the whole batch.
      const combine = sm.combine?.bind(sm);
      const combined = batch.length > 1 && combine !== undefined ? combine(batch.map((p) => p.data)) : undefined;
      // The log keeps an entry's data until compaction: it must not pin a shared encode buffer.
      const data = combined !== undefined ? ownedBytes(combined) : undefined;
      const res = data !== undefined ? node.propose(data) : node.proposeBatch(batch.map((p) => ownedBytes(p.data)));
      if (!res.ok) {
        this.counts.failed += batch.length;
        for (const p of batch) p.waiter.reject(new NodeError(res.code === 'notLeader' ? 'NOT_LEADER' : 'UNAVAILABLE', `proposal refused: ${res.code}`));
        continue;
      }
      if (data !== undefined) this.track(res.index, { term: res.term, waiters: batch.map((p) => p.waiter) });
      else batch.forEach((p, k) => this.track(res.index + k, { term: res.term, waiters: [p.waiter] }));
    }
  }

  private track(index: number, p: Proposed): void {
    const at = this.inflight.get(index);
    if (at === undefined) this.inflight.set(index, [p]);
    else at.push(p);
  }

  readQueued(node: RawNode): void {
    if (this.readsQueued.length === 0) return;
    const batch = this.readsQueued.splice(0);
    const ctx = this.nextReadCtx++;
    if (!node.readIndex(ctx)) {
      for (const w of batch) w.reject(new NodeError('NOT_LEADER', 'not the leader'));
      return;
    }
    this.readsInflight.set(ctx, batch);
  }

  /** Entry e was applied with these results (one per command inside; none for a conf change). */
  applied(e: Entry, results: unknown[]): void {
    const proposed = this.inflight.get(e.index);
    if (proposed === undefined) return;
    this.inflight.delete(e.index);
    for (const p of proposed) {
      if (p.term !== e.term || (e.type === 'normal' && e.data.length === 0)) {
        // Another leader's entry took this index (a no-op, a membership
        // change, other commands): whatever was proposed here was lost.
        const lost = new NodeError('LOST', `entry ${e.index} was replaced by term ${e.term}`);
        for (const w of p.waiters) if (w !== undefined) this.fail(w, lost);
        continue;
      }
      if (e.type === 'conf') {
        for (const w of p.waiters) {
          if (w === undefined) continue;
          this.counts.committed++;
          w.resolve([]);
        }
        continue;
      }
      assert(results.length === p.waiters.length, () => `host: entry ${e.index} answered ${results.length} results for ${p.waiters.length} commands`);
      p.waiters.forEach((w, k) => {
        if (w === undefined) return;
        this.counts.committed++;
        w.resolve([results[k]]);
      });
    }
  }

  /** After a Ready: confirmed reads join the queue, dropped ones fail; answer those applied through. */
  readsConfirmed(states: readonly ReadState[], dropped: readonly number[], appliedIndex: number): void {
    for (const rs of states) {
      const prev = this.confirmed[this.confirmed.length - 1];
      assert(prev === undefined || prev.index <= rs.index, () => `host: read index ${rs.index} after ${prev?.index}`);
      this.confirmed.push(rs);
    }
    let n = 0;
    while (n < this.confirmed.length && this.confirmed[n]!.index <= appliedIndex) n++;
    for (const rs of this.confirmed.splice(0, n)) this.settleRead(rs.ctx, undefined);
    for (const ctx of dropped) this.settleRead(ctx, new NodeError('NOT_LEADER', 'leadership lost during read'));
  }

  private settleRead(ctx: number, err: Error | undefined): void {
    const batch = this.readsInflight.get(ctx);
    if (batch === undefined) return;
    this.readsInflight.delete(ctx);
    for (const w of batch) {
      if (err === undefined) w.resolve();
      else w.reject(err);
    }
  }

  private fail(w: ProposalWaiter, err: Error): void {
    this.counts.failed++;
    w.reject(err);
  }

  /** Queued proposals and reads cannot be served by a node that no longer leads. */
  leadershipLost(): void {
    const err = new NodeError('NOT_LEADER', 'leadership lost');
    for (const p of this.proposals.splice(0)) this.fail(p.waiter, err);
    for (const r of this.readsQueued.splice(0)) r.reject(err);
  }

  expire(now: number = this.now()): void {
    let timeoutErr: NodeError | undefined;
    const timeout = (): NodeError => (timeoutErr ??= new NodeError('TIMEOUT', 'timed out waiting for the cluster'));
    for (const [index, proposed] of this.inflight) {
      for (const p of proposed) {
        p.waiters.forEach((w, k) => {
          if (w !== undefined && w.deadlineMs <= now) {
            p.waiters[k] = undefined;
            this.fail(w, timeout());
          }
        });
      }
      if (proposed.every((p) => p.waiters.every((w) => w === undefined))) this.inflight.delete(index);
    }
    for (const [ctx, batch] of this.readsInflight) {
      if (batch.every((w) => w.deadlineMs <= now)) {
        this.readsInflight.delete(ctx);
        for (const w of batch) w.reject(timeout());
      }
    }
  }

  failAll(err: Error): void {
    for (const p of this.proposals.splice(0)) this.fail(p.waiter, err);
    for (const proposed of this.inflight.values()) for (const p of proposed) for (const w of p.waiters) if (w !== undefined) this.fail(w, err);
    this.inflight.clear();
    for (const r of this.readsQueued.splice(0)) r.reject(err);
    for (const batch of this.readsInflight.values()) for (const w of batch) w.reject(err);
    this.readsInflight.clear();
  }
}
