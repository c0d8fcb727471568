import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import type { NodeId } from '../../raft/types.js';
import { ProcessStore } from '../../storage/process-store.js';
import { endpointKey, formatEndpoint, parseEndpoint } from '../config/address.js';
import type { Endpoint } from '../config/address.js';
import { sniffConnection } from '../net/connection-sniffer.js';
import { PeerTransport } from '../net/peer-transport.js';
import type { ClusterSecret } from '../net/peer-auth.js';
import type { RequirePass } from '../server/client-auth.js';
import type { Server as HttpServer } from 'node:http';
import type { Registry } from 'prom-client';
import { memberMetrics } from '../metrics/member-metrics.js';
import { closeMetricsServer, startMetricsServer } from '../metrics/metrics-server.js';
import type { ParticipantStatus } from '../rpc/participant-status.js';
import { startRedisDoor } from '../redis/redis-door.js';
import type { RedisDoor } from '../redis/redis-door.js';
import { LAB_ERROR_REPLY } from '../protocol/resp-encoder.js';
import { startMemcacheDoor, type MemcacheDoor, type MemcacheSettings } from '../memcache/memcache-door.js';
import { CLIENT_SERVER_OPTIONS, ClientConnection } from '../server/client-connection.js';
import { parserLimitsOf, type ClientLimits } from '../server/client-limits.js';
import { processClientPool } from '../server/fd-limit.js';
import { FrontDoorStats } from '../server/front-door-stats.js';
import { commonInfoSections } from '../server/info-common.js';
import { infoText } from '../server/info-text.js';
import type { KvService, KvSession } from '../server/kv-service.js';
import type { Logger } from '../server/logger.js';
import type { KeyRouter } from '../server/routed-kv.js';
import { groupOfRequest, parseForwardRequest } from '../rpc/forward-protocol.js';
import { openGroupMember } from './group-member.js';
import type { GroupMember, GroupMemberOptions } from './group-member.js';
import { IMMEDIATE_SCHEDULER, intervalTicker } from './host-contract.js';
import type { HostLimits } from './host-contract.js';
import { HostLoop } from './host-loop.js';
import { SnapshotTurns } from './snapshot-turns.js';
import { ExpirySweeper } from './expiry-sweeper.js';
import { LeaderBalancer } from './leader-balancer.js';
import { memberAdmin, parseMembersNotice } from './member-admin.js';
import { chooseGroup, chooseGroups, snapshotNow, transferLeadership } from './member-operator.js';
import { memberInfoSections, memberReadiness, memberStatusJson } from './member-status.js';
import { memberListText, memberStatusText } from './member-text.js';
import { NodeError } from './node-error.js';
import { MemberTxnClient } from './member-txn-client.js';
import { groupTxnViews, resolverTotals, startTxnSweeper } from './member-txn.js';
import { txnInfoSection } from '../server/txn-info.js';
import { randomBytes } from 'node:crypto';
import { listenOn } from '../net/listen.js';
import { StartupUndo } from '../server/startup-undo.js';
import { txnFrontDoor } from '../server/txn-front-door.js';

/** One group this process hosts: its id, its voters at bootstrap, and who should lead it. */
export interface HostedGroup {
  readonly id: number;
  readonly voters: readonly NodeId[];
  /** Leadership is handed to this member when it is active and caught up (multi-group only). */
  readonly preferredLeader?: NodeId;
}

export interface MemberOptions {
  readonly id: NodeId;
  readonly listen: Endpoint;
  /** Addresses of every member at bootstrap (id -> address, self included); empty for a node that waits to be added. */
  readonly initialMembers: ReadonlyMap<NodeId, string>;
  /** Multi-raft: the groups this process hosts and the router of its front door. Absent: group 1 over initialMembers. */
  readonly sharding?: {
    readonly groups: readonly HostedGroup[];
    readonly router: KeyRouter;
    readonly layout: unknown;
    /** Every group's replicas by member id: transactions reach groups this process does not host. */
    readonly replicasOf: (group: number) => readonly NodeId[];
  };
  readonly dataDir: string;
  readonly cluster: string;
  /** config cluster_secret: every peer connection proves it both ways; absent, none is asked or offered. */
  readonly clusterSecret?: ClusterSecret;
  /** config requirepass: clients must AUTH before anything but PING and QUIT. */
  readonly requirepass?: RequirePass;
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
  /** Config maxclients, timeout, client_*_buffer_limit (src/server/client-limits.ts); absent ones take the defaults. */
  readonly clientLimits?: Partial<ClientLimits>;
  /** What this process is, in INFO and metrics (default raft: a kvstoreraftsystem peer). */
  readonly kind?: 'participant' | 'raft';
  /** Config `metrics_info`: serve /metrics, /health, /readyz and /status here. Absent: no metrics are kept. */
  readonly metricsListen?: Endpoint;
  /** Config `redis_info`: serve the Redis endpoint here (same data, real Redis replies). Absent: none. */
  readonly redisListen?: Endpoint;
  /** Config `memcache_info` (+ allow list, item limit): serve the memcached text endpoint here. Absent: none. */
  readonly memcache?: MemcacheSettings;
}

/** A running member process: one store, transport, loop and port for every group it hosts. */
export interface RaftMember {
  readonly id: NodeId;
  readonly groups: readonly GroupMember[];
  readonly loop: HostLoop;
  readonly server: Server;
  readonly transport: PeerTransport;
  readonly store: ProcessStore;
  /** Adds a member: learner first, promoted once it has caught up (single-group members only). */
  addMember(id: NodeId, address: string): Promise<void>;
  removeMember(id: NodeId): Promise<void>;
  /** A client session for the node prompt. */
  kvSession(): KvSession;
  /** `stat [group g]`: per group: role, term, leader, commit, applied, last log index, snapshot index. */
  statusText(group?: number): string;
  /** `list [group g]`: members of each group with role, match index and reachability. */
  membersText(group?: number): string;
  /** `transfer <id> [group g]`: leadership of the group to `to`; resolves once `to` leads. */
  transfer(to: NodeId, group?: number): Promise<{ readonly group: number; readonly term: number }>;
  /** `snapshot [group g]`: one snapshot now in the group named, or in each; the index each covers. */
  snapshot(group?: number): Promise<Array<{ readonly group: number; readonly index: number }>>;
  /** INFO's text (the sections asked; none: all). */
  info(sections: readonly string[]): string;
  /** The metrics registry, when metrics_info is set. */
  readonly metrics: Registry | undefined;
  close(): Promise<void>;
}

export async function startMember(o: MemberOptions): Promise<RaftMember> {
  const log = o.logger;
  const selfAddress = formatEndpoint(o.listen);
  const hosted: readonly HostedGroup[] = o.sharding?.groups ?? [{ id: 1, voters: [...o.initialMembers.keys()].sort((a, b) => a - b) }];
  const kind = o.kind ?? 'raft';
  const frontDoor = new FrontDoorStats();
  // One pool for both doors: maxclients counts every client of the process, as Redis's.
  const clientPool = processClientPool(frontDoor, log, o.clientLimits);
  const metrics = o.metricsListen !== undefined ? memberMetrics(kind, o.id, frontDoor) : undefined;
  const store = await ProcessStore.open(o.dataDir, { create: true, ...(metrics !== undefined ? { onBatch: metrics.onBatch } : {}) });

  const transport = new PeerTransport({ cluster: o.cluster, selfId: o.id, logger: log, ...(o.clusterSecret !== undefined ? { clusterSecret: o.clusterSecret } : {}) });
  const dialAddress = (addr: string): Endpoint => {
    const a = parseEndpoint(addr);
    return o.peerRoutes?.get(endpointKey(a)) ?? a;
  };
  const syncAddresses = (addresses: ReadonlyMap<NodeId, string>): void => {
    for (const [id, addr] of addresses) if (id !== o.id) transport.setAddress(id, dialAddress(addr));
  };
  const tickMs = o.tickMs ?? 50;
  const loop = new HostLoop(tickMs, IMMEDIATE_SCHEDULER, intervalTicker(), crashOnHostFailure(log));

  // Every member of the layout is reachable by id: a transaction's primary group may be hosted elsewhere.
  if (o.sharding !== undefined) syncAddresses(o.initialMembers);
  const txnClient = new MemberTxnClient(o.sharding?.replicasOf ?? (() => []), transport, 25);
  let groups: GroupMember[];
  try {
    groups = await openGroups(o, hosted, { store, transport, syncAddresses, limits: hostLimits(o, tickMs), txnClient, ...(metrics !== undefined ? { onSnapshotSeconds: metrics.onSnapshotSeconds } : {}) });
  } catch (err) {
    await store.close();
    throw err;
  }
  for (const g of groups) loop.add(g.replica);
  txnClient.attach(new Map(groups.map((g) => [g.groupId, g.kv])));
  const stopSweeper = startTxnSweeper(groups);
  // This peer's front door runs the same 2PC as the coordinator's, with its own transaction ids.
  // One group (the lab shape) routes too: EXEC and MSETNX are transactions even there.
  const onlyGroup = groups[0]!.groupId;
  const { kv, driver, stats: txnStats } = txnFrontDoor(txnClient, `m${o.id}-${randomBytes(5).toString('hex')}`, o.sharding?.router ?? { groupOf: () => onlyGroup }, new Map(groups.map((g) => [g.groupId, g.kv])), {
    requestTimeoutMs: o.requestTimeoutMs ?? 1_500,
  });
  metrics?.watch({ groups, loop, transport, txn: txnStats });

  const infoSections = [
    ...commonInfoSections({ kind, tcpPort: o.listen.port, stats: frontDoor, loading: () => groups.some((g) => g.replay.doneSeconds === undefined), maxclients: clientPool.limits.maxclients }),
    ...memberInfoSections(o.id, groups),
    txnInfoSection(
      txnStats,
      driver,
      () => groupTxnViews(groups),
      () => resolverTotals(groups),
    ),
  ];
  const info = (sections: readonly string[]): string => infoText(infoSections, sections);

  serveTransport(transport, o.id, groups, o.sharding?.layout, syncAddresses, log);

  const { server, clients } = memberServer(o, { transport, kv, info, clientPool, frontDoor, log });
  const { metricsServer, redisDoor, memcacheDoor } = await startDoors(o, { server, store, transport, kv, info, groups, frontDoor, clientPool, metrics, log });
  loop.start();
  const balancer =
    groups.length > 1 ? new LeaderBalancer(o.id, groups.map((g, k) => ({ replica: g.replica, preferred: hosted[k]!.preferredLeader ?? 0 })), log) : undefined;
  balancer?.start();
  const expirySweeper = new ExpirySweeper(groups, log);
  expirySweeper.start();
  log.info({ id: o.id, listen: selfAddress, dataDir: o.dataDir, ...(o.metricsListen !== undefined ? { metrics: formatEndpoint(o.metricsListen) } : {}), ...(o.redisListen !== undefined ? { redis: formatEndpoint(o.redisListen) } : {}), groups: hosted.map((h) => ({ group: h.id, voters: h.voters })) }, 'member started');

  const admin = memberAdmin(groups[0]!, transport, { id: o.id, address: selfAddress }, (id, address) => transport.setAddress(id, dialAddress(address)));
  const singleGroupOnly = (): Promise<never> => Promise.reject(new Error('membership changes are for single-group members; this one hosts several groups with a static layout'));

  return {
    id: o.id,
    groups,
    loop,
    server,
    transport,
    store,
    addMember: (id, address) => (groups.length === 1 ? admin.addMember(id, address) : singleGroupOnly()),
    removeMember: (id) => (groups.length === 1 ? admin.removeMember(id) : singleGroupOnly()),
    kvSession: () => kv.openSession(),
    statusText: (group) => memberStatusText(o.id, chooseGroups(groups, group), groups.length > 1),
    membersText: (group) => memberListText(o.id, selfAddress, chooseGroups(groups, group), transport.stats().peers, groups.length > 1),
    async transfer(to, group) {
      const g = chooseGroup(groups, group, `transfer ${to} group <g>`);
      // Two election timeouts: the core gives a transfer one, then gives up on it.
      const { term } = await transferLeadership(o.id, g, to, 2 * (o.electionTicks ?? 10) * tickMs + 500);
      return { group: g.groupId, term };
    },
    snapshot: (group) => snapshotNow(chooseGroups(groups, group)),
    info,
    metrics: metrics?.registry,
    async close() {
      stopSweeper();
      balancer?.stop();
      expirySweeper.stop();
      clientPool.close();
      await memcacheDoor?.close();
      await redisDoor?.close();
      if (metricsServer !== undefined) await closeMetricsServer(metricsServer);
      loop.close();
      // Peer sockets belong to the transport: close it first, or server.close() waits on them.
      transport.close();
      for (const s of clients) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await store.close();
    },
  };
}

function statusReply(id: NodeId, groups: readonly GroupMember[], layout: unknown): ParticipantStatus {
  return {
    id,
    groups: groups.map((g) => {
      const st = g.replica.status();
      const txns = g.sm.kv.txns;
      return { group: g.groupId, role: st.role, term: st.term, leaderId: st.leaderId, commit: st.commit, applied: st.applied, prepared: txns.preparedCount, decisions: txns.decisionCount, keys: g.sm.kv.size };
    }),
    ...(layout !== undefined ? { layout } : {}),
  };
}

/** The host loop's fatal handler: storage failed or an invariant broke, and continuing could diverge. Crash loudly. */
function crashOnHostFailure(log: Logger): (err: unknown) => void {
  let fatal = false;
  return (err) => {
    if (fatal) return;
    fatal = true;
    log.fatal({ err: err instanceof Error ? err.stack : String(err) }, 'raft host failed');
    process.exitCode = 1;
    setImmediate(() => process.exit(1));
  };
}

function hostLimits(o: MemberOptions, tickMs: number): HostLimits {
  const snapshotEntries = o.snapshotEntries ?? 10_000;
  return {
    tickMs,
    snapshotEntries,
    snapshotBytes: o.snapshotBytes ?? 256 * 1024 * 1024,
    // Keep a tail for followers that lag a little, but never more than half the
    // snapshot interval: a follower that was down gets a snapshot, not a replay.
    compactionLagEntries: Math.min(1_000, Math.floor(snapshotEntries / 2)),
    pendingProposalsMax: 100_000,
    proposalBatchMax: 4_096,
  };
}

interface GroupsSetting {
  readonly store: ProcessStore;
  readonly transport: PeerTransport;
  readonly syncAddresses: (addresses: ReadonlyMap<NodeId, string>) => void;
  readonly limits: HostLimits;
  readonly txnClient: MemberTxnClient;
  readonly onSnapshotSeconds?: GroupMemberOptions['onSnapshotSeconds'];
}

/** Opens (and replays) this process's replica of every group it hosts, in one shared store. */
async function openGroups(o: MemberOptions, hosted: readonly HostedGroup[], s: GroupsSetting): Promise<GroupMember[]> {
  const groups: GroupMember[] = [];
  // The groups of this process take snapshots one at a time (their buffers would add up at the peak).
  const snapshotTurns = new SnapshotTurns();
  for (const h of hosted) {
    const members = new Map([...o.initialMembers].filter(([id]) => h.voters.includes(id)));
    const groupStore = await s.store.openGroup(h.id, { initialConf: { voters: [...h.voters], learners: [] }, snapshotData: 'disk' });
    groups.push(
      await openGroupMember({
        selfId: o.id,
        groupId: h.id,
        store: groupStore,
        members,
        transport: s.transport,
        onAddresses: s.syncAddresses,
        limits: s.limits,
        electionTicks: o.electionTicks ?? 10,
        requestTimeoutMs: o.requestTimeoutMs ?? 1_500,
        logger: o.logger,
        seed: Date.now() ^ (o.id * 2654435761) ^ (h.id * 40503),
        txnClient: s.txnClient,
        snapshotTurns,
        ...(s.onSnapshotSeconds !== undefined ? { onSnapshotSeconds: s.onSnapshotSeconds } : {}),
      }),
    );
  }
  return groups;
}

/** What peers send: Raft messages by group, status asks, member address notices, forwarded client requests. */
function serveTransport(
  transport: PeerTransport,
  selfId: NodeId,
  groups: readonly GroupMember[],
  layout: ParticipantStatus['layout'] | undefined,
  syncAddresses: (addresses: ReadonlyMap<NodeId, string>) => void,
  log: Logger,
): void {
  const byId = new Map(groups.map((g) => [g.groupId, g]));
  transport.onRaft((from, frame, group) => {
    const g = byId.get(group);
    if (g === undefined) {
      log.warn({ from, group }, 'dropping a raft message for a group this member does not host');
      return;
    }
    g.receive(from, frame);
  });
  transport.onRequest(async (from, body) => {
    const t = typeof body === 'object' && body !== null ? (body as { t?: unknown }).t : undefined;
    if (t === 'status') return statusReply(selfId, groups, layout);
    const members = parseMembersNotice(body);
    if (members !== undefined) {
      // A leader adding us tells us where everyone is before it replicates to us.
      log.info({ from, members: Object.fromEntries(members) }, 'learned member addresses');
      const sm = groups[0]!.sm;
      for (const [id, addr] of members) if (!sm.addresses.has(id)) sm.addresses.set(id, addr);
      syncAddresses(sm.addresses);
      return { t: 'ok' };
    }
    const req = parseForwardRequest(body);
    if (typeof req === 'string') throw new NodeError('BAD_REQUEST', `forwarded request: ${req}`);
    const g = byId.get(groupOfRequest(req));
    if (g === undefined) throw new NodeError('BAD_REQUEST', `forwarded request for group ${groupOfRequest(req)}, which this member does not host`);
    return g.kv.serveForwarded(req);
  });
  transport.onUnreachable((peer) => {
    for (const g of groups) void g.replica.withNode((n) => n.reportUnreachable(peer)).catch(() => undefined);
  });

}

/** The member's one port: peers (told apart by their first byte) go to the transport, clients to the lab front door. */
function memberServer(
  o: MemberOptions,
  d: Pick<DoorsSetting, 'transport' | 'kv' | 'info' | 'clientPool' | 'frontDoor' | 'log'>,
): { server: Server; clients: Set<Socket> } {
  const clients = new Set<Socket>();
  const server = createServer(CLIENT_SERVER_OPTIONS, (socket) => {
    socket.on('error', () => {});
    sniffConnection(socket, {
      onPeer: (s, head) => d.transport.acceptPeer(s, head),
      onClient: (s, head) => {
        if (!d.clientPool.admit(s, LAB_ERROR_REPLY)) return;
        clients.add(s);
        s.on('close', () => clients.delete(s));
        new ClientConnection(s, head, d.kv, { pipelineMax: 1024, parser: parserLimitsOf(d.clientPool.limits, o.bulkBytesMax), pool: d.clientPool }, d.log, undefined, { stats: d.frontDoor, info: d.info, ...(o.requirepass !== undefined ? { requirepass: o.requirepass } : {}) });
      },
    });
  });
  return { server, clients };
}

interface DoorsSetting {
  readonly server: Server;
  readonly store: ProcessStore;
  readonly transport: PeerTransport;
  readonly kv: KvService;
  readonly info: (sections: readonly string[]) => string;
  readonly groups: readonly GroupMember[];
  readonly frontDoor: FrontDoorStats;
  readonly clientPool: ReturnType<typeof processClientPool>;
  readonly metrics: ReturnType<typeof memberMetrics> | undefined;
  readonly log: Logger;
}

/**
 * Listens on the member's port, then starts the optional doors (metrics,
 * Redis, memcached). A door that cannot start undoes everything started
 * before it, newest first (the transport before the server: peer sockets
 * belong to it, or server.close() waits on them), then the store.
 */
async function startDoors(
  o: MemberOptions,
  d: DoorsSetting,
): Promise<{ metricsServer: HttpServer | undefined; redisDoor: RedisDoor | undefined; memcacheDoor: MemcacheDoor | undefined }> {
  const undo = new StartupUndo();
  undo.push(() => d.store.close());
  undo.push(() => d.transport.close());
  await undo.start(() => listenOn(d.server, o.listen));
  // Peer sockets belong to the transport: it closes first (again: idempotent), or server.close() waits on them.
  undo.push(() => {
    d.transport.close();
    return new Promise<void>((r) => d.server.close(() => r()));
  });
  const started = <T>(start: () => Promise<T>): Promise<T> => undo.start(start);
  let metricsServer: HttpServer | undefined;
  const metrics = d.metrics;
  if (metrics !== undefined && o.metricsListen !== undefined) {
    const listen = o.metricsListen;
    metricsServer = await started(() => startMetricsServer(listen, { registry: metrics.registry, ready: () => memberReadiness(d.groups), status: () => memberStatusJson(o.id, o.kind ?? 'raft', d.groups) }, d.log));
    const m = metricsServer;
    undo.push(() => closeMetricsServer(m));
  }
  let redisDoor: RedisDoor | undefined;
  if (o.redisListen !== undefined) {
    const listen = o.redisListen;
    // DBSIZE: the keys of this process's replica of every group (a raft peer hosts them all).
    const dbsize = (): number => d.groups.reduce((n, g) => n + g.sm.kv.size, 0);
    const door = await started(() =>
      startRedisDoor({ listen, kv: d.kv, info: d.info, dbsize, stats: d.frontDoor, log: d.log, pool: d.clientPool, ...(o.bulkBytesMax !== undefined ? { bulkBytesMax: o.bulkBytesMax } : {}), ...(o.requirepass !== undefined ? { requirepass: o.requirepass } : {}) }),
    );
    redisDoor = door;
    undo.push(() => door.close());
  }
  let memcacheDoor: MemcacheDoor | undefined;
  if (o.memcache !== undefined) {
    const settings = o.memcache;
    memcacheDoor = await started(() => startMemcacheDoor({ ...settings, kv: d.kv, items: () => d.groups.reduce((n, g) => n + g.sm.kv.size, 0), stats: d.frontDoor, log: d.log }));
  }
  return { metricsServer, redisDoor, memcacheDoor };
}
