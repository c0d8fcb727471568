import { assert } from './assert.js';
import { majority } from './quorum.js';
import type { NodeId, ReadState } from './types.js';

interface PendingRead {
  readonly ctx: number;
  /** Commit index when the read arrived: the state it must observe. */
  readonly index: number;
  /** Heartbeat round sent after the read arrived; a quorum acking it confirms leadership. */
  readonly round: number;
}

/**
 * ReadIndex bookkeeping for one leadership (Raft dissertation §6.4). Every
 * heartbeat carries the current round; a read registered at round r is safe
 * once a majority of voters (the leader included) acked a round >= r, which
 * proves nobody newer was leader when the read arrived. Many reads share one
 * round, so one heartbeat exchange confirms a whole batch.
 * Invariant: pending rounds are non-decreasing in arrival order.
 */
export class ReadIndexTracker {
  round = 0;
  private pending: PendingRead[] = [];
  private readonly acks = new Map<NodeId, number>();
  /** Reads that arrived before this leader committed an entry of its term. */
  waitingFirstCommit: number[] = [];

  constructor(readonly pendingMax: number) {}

  full(): boolean {
    return this.size >= this.pendingMax;
  }

  get size(): number {
    return this.pending.length + this.waitingFirstCommit.length;
  }

  /** Registers a read against `index`; returns the round the next heartbeat must carry. */
  add(ctx: number, index: number): number {
    assert(this.size < this.pendingMax, 'read index: too many pending reads');
    // Each call opens a new round: a heartbeat of an earlier round may have been
    // sent before this read arrived and proves nothing about it. Hosts batch
    // many client reads into one call.
    this.round++;
    this.pending.push({ ctx, index, round: this.round });
    return this.round;
  }

  ack(from: NodeId, round: number): void {
    if (round > (this.acks.get(from) ?? 0)) this.acks.set(from, round);
  }

  /** Reads now confirmed by a quorum of `voters` (self always counts), in order. */
  release(voters: readonly NodeId[], self: NodeId): ReadState[] {
    const out: ReadState[] = [];
    const q = majority(voters.length);
    while (this.pending.length > 0) {
      const head = this.pending[0]!;
      let acked = 0;
      for (const v of voters) {
        if (v === self || (this.acks.get(v) ?? 0) >= head.round) acked++;
      }
      if (acked < q) break;
      out.push({ index: head.index, ctx: head.ctx });
      this.pending.shift();
    }
    return out;
  }

  /** Leadership lost: every read still pending must be failed by the host. */
  drain(): number[] {
    const dropped = [...this.waitingFirstCommit, ...this.pending.map((p) => p.ctx)];
    this.pending = [];
    this.waitingFirstCommit = [];
    this.acks.clear();
    return dropped;
  }
}
