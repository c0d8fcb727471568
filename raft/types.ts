/** Node ids are positive integers; NONE (0) means "nobody". */
export type NodeId = number;
export const NONE: NodeId = 0;

/**
 * Group membership. Voters count toward quorums; learners receive the log but
 * neither vote nor campaign (Raft dissertation §4.2.1).
 * Invariant: both lists sorted ascending, disjoint.
 */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

/**
 * Single-server membership changes (Raft dissertation §4.1): a new server is
 * added as a learner, catches up, then is promoted to voter.
 */
export type ConfChange = (
  | { readonly type: 'addLearner'; readonly nodeId: NodeId }
  | { readonly type: 'promote'; readonly nodeId: NodeId }
  | { readonly type: 'remove'; readonly nodeId: NodeId }
) & {
  /** Opaque to the core; the host records e.g. the member's address here. */
  readonly context?: string;
};

/**
 * A log entry. A `normal` entry with empty data is the no-op a new leader
 * appends to commit entries of earlier terms (Raft §8).
 */
export type Entry =
  | {
      readonly type: 'normal';
      readonly term: number;
      readonly index: number;
      readonly data: Uint8Array;
    }
  | {
      readonly type: 'conf';
      readonly term: number;
      readonly index: number;
      readonly change: ConfChange;
    };

/**
 * What must be on stable storage before any message that depends on it is
 * sent (Raft Figure 2, "persistent state on all servers").
 * Invariant: commit <= last log index.
 */
export interface HardState {
  readonly term: number;
  /** Candidate voted for in `term`, or NONE. */
  readonly vote: NodeId;
  readonly commit: number;
}

export const EMPTY_HARD_STATE: HardState = { term: 0, vote: NONE, commit: 0 };

export interface SnapshotMeta {
  /** Last index the snapshot covers. */
  readonly index: number;
  /** Term of the entry at `index`. */
  readonly term: number;
  /** Membership as of `index`. */
  readonly conf: ConfState;
}

/** The state machine as of `meta.index`; data is opaque to the core. */
export interface Snapshot {
  readonly meta: SnapshotMeta;
  readonly data: Uint8Array;
}

export const ROLES = ['follower', 'preCandidate', 'candidate', 'leader'] as const;
export type Role = (typeof ROLES)[number];

/** Volatile state the host may want to show or react to; never persisted. */
export interface SoftState {
  readonly leaderId: NodeId;
  readonly role: Role;
}

/**
 * A confirmed ReadIndex request: once the host has applied through `index`,
 * reading its state machine is linearizable for the request named `ctx`
 * (Raft dissertation §6.4).
 */
export interface ReadState {
  readonly index: number;
  readonly ctx: number;
}

/** Bytes an entry counts for against size limits. */
export function entrySizeBytes(entry: Entry): number {
  return entry.type === 'normal' ? entry.data.length + 16 : 32;
}
