import type { Message } from './messages.js';
import type { ConfState, Entry, HardState, NodeId, ReadState, Role, Snapshot, SoftState } from './types.js';

/**
 * Everything the host must do after feeding the core, in this order
 * (Raft Figure 2 "before responding to RPCs"):
 *  1. persist hardState + entries + snapshot in ONE synced write;
 *  2. send persistedMessages (they promise what step 1 stored); `messages`
 *     promise nothing about this node's disk and may leave before step 1
 *     starts (a leader's appends, heartbeats, snapshots; Raft thesis §10.2.1);
 *  3. restore the snapshot (if any) into the state machine, then apply
 *     committedEntries in order (those the host already held durably
 *     before step 1 may be applied while its write is in flight: a
 *     majority, this node included, has them on disk);
 *  4. call advance(ready); then answer readStates once applied >= index.
 * Nothing may be stepped between ready() and advance().
 */
export interface Ready {
  /** Present when role or leader changed since the last Ready. */
  readonly softState?: SoftState;
  /** Present when term, vote or commit changed since the last Ready. */
  readonly hardState?: HardState;
  /** Entries to append to stable storage, truncating any suffix from entries[0].index. */
  readonly entries: readonly Entry[];
  /** A snapshot received from the leader: persist it and restore the state machine from it. */
  readonly snapshot?: Snapshot;
  /**
   * Messages that promise nothing this Ready persists: a leader's appends,
   * heartbeats, snapshots and TimeoutNow. They may be sent before the write
   * (a leader counts its own entries only once persisted: advance/persistedTo).
   */
  readonly messages: readonly Message[];
  /** Messages that promise what this Ready persists (votes, acknowledgements): sent only after the write. */
  readonly persistedMessages: readonly Message[];
  /** Committed, not yet applied; contiguous, starting at applied + 1. */
  readonly committedEntries: readonly Entry[];
  readonly readStates: readonly ReadState[];
  /** ReadIndex requests this node can no longer serve (it lost leadership): fail them. */
  readonly droppedReads: readonly number[];
  /** False when only commit changed: the write need not be synced (commit is recomputable). */
  readonly mustSync: boolean;
}

export const PROPOSE_ERRORS = [
  'notLeader',
  'transferring',
  'tooManyUncommitted',
  'confChangePending',
  'invalidConfChange',
] as const;
export type ProposeError = (typeof PROPOSE_ERRORS)[number];

export type ProposeResult =
  | { readonly ok: true; readonly index: number; readonly term: number }
  | { readonly ok: false; readonly code: ProposeError; readonly leaderId: NodeId };

export const PROGRESS_STATES = ['probe', 'replicate', 'snapshot'] as const;
export type ProgressState = (typeof PROGRESS_STATES)[number];

export interface PeerStatus {
  readonly id: NodeId;
  readonly learner: boolean;
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
  /** Heard from within the current election timeout (CheckQuorum). */
  readonly recentActive: boolean;
}

export interface RaftStatus {
  readonly id: NodeId;
  readonly role: Role;
  readonly term: number;
  readonly vote: NodeId;
  readonly leaderId: NodeId;
  readonly commit: number;
  readonly applied: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
  readonly snapshotIndex: number;
  readonly conf: ConfState;
  /** Leader only: per member, sorted by id. */
  readonly peers: readonly PeerStatus[];
  readonly leadTransferee: NodeId;
  /** Elections started as a candidate since this node was built (see Raft.electionsStarted). */
  readonly electionsStarted: number;
}
