import { DEFAULT_RAFT_LIMITS } from '../../raft/config.js';
import { SeededRng } from '../../raft/rng.js';
import type { NodeId } from '../../raft/types.js';
import { SNAPSHOT_DATA_ON_DISK } from '../../storage/raft-store.js';
import type { RaftStore } from '../../storage/raft-store.js';
import type { SnapshotTurns } from './snapshot-turns.js';
import type { PeerTransport } from '../net/peer-transport.js';
import type { Logger } from '../server/logger.js';
import { GroupReplica } from './group-replica.js';
import type { HostLimits, SnapshotPhase } from './host-contract.js';
import { GroupTransport } from './group-transport.js';
import { NodeStateMachine } from './node-state-machine.js';
import { checkRaftMessage } from './raft-message-guard.js';
import type { TxnGroupClient } from '../txn/txn-client.js';
import { ReplicatedKv } from './replicated-kv.js';
import { ChunkedSnapshotTransport, SNAPSHOT_CHUNK_BYTES_DEFAULT, SnapshotAssembler, isSnapChunk } from './snapshot-transfer.js';

/** One group hosted by a member process: its replica, state machine and KV service. */
export interface GroupMember {
  readonly groupId: number;
  readonly replica: GroupReplica;
  readonly sm: NodeStateMachine;
  readonly store: RaftStore;
  readonly kv: ReplicatedKv;
  /** A Raft frame from a peer for this group (snapshot chunks are assembled first). */
  receive(from: NodeId, raw: unknown): void;
  /** The restart's log replay: entries after the snapshot up to the commit index on disk at start. */
  readonly replay: ReplayProgress;
}

export interface ReplayProgress {
  /** Commit index on disk at start: replay is done once applied reaches it. */
  readonly toIndex: number;
  /** Entries replayed from the local log (toIndex minus the snapshot's index). */
  readonly entries: number;
  /** Seconds from process start to the replay's end; undefined until then. */
  readonly doneSeconds: number | undefined;
}

export interface GroupMemberOptions {
  readonly selfId: NodeId;
  readonly groupId: number;
  readonly store: RaftStore;
  /** Addresses of this group's members at bootstrap (self included). */
  readonly members: ReadonlyMap<NodeId, string>;
  readonly transport: PeerTransport;
  /** Called when the group's member addresses change (conf changes carry them). */
  readonly onAddresses: (addresses: ReadonlyMap<NodeId, string>) => void;
  readonly limits: HostLimits;
  readonly electionTicks: number;
  readonly requestTimeoutMs: number;
  readonly logger: Logger;
  /** Seed of the core's election jitter (the host's only randomness). */
  readonly seed: number;
  /** How this group's transaction resolver reaches other groups (a primary may be hosted elsewhere). */
  readonly txnClient: TxnGroupClient;
  /** Metrics: how long snapshot phases take (restoring the one on disk at start counts as a restore). */
  readonly onSnapshotSeconds?: (phase: SnapshotPhase, seconds: number) => void;
  /** Shared by the groups of the process, so they take snapshots one at a time. */
  readonly snapshotTurns?: SnapshotTurns;
}

/**
 * Builds one group of a member process from its store: restores the
 * snapshot (decoded as it streams from disk), then the replica replays the
 * log after it as the loop applies committed entries.
 */
export async function openGroupMember(o: GroupMemberOptions): Promise<GroupMember> {
  const log = o.logger.child({ group: o.groupId });
  const store = o.store;
  const sm = new NodeStateMachine(o.members, o.onAddresses);
  const snap = store.log.snapshot();
  if (snap.meta.index > 0) {
    const startedMs = performance.now();
    if (snap.data === SNAPSHOT_DATA_ON_DISK) await sm.restoreFrom(store.readSnapshotChunks(snap.meta.index));
    else sm.restore(snap.data);
    o.onSnapshotSeconds?.('restore', (performance.now() - startedMs) / 1000);
  }
  // The state machine holds the state now; followers that need it get it read back from disk.
  store.releaseSnapshotData();
  o.onAddresses(sm.addresses);

  // A restart replays the log up to the commit index on disk; the rest comes from the leader.
  const replayTo = store.log.hardState().commit;
  const replay: { toIndex: number; entries: number; doneSeconds: number | undefined } = {
    toIndex: replayTo,
    entries: Math.max(0, replayTo - snap.meta.index),
    doneSeconds: undefined,
  };
  const replayDone = (applied: number): void => {
    if (replay.doneSeconds !== undefined || applied < replayTo) return;
    replay.doneSeconds = process.uptime();
    log.info({ applied, snapshotIndex: snap.meta.index, sinceProcessStartMs: Math.round(replay.doneSeconds * 1000) }, 'log replayed');
  };
  const replica: GroupReplica = new GroupReplica(
    o.groupId,
    {
      ...DEFAULT_RAFT_LIMITS,
      id: o.selfId,
      electionTicks: o.electionTicks,
      heartbeatTicks: 1,
      rng: new SeededRng(o.seed >>> 0),
      applied: snap.meta.index,
    },
    store,
    new ChunkedSnapshotTransport(new GroupTransport(o.transport, o.groupId), SNAPSHOT_CHUNK_BYTES_DEFAULT, {
      onDisk: SNAPSHOT_DATA_ON_DISK,
      snapshotBytes: (index) => store.snapshotBytes(index),
      readSnapshotChunks: (index) => store.readSnapshotChunks(index),
    }),
    sm,
    o.limits,
    {
      onSoftState: (soft) => log.info({ role: soft.role, leader: soft.leaderId, term: replica.status().term }, 'raft role'),
      onSnapshot: (kind, index) => log.info({ kind, index }, `snapshot ${kind}`),
      onApplied: (applied) => {
        replayDone(applied);
        kv.applied.notify();
      },
      ...(o.onSnapshotSeconds !== undefined ? { onSnapshotSeconds: o.onSnapshotSeconds } : {}),
    },
    Date.now,
    o.snapshotTurns,
  );
  replayDone(snap.meta.index);
  const kv = new ReplicatedKv(replica, () => sm, o.transport, o.groupId, { requestTimeoutMs: o.requestTimeoutMs, retryDelayMs: 25 }, o.txnClient);

  const snapshots = new SnapshotAssembler();
  const receive = (from: NodeId, frame: unknown): void => {
    let raw = frame;
    if (isSnapChunk(frame)) {
      const whole = snapshots.push(from, frame);
      if (whole === undefined) return;
      if (typeof whole === 'string') {
        log.warn({ from, problem: whole }, 'dropping snapshot chunk');
        return;
      }
      raw = whole;
    }
    const msg = checkRaftMessage(raw, from, o.selfId);
    if (typeof msg === 'string') {
      log.warn({ from, problem: msg }, 'dropping malformed raft message');
      return;
    }
    replica.deliver(msg);
  };
  return { groupId: o.groupId, replica, sm, store, kv, receive, replay };
}
