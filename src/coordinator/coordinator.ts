import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { endpointKey, formatEndpoint, parseEndpoint } from '../config/address.js';
import { layoutEquals, makeLayout } from '../sharding/layout.js';
import { decodeLayout, encodeLayout } from '../sharding/layout-codec.js';
import type { Layout } from '../sharding/layout.js';
import { SlotRouter } from '../sharding/router.js';
import type { KvService } from '../server/kv-service.js';
import type { Server as HttpServer } from 'node:http';
import type { Registry } from 'prom-client';
import { closeMetricsServer, startMetricsServer } from '../metrics/metrics-server.js';
import { FrontDoorStats } from '../server/front-door-stats.js';
import { commonInfoSections } from '../server/info-common.js';
import { infoText } from '../server/info-text.js';
import { coordinatorInfoSections, coordinatorMetrics, coordinatorReadiness, coordinatorStatusJson } from './coordinator-observability.js';
import { coordinatorMembersText, coordinatorStatusText, groupLeaderView } from './coordinator-status.js';
import { txnInfoSection } from '../server/txn-info.js';
import type { CoordinatorConfig } from '../config/lab-config.js';
import { encodeBulkArray, encodeBulkString, LAB_ERROR_REPLY } from '../protocol/resp-encoder.js';
import { startRedisDoor } from '../redis/redis-door.js';
import type { RedisDoor } from '../redis/redis-door.js';
import { startMemcacheDoor, type MemcacheDoor } from '../memcache/memcache-door.js';
import { CLIENT_SERVER_OPTIONS, ClientConnection } from '../server/client-connection.js';
import { parserLimitsOf } from '../server/client-limits.js';
import { processClientPool } from '../server/fd-limit.js';
import type { KvSession } from '../server/kv-service.js';
import type { Logger } from '../server/logger.js';
import { rankAddresses } from '../sharding/rank.js';
import { randomBytes } from 'node:crypto';
import { CoordinatorError, CoordinatorKv } from './coordinator-kv.js';
import { CoordinatorTxnClient } from './coordinator-txn-client.js';
import { ParticipantTracker } from './participant-tracker.js';
import { listenOn } from '../net/listen.js';
import { StartupUndo } from '../server/startup-undo.js';
import { txnFrontDoor } from '../server/txn-front-door.js';

export interface CoordinatorLimits {
  readonly heartbeatMs: number;
  readonly deadAfterMisses: number;
  readonly requestTimeoutMs: number;
}

export const COORDINATOR_LIMITS_DEFAULT: CoordinatorLimits = {
  heartbeatMs: 100,
  deadAfterMisses: 3,
  requestTimeoutMs: 1_500,
};

export interface Coordinator {
  readonly server: Server;
  readonly tracker: ParticipantTracker;
  kvSession(): KvSession;
  /** `stat [group g]`. */
  statusText(group?: number): string;
  membersText(): string;
  /** INFO's text (the sections asked; none: all). */
  info(sections: readonly string[]): string;
  /** The metrics registry, when metrics_info is set. */
  readonly metrics: Registry | undefined;
  close(): Promise<void>;
}

/**
 * The lab's coordinator: a RESP front door that holds no data. It heartbeats
 * each participant once per period, learns every group's leader from the
 * beats, and forwards each command to the leader of its key's group. It
 * remembers nothing across restarts but its config.
 */
export async function startCoordinator(cfg: CoordinatorConfig, log: Logger, limits: CoordinatorLimits = COORDINATOR_LIMITS_DEFAULT): Promise<Coordinator> {
  const layout = layoutOf(cfg);
  const participants = layout.participants.map((address, k) => ({ id: k + 1, address: parseEndpoint(address) }));
  // Heartbeats and forwards dial each participant at its peer_route, if it has one.
  const dialed = participants.map((p) => ({ id: p.id, address: cfg.peerRoutes?.get(endpointKey(p.address)) ?? p.address }));
  const checkLayout = (reported: unknown): string | undefined => {
    const decoded = decodeLayout(reported);
    if (!decoded.ok) return `it holds an unreadable layout (${decoded.reason})`;
    const theirs = decoded.layout;
    return layoutEquals(theirs, layout) ? undefined : `it holds ${describeLayout(theirs)}, this coordinator's config says ${describeLayout(layout)}`;
  };
  const tracker = new ParticipantTracker(dialed, cfg.clusterName ?? 'kvstore', limits, log, { checkLayout, ...(cfg.clusterSecret !== undefined ? { clusterSecret: cfg.clusterSecret } : {}) });
  const groups = new Map<number, KvService>();
  for (let g = 1; g <= layout.groups; g++) groups.set(g, new CoordinatorKv(tracker, g, { requestTimeoutMs: limits.requestTimeoutMs, retryDelayMs: 25 }, log));
  // Transaction ids are new per process: a restarted coordinator never reuses one.
  const { kv, driver, stats: txnStats } = txnFrontDoor(new CoordinatorTxnClient(tracker, 25, log), `c${randomBytes(6).toString('hex')}`, new SlotRouter(layout), groups, {
    requestTimeoutMs: limits.requestTimeoutMs,
    admit: () => {
      const mismatch = tracker.layoutProblem();
      if (mismatch !== undefined) throw new CoordinatorError('LAYOUT_MISMATCH', `refused: ${mismatch}`);
    },
  });
  // A participant's first start asks for its layout (KVSTORE.LAYOUT) or, from older builds, its group.
  const groupReply = encodeBulkArray(participants.map((p) => Buffer.from(formatEndpoint(p.address))));
  const layoutReply = encodeBulkString(Buffer.from(JSON.stringify(encodeLayout(layout))));
  const admin = (name: string): Buffer | undefined => (name === 'KVSTORE.LAYOUT' ? layoutReply : name === 'KVSTORE.GROUP' ? groupReply : undefined);

  const frontDoor = new FrontDoorStats();
  // One pool for both doors: maxclients counts every client of the process, as Redis's.
  const clientPool = processClientPool(frontDoor, log, cfg.clientLimits);
  const infoSections = [
    ...commonInfoSections({ kind: 'coordinator', tcpPort: cfg.self.port, stats: frontDoor, loading: () => false, maxclients: clientPool.limits.maxclients }),
    ...coordinatorInfoSections(layout, tracker),
    txnInfoSection(txnStats, driver, () => {
      const rows = tracker.snapshot();
      return Array.from({ length: layout.groups }, (_, k) => groupLeaderView(tracker, rows, k + 1));
    }),
  ];
  const info = (sections: readonly string[]): string => infoText(infoSections, sections);
  const metrics = cfg.metricsListen !== undefined ? coordinatorMetrics(layout, tracker, frontDoor, txnStats) : undefined;

  const clients = new Set<Socket>();
  const server = createServer(CLIENT_SERVER_OPTIONS, (socket) => {
    clients.add(socket);
    socket.on('close', () => clients.delete(socket));
    socket.on('error', () => {});
    if (!clientPool.admit(socket, LAB_ERROR_REPLY)) return;
    new ClientConnection(socket, Buffer.alloc(0), kv, { pipelineMax: 1024, parser: parserLimitsOf(clientPool.limits, cfg.bulkBytesMax), pool: clientPool }, log, admin, { stats: frontDoor, info, ...(cfg.requirepass !== undefined ? { requirepass: cfg.requirepass } : {}) });
  });
  await listenOn(server, cfg.self);
  const undo = new StartupUndo();
  undo.push(() => new Promise<void>((r) => server.close(() => r())));
  undo.push(() => tracker.close());
  let metricsServer: HttpServer | undefined;
  const metricsListen = cfg.metricsListen;
  if (metrics !== undefined && metricsListen !== undefined) {
    const m = await undo.start(() =>
      startMetricsServer(metricsListen, { registry: metrics, ready: () => coordinatorReadiness(layout, tracker), status: () => coordinatorStatusJson(formatEndpoint(cfg.self), layout, tracker) }, log),
    );
    metricsServer = m;
    undo.push(() => closeMetricsServer(m));
  }
  let redisDoor: RedisDoor | undefined;
  const redisListen = cfg.redisListen;
  if (redisListen !== undefined) {
    const door = await undo.start(() =>
      startRedisDoor({ listen: redisListen, kv, info, dbsize: () => dbsizeOf(layout.groups, tracker), stats: frontDoor, log, pool: clientPool, ...(cfg.bulkBytesMax !== undefined ? { bulkBytesMax: cfg.bulkBytesMax } : {}), ...(cfg.requirepass !== undefined ? { requirepass: cfg.requirepass } : {}) }),
    );
    redisDoor = door;
    undo.push(() => door.close());
  }
  const memcache = cfg.memcache;
  const memcacheDoor: MemcacheDoor | undefined =
    memcache !== undefined ? await undo.start(() => startMemcacheDoor({ ...memcache, kv, items: () => dbsizeOf(layout.groups, tracker), stats: frontDoor, log })) : undefined;
  tracker.start();
  log.info({ listen: formatEndpoint(cfg.self), ...(cfg.metricsListen !== undefined ? { metrics: formatEndpoint(cfg.metricsListen) } : {}), ...(cfg.redisListen !== undefined ? { redis: formatEndpoint(cfg.redisListen) } : {}), participants: participants.map((p) => formatEndpoint(p.address)), groups: layout.groups, replicas: layout.replicas }, 'coordinator started');

  return {
    server,
    tracker,
    kvSession: () => kv.openSession(),
    statusText: (group) => coordinatorStatusText(cfg.self, layout, tracker, group),
    membersText: () => coordinatorMembersText(tracker),
    info,
    metrics,
    async close() {
      clientPool.close();
      await memcacheDoor?.close();
      await redisDoor?.close();
      if (metricsServer !== undefined) await closeMetricsServer(metricsServer);
      tracker.close();
      for (const s of clients) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * DBSIZE from the heartbeats: each group's key count as its leader last
 * reported it (a replica's, when no leader is known). As old as a heartbeat
 * period; expired keys not yet swept count, as in Redis.
 */
function dbsizeOf(groups: number, tracker: ParticipantTracker): number {
  const best = new Map<number, { keys: number; leader: boolean }>();
  for (const p of tracker.snapshot()) {
    for (const g of p.status?.groups ?? []) {
      if (g.keys === undefined) continue;
      const leader = g.role === 'leader';
      const seen = best.get(g.group);
      if (seen === undefined || (leader && !seen.leader)) best.set(g.group, { keys: g.keys, leader });
    }
  }
  let n = 0;
  for (let g = 1; g <= groups; g++) n += best.get(g)?.keys ?? 0;
  return n;
}

function describeLayout(l: { groups: number; replicas: number; participants: readonly unknown[] }): string {
  return `${l.groups} groups of ${l.replicas} replicas over ${l.participants.length} participants`;
}

/** The layout a coordinator config describes: participants ranked, `groups` and `replicas` lines or their defaults. */
export function layoutOf(cfg: CoordinatorConfig): Layout {
  return makeLayout(cfg.participants, { groups: cfg.groups, replicas: cfg.replicas });
}
