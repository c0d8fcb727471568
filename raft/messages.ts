import type { Entry, NodeId, Snapshot } from './types.js';

/**
 * Every message between peers. `term` is the sender's term, except for
 * preVote (the term the sender would campaign in) and a granted
 * preVoteResp (echoes that term).
 */
interface Envelope {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
}

export interface PreVoteMsg extends Envelope {
  readonly type: 'preVote';
  readonly lastLogIndex: number;
  readonly lastLogTerm: number;
}

export interface VoteMsg extends Envelope {
  readonly type: 'vote';
  readonly lastLogIndex: number;
  readonly lastLogTerm: number;
  /** Set when campaigning on a leader's TimeoutNow: voters skip the lease check. */
  readonly transfer: boolean;
}

export interface VoteRespMsg extends Envelope {
  readonly type: 'voteResp' | 'preVoteResp';
  readonly reject: boolean;
}

/** AppendEntries (Raft Figure 2). */
export interface AppMsg extends Envelope {
  readonly type: 'app';
  readonly prevLogIndex: number;
  readonly prevLogTerm: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
}

export interface AppRespMsg extends Envelope {
  readonly type: 'appResp';
  /** On success: the follower's last index matching the leader. On reject: the rejected prevLogIndex. */
  readonly index: number;
  readonly reject: boolean;
  /** On reject: the largest index <= hintIndex whose term <= hintTerm may match (fast backtracking). */
  readonly hintIndex: number;
  readonly hintTerm: number;
}

export interface HeartbeatMsg extends Envelope {
  readonly type: 'heartbeat';
  /** min(follower's match, leader's commit): never beyond what the follower holds. */
  readonly commit: number;
  /** ReadIndex round this heartbeat confirms (0: none). */
  readonly readRound: number;
}

export interface HeartbeatRespMsg extends Envelope {
  readonly type: 'heartbeatResp';
  readonly readRound: number;
}

export interface SnapMsg extends Envelope {
  readonly type: 'snap';
  readonly snapshot: Snapshot;
}

/** Leadership transfer: the target campaigns at once (Raft dissertation §3.10). */
export interface TimeoutNowMsg extends Envelope {
  readonly type: 'timeoutNow';
}

export type Message =
  | PreVoteMsg
  | VoteMsg
  | VoteRespMsg
  | AppMsg
  | AppRespMsg
  | HeartbeatMsg
  | HeartbeatRespMsg
  | SnapMsg
  | TimeoutNowMsg;

export type MessageType = Message['type'];
