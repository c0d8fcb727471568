import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { endpointKey, formatEndpoint } from '../config/address.js';
import type { CoordinatorConfig } from '../config/lab-config.js';
import { encodeBulkArray } from '../protocol/resp-encoder.js';
import { ClientConnection } from '../server/client-connection.js';
import type { KvSession } from '../server/kv-service.js';
import type { Logger } from '../server/logger.js';
import { rankAddresses } from '../sharding/rank.js';
import { CoordinatorKv } from './coordinator-kv.js';
import { ParticipantTracker } from './participant-tracker.js';

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
  statusText(): string;
  membersText(): string;
  close(): Promise<void>;
}

/** Participant ids are the ranks of their addresses in sorted order: the same for everyone. */
export function rankParticipants(cfg: CoordinatorConfig): Array<{ id: number; address: CoordinatorConfig['self'] }> {
  return rankAddresses(cfg.participants);
}

/**
 * The lab's coordinator: a RESP front door that holds no data. It heartbeats
 * the participants, follows their leader and forwards every command there.
 * It remembers nothing across restarts but its config.
 */
export async function startCoordinator(cfg: CoordinatorConfig, log: Logger, limits: CoordinatorLimits = COORDINATOR_LIMITS_DEFAULT): Promise<Coordinator> {
  const participants = rankParticipants(cfg);
  // Heartbeats and forwards dial each participant at its peer_route, if it has one.
  const dialed = participants.map((p) => ({ id: p.id, address: cfg.peerRoutes?.get(endpointKey(p.address)) ?? p.address }));
  const tracker = new ParticipantTracker(dialed, cfg.clusterName ?? 'kvstore', limits, log);
  const kv = new CoordinatorKv(tracker, { requestTimeoutMs: limits.requestTimeoutMs, retryDelayMs: 25 }, log);
  const groupReply = encodeBulkArray(participants.map((p) => Buffer.from(formatEndpoint(p.address))));
  const admin = (name: string): Buffer | undefined => (name === 'KVSTORE.GROUP' ? groupReply : undefined);

  const clients = new Set<Socket>();
  const server = createServer((socket) => {
    clients.add(socket);
    socket.on('close', () => clients.delete(socket));
    socket.on('error', () => {});
    new ClientConnection(socket, Buffer.alloc(0), kv, { pipelineMax: 1024, parser: cfg.bulkBytesMax !== undefined ? { bulkBytesMax: cfg.bulkBytesMax } : {} }, log, admin);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.self.port, cfg.self.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  tracker.start();
  log.info({ listen: formatEndpoint(cfg.self), participants: participants.map((p) => formatEndpoint(p.address)) }, 'coordinator started');

  return {
    server,
    tracker,
    kvSession: () => kv.openSession(),
    statusText: () => {
      const rows = tracker.snapshot();
      const leader = tracker.leader();
      const live = rows.filter((r) => r.alive).length;
      const lead = rows.find((r) => r.id === leader?.id);
      return [
        `coordinator  ${formatEndpoint(cfg.self)}`,
        `participants ${rows.length} (${live} alive)`,
        `leader       ${lead === undefined ? 'none' : `${lead.id} ${formatEndpoint(lead.address)}`}`,
        `term         ${lead?.status?.term ?? '-'}`,
        `commit       ${lead?.status?.commit ?? '-'}`,
      ].join('\n');
    },
    membersText: () => {
      const out = ['id  address               liveness  role      term    commit'];
      for (const r of tracker.snapshot()) {
        const st = r.status;
        out.push(
          `${String(r.id).padEnd(4)}${formatEndpoint(r.address).padEnd(22)}${(r.alive ? 'alive' : 'dead').padEnd(10)}${(st?.role ?? '-').padEnd(10)}${String(st?.term ?? '-').padEnd(8)}${st?.commit ?? '-'}`,
        );
      }
      return out.join('\n');
    },
    async close() {
      tracker.close();
      for (const s of clients) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
