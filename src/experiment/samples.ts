/**
 * What an experiment records, all in milliseconds since its start (one
 * clock: experiment-clock.ts). These are the raw data of the report: every
 * number the report shows is derived from them.
 */

/** One group as one member's /metrics showed it. */
export interface GroupSample {
  readonly group: number;
  /** leader, follower, candidate, precandidate, learner... as kvstore_raft_role says. */
  readonly role: string;
  readonly term: number;
  /** 0: none known. */
  readonly leaderId: number;
  readonly commit: number;
  readonly applied: number;
  readonly lastIndex: number;
  readonly snapshotIndex: number;
  readonly electionsStarted: number;
}

/** One scrape of one member. `up` false: no answer within the scrape timeout (dead, paused, or not yet listening). */
export interface NodeSample {
  readonly tMs: number;
  readonly node: string;
  readonly up: boolean;
  /** The member's id (kvstore_build_info's node label; 0 for a coordinator). */
  readonly nodeId?: number;
  readonly groups: readonly GroupSample[];
  /** kvstore_peer_sent_bytes_total by peer label. */
  readonly peerSentBytes: Readonly<Record<string, number>>;
  /** kvstore_restart_replay_entries (entries replayed from the local log at start), once known. */
  readonly replayEntries?: number;
  /** kvstore_restart_replay_duration_seconds, once every group has replayed. */
  readonly replaySeconds?: number;
  /** Counts of the snapshot duration histograms: taken here, sent to followers, restored (received, or from disk at start). */
  readonly snapshotsSaved: number;
  readonly snapshotsSent: number;
  readonly snapshotsRestored: number;
  /** kvstore_txn_open over every group: prepared records holding locks. */
  readonly txnOpen: number;
}

export const REQUEST_OUTCOMES = ['ok', 'error', 'timeout', 'closed'] as const;
export type RequestOutcome = (typeof REQUEST_OUTCOMES)[number];

/** One client request, as the experiment's own load saw it. */
export interface RequestRecord {
  readonly client: number;
  readonly op: 'set' | 'mset';
  /** The keys written, and the value each got (one word). */
  readonly keys: readonly string[];
  readonly value: string;
  /** The groups the keys belong to. */
  readonly groups: readonly number[];
  readonly startMs: number;
  readonly endMs: number;
  readonly outcome: RequestOutcome;
}

/** One action the timeline performed, when it was done, on whom. */
export interface ActionEvent {
  readonly tMs: number;
  /** kill, stop, restart, pause, resume, partition, heal, load-start, load-stop, caught-up-wait. */
  readonly action: string;
  /** Member names acted on (both sides for a partition: `targets` one side, `others` the other). */
  readonly targets: readonly string[];
  readonly others?: readonly string[];
  readonly note?: string;
}
