import { assert } from './assert.js';
import type { Rng } from './rng.js';
import type { NodeId } from './types.js';

/** Everything a Raft node is built from. Time is counted in ticks. */
export interface RaftConfig {
  readonly id: NodeId;
  /** Followers wait a random [electionTicks, 2*electionTicks) before campaigning. */
  readonly electionTicks: number;
  /** Leader heartbeat period. Invariant: heartbeatTicks < electionTicks. */
  readonly heartbeatTicks: number;
  /** Seeded jitter source: the only randomness the core sees. */
  readonly rng: Rng;
  /** Upper bound on the entry bytes in one AppendEntries message. */
  readonly maxMsgBytes: number;
  /** AppendEntries messages in flight per follower in replicate state. */
  readonly maxInflightMsgs: number;
  /** Proposals refused while lastIndex - commitIndex exceeds this. */
  readonly maxUncommittedEntries: number;
  /** Bytes of committed entries handed to the host in one Ready. */
  readonly maxApplyBytes: number;
  readonly preVote: boolean;
  /** A leader that has not heard from a quorum for an election timeout steps down. */
  readonly checkQuorum: boolean;
  /** Index the host has already applied at start (its snapshot index). */
  readonly applied: number;
}

export const DEFAULT_RAFT_LIMITS = {
  electionTicks: 10,
  heartbeatTicks: 1,
  maxMsgBytes: 1 << 20,
  maxInflightMsgs: 256,
  maxUncommittedEntries: 100_000,
  maxApplyBytes: 16 << 20,
  preVote: true,
  checkQuorum: true,
  applied: 0,
} as const;

export function validateRaftConfig(c: RaftConfig): void {
  assert(Number.isInteger(c.id) && c.id > 0, `raft config: id must be a positive integer, got ${c.id}`);
  assert(c.heartbeatTicks >= 1, 'raft config: heartbeatTicks >= 1');
  assert(c.heartbeatTicks < c.electionTicks, 'raft config: heartbeatTicks < electionTicks');
  assert(c.maxInflightMsgs >= 1, 'raft config: maxInflightMsgs >= 1');
  assert(c.maxMsgBytes >= 1, 'raft config: maxMsgBytes >= 1');
  assert(c.maxUncommittedEntries >= 1, 'raft config: maxUncommittedEntries >= 1');
  assert(c.maxApplyBytes >= 1, 'raft config: maxApplyBytes >= 1');
  assert(c.applied >= 0, 'raft config: applied >= 0');
}
