import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { DEFAULT_RAFT_LIMITS } from '../../raft/config.js';
import { SeededRng } from '../../raft/rng.js';
import type { ConfState, NodeId } from '../../raft/types.js';
import { RaftStore, SNAPSHOT_DATA_ON_DISK } from '../../storage/raft-store.js';
import { endpointKey, formatEndpoint, parseEndpoint } from '../config/address.js';
import type { Endpoint } from '../config/address.js';
import { sniffConnection } from '../net/connection-sniffer.js';
import { PeerTransport } from '../net/peer-transport.js';
import { ClientConnection } from '../server/client-connection.js';
import type { KvSession } from '../server/kv-service.js';
import type { Logger } from '../server/logger.js';
import { NodeStateMachine } from './node-state-machine.js';
import { RaftHost } from './raft-host.js';
import type { HostLimits } from './host-contract.js';
import { checkRaftMessage } from './raft-message-guard.js';
import { ChunkedSnapshotTransport, SNAPSHOT_CHUNK_BYTES_DEFAULT, SnapshotAssembler, isSnapChunk } from './snapshot-transfer.js';
import { ReplicatedKv } from './replicated-kv.js';

/** `{t:'members', addresses: [[id, "host:port"], ...]}` from a leader adding us, else undefined. */
function parseMembersNotice(body: unknown): Map<NodeId, string> | undefined {
  if (typeof body !== 'object' || body === null || (body as { t?: unknown }).t !== 'members') return undefined;
  const list = (body as { addresses?: unknown }).addresses;
  const out = new Map<NodeId, string>();
  if (!Array.isArray(list)) return out;
  for (const pair of list) {
    if (Array.isArray(pair) && Number.isSafeInteger(pair[0]) && pair[0] > 0 && typeof pair[1] === 'string' && /^[^:\s]+:\d{1,5}$/.test(pair[1])) {
      out.set(pair[0] as number, pair[1]);
    }
  }
  return out;
}

export interface MemberOptions {
  readonly id: NodeId;
  readonly listen: Endpoint;
  /** Members at bootstrap (id -> address, self included); empty for a node that waits to be added. */
  readonly initialMembers: ReadonlyMap<NodeId, string>;
  readonly dataDir: string;
  readonly cluster: string;
  readonly logger: Logger;
  readonly tickMs?: number;
  readonly electionTicks?: number;
  readonly snapshotEntries?: number;
  /** Applied entry bytes between snapshots (default 256 MiB), whichever of this and snapshotEntries comes first. */
  readonly snapshotBytes?: number;
  readonly requestTimeoutMs?: number;
  /** Dial some peers elsewhere (config `peer_route`), keyed by endpointKey of the peer's address. */
  readonly peerRoutes?: ReadonlyMap<string, Endpoint>;
  /** Largest RESP bulk string a client may send (config `bulk_bytes_max`). */
  readonly bulkBytesMax?: number;
}

/** A running Raft member: storage, transport, core host, KV service and its one port. */
export interface RaftMember {
  readonly id: NodeId;
  readonly host: RaftHost;
  readonly sm: () => NodeStateMachine;
  readonly server: Server;
  readonly transport: PeerTransport;
  readonly store: RaftStore;
  /** Adds a member: learner first, promoted once it has caught up. */
  addMember(id: NodeId, address: string): Promise<void>;
  removeMember(id: NodeId): Promise<void>;
  /** A client session for the node prompt. */
  kvSession(): KvSession;
  /** `stat`: id, role, term, leader, commit, applied, last log index, snapshot index. */
  statusText(): string;
  /** `list`: members with role, match index and reachability. */
  membersText(): string;
  close(): Promise<void>;
}

export async function startMember(o: MemberOptions): Promise<RaftMember> {
  const log = o.logger;
  const voters = [...o.initialMembers.keys()].sort((a, b) => a - b);
  const initialConf: ConfState = { voters, learners: [] };
  // The snapshot stays on disk: the state machine decodes it from there as it reads.
  const store = await RaftStore.open(o.dataDir, { create: true, initialConf, snapshotData: 'disk' });

  const transport = new PeerTransport({ cluster: o.cluster, selfId: o.id, logger: log });
  const dialAddress = (addr: string): Endpoint => {
    const a = parseEndpoint(addr);
    return o.peerRoutes?.get(endpointKey(a)) ?? a;
  };
  const syncAddresses = (addresses: ReadonlyMap<NodeId, string>): void => {
    for (const [id, addr] of addresses) if (id !== o.id) transport.setAddress(id, dialAddress(addr));
  };
  const sm = new NodeStateMachine(o.initialMembers, syncAddresses);
  const snap = store.log.snapshot();
  if (snap.meta.index > 0) {
    if (snap.data === SNAPSHOT_DATA_ON_DISK) await sm.restoreFrom(store.readSnapshotChunks(snap.meta.index));
    else sm.restore(snap.data);
  }
  // The state machine holds the state now; followers that need it get it read back from disk.
  store.releaseSnapshotData();
  syncAddresses(sm.addresses);

  // A restart replays the log up to the commit index on disk; the rest comes from the leader.
  const replayTo = store.log.hardState().commit;
  let replayed = false;
  const replayDone = (applied: number): void => {
    if (replayed || applied < replayTo) return;
    replayed = true;
    log.info({ applied, snapshotIndex: snap.meta.index, sinceProcessStartMs: Math.round(process.uptime() * 1000) }, 'log replayed');
  };
  const tickMs = o.tickMs ?? 50;
  const snapshotEntries = o.snapshotEntries ?? 10_000;
  const limits: HostLimits = {
    tickMs,
    snapshotEntries,
    snapshotBytes: o.snapshotBytes ?? 256 * 1024 * 1024,
    // Keep a tail for followers that lag a little, but never more than half the
    // snapshot interval: a follower that was down gets a snapshot, not a replay.
    compactionLagEntries: Math.min(1_000, Math.floor(snapshotEntries / 2)),
    pendingProposalsMax: 100_000,
    proposalBatchMax: 4_096,
  };
  let fatal = false;
  const host = new RaftHost(
    {
      ...DEFAULT_RAFT_LIMITS,
      id: o.id,
      electionTicks: o.electionTicks ?? 10,
      heartbeatTicks: 1,
      rng: new SeededRng((Date.now() ^ (o.id * 2654435761)) >>> 0),
      applied: snap.meta.index,
    },
    store,
    new ChunkedSnapshotTransport(transport, SNAPSHOT_CHUNK_BYTES_DEFAULT, {
      onDisk: SNAPSHOT_DATA_ON_DISK,
      snapshotBytes: (index) => store.snapshotBytes(index),
      readSnapshotChunks: (index) => store.readSnapshotChunks(index),
    }),
    sm,
    limits,
    {
      onSoftState: (soft) => log.info({ role: soft.role, leader: soft.leaderId, term: host.status().term }, 'raft role'),
      onSnapshot: (kind, index) => log.info({ kind, index }, `snapshot ${kind}`),
      onApplied: replayDone,
      onFatal: (err) => {
        if (fatal) return;
        fatal = true;
        // Storage failed or an invariant broke: continuing could diverge. Crash loudly.
        log.fatal({ err: err instanceof Error ? err.stack : String(err) }, 'raft host failed');
        process.exitCode = 1;
        setImmediate(() => process.exit(1));
      },
    },
  );

  const kv = new ReplicatedKv(host, () => sm, transport, {
    requestTimeoutMs: o.requestTimeoutMs ?? 1_500,
    retryDelayMs: 25,
  });

  const snapshots = new SnapshotAssembler();
  transport.onRaft((from, frame) => {
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
    const msg = checkRaftMessage(raw, from, o.id);
    if (typeof msg === 'string') {
      log.warn({ from, problem: msg }, 'dropping malformed raft message');
      return;
    }
    host.deliver(msg);
  });
  transport.onRequest(async (from, body) => {
    if (typeof body === 'object' && body !== null && (body as { t?: unknown }).t === 'status') {
      // The coordinator's heartbeat.
      const st = host.status();
      return { id: st.id, role: st.role, term: st.term, leaderId: st.leaderId, commit: st.commit, applied: st.applied };
    }
    const members = parseMembersNotice(body);
    if (members === undefined) return kv.serveForwarded(body);
    // A leader adding us tells us where everyone is before it replicates to us.
    log.info({ from, members: Object.fromEntries(members) }, 'learned member addresses');
    for (const [id, addr] of members) if (!sm.addresses.has(id)) sm.addresses.set(id, addr);
    syncAddresses(sm.addresses);
    return { t: 'ok' };
  });
  transport.onUnreachable((peer) => {
    void host.withNode((n) => n.reportUnreachable(peer));
  });

  const clients = new Set<Socket>();
  const server = createServer((socket) => {
    socket.on('error', () => {});
    sniffConnection(socket, {
      onPeer: (s, head) => transport.acceptPeer(s, head),
      onClient: (s, head) => {
        clients.add(s);
        s.on('close', () => clients.delete(s));
        new ClientConnection(s, head, kv, { pipelineMax: 1024, parser: o.bulkBytesMax !== undefined ? { bulkBytesMax: o.bulkBytesMax } : {} }, log);
      },
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.listen.port, o.listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  host.start();
  replayDone(snap.meta.index);
  log.info({ id: o.id, listen: formatEndpoint(o.listen), dataDir: o.dataDir, members: voters }, 'member started');

  const waitCaughtUp = async (id: NodeId): Promise<void> => {
    for (let k = 0; k < 600; k++) {
      const st = host.status();
      const pr = st.peers.find((p) => p.id === id);
      if (pr !== undefined && pr.match >= st.commit) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`node ${id} did not catch up`);
  };

  const confChange = async (change: Parameters<typeof host.node.proposeConfChange>[0]): Promise<void> => {
    const res = await host.withNode((n) => n.proposeConfChange(change));
    if (!res.ok) throw new Error(`membership change refused: ${res.code}`);
    // Applied when the host applies the entry at res.index.
    for (let k = 0; k < 200; k++) {
      if (host.status().applied >= res.index) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('membership change did not commit in time');
  };

  return {
    id: o.id,
    host,
    sm: () => sm,
    server,
    transport,
    store,
    async addMember(id, address) {
      transport.setAddress(id, dialAddress(address));
      const book: Array<[NodeId, string]> = [...sm.addresses.entries(), [o.id, formatEndpoint(o.listen)]];
      // The newcomer must know where we are before it can answer us: tell it,
      // retrying while it starts up, and give up with a clear error.
      for (let attempt = 0; ; attempt++) {
        try {
          await transport.request(id, { t: 'members', addresses: book }, 1_000);
          break;
        } catch (err) {
          if (attempt >= 50) throw new Error(`cannot reach node ${id} at ${address}: ${err instanceof Error ? err.message : String(err)}`);
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      // An empty newcomer learns the bootstrap membership only from a snapshot.
      await host.snapshotNow();
      await confChange({ type: 'addLearner', nodeId: id, context: address });
      await waitCaughtUp(id);
      await confChange({ type: 'promote', nodeId: id });
    },
    async removeMember(id) {
      await confChange({ type: 'remove', nodeId: id });
    },
    kvSession: () => kv.openSession(),
    statusText: () => {
      const st = host.status();
      return [
        `id        ${st.id}`,
        `role      ${st.role}`,
        `term      ${st.term}`,
        `leader    ${st.leaderId === 0 ? 'none' : st.leaderId}`,
        `commit    ${st.commit}`,
        `applied   ${st.applied}`,
        `last log  ${st.lastIndex}`,
        `snapshot  ${st.snapshotIndex}`,
        `keys      ${sm.kv.size}`,
      ].join('\n');
    },
    membersText: () => {
      const st = host.status();
      const rows = ['id  address               role      match     reachable'];
      const members = [...st.conf.voters.map((id) => [id, 'voter'] as const), ...st.conf.learners.map((id) => [id, 'learner'] as const)];
      members.sort((a, b) => a[0] - b[0]);
      const peerStats = transport.stats().peers;
      for (const [id, kind] of members) {
        const pr = st.peers.find((p) => p.id === id);
        const role = id === st.leaderId ? 'leader' : kind === 'learner' ? 'learner' : 'follower';
        const addr = id === o.id ? formatEndpoint(o.listen) : (sm.addresses.get(id) ?? '?');
        const match = id === o.id ? String(st.lastIndex) : pr !== undefined ? String(pr.match) : '-';
        const link = peerStats[String(id)];
        const reachable = id === o.id ? 'self' : link === undefined ? 'unknown' : link.state === 'ready' ? 'yes' : 'no';
        rows.push(`${String(id).padEnd(4)}${addr.padEnd(22)}${role.padEnd(10)}${match.padEnd(10)}${reachable}`);
      }
      return rows.join('\n');
    },
    async close() {
      host.close();
      // Peer sockets belong to the transport: close it first, or server.close() waits on them.
      transport.close();
      for (const s of clients) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await store.close();
    },
  };
}
