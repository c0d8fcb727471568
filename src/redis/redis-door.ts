import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { formatEndpoint } from '../config/address.js';
import type { Endpoint } from '../config/address.js';
import type { RequirePass } from '../server/client-auth.js';
import type { FrontDoorStats } from '../server/front-door-stats.js';
import type { KvService } from '../server/kv-service.js';
import type { Logger } from '../server/logger.js';
import { orderedSession } from '../server/ordered-session.js';
import type { ClientState, DoorServices } from './redis-call.js';
import { RedisConnection } from './redis-connection.js';
import { newClientTransaction } from './transaction-commands.js';

export interface RedisDoorOptions {
  readonly listen: Endpoint;
  /** The same replicated data the lab port serves. */
  readonly kv: KvService;
  /** INFO's text (the process's sections, shared with the lab port). */
  readonly info: (sections: readonly string[]) => string;
  /** DBSIZE: the keys of every group, as this process knows them. */
  readonly dbsize: () => number;
  /** Shared with the lab port: INFO and /metrics count both doors. */
  readonly stats: FrontDoorStats;
  readonly log: Logger;
  /** Largest bulk string a client may send (config bulk_bytes_max). */
  readonly bulkBytesMax?: number;
  /** Config requirepass: every connection must AUTH first. */
  readonly requirepass?: RequirePass;
  /** Requests one connection may have in flight before reading pauses. */
  readonly pipelineMax?: number;
}

export interface RedisDoor {
  readonly server: Server;
  readonly address: Endpoint;
  close(): Promise<void>;
}

/** Where CONFIG GET's answers come from: fixed facts of kvstore, worded as Redis's parameters. */
function configFacts(o: RedisDoorOptions): ReadonlyMap<string, string> {
  return new Map([
    // Every write is in a synced Raft log before it is answered: Redis's closest words are AOF with fsync always.
    ['appendonly', 'yes'],
    ['appendfsync', 'always'],
    ['save', ''],
    ['databases', '1'],
    ['maxmemory', '0'],
    ['maxmemory-policy', 'noeviction'],
    ['maxclients', '10000'],
    ['timeout', '0'],
    ['tcp-keepalive', '300'],
    ['bind', o.listen.host],
    ['port', String(o.listen.port)],
    ['protected-mode', 'no'],
    ['cluster-enabled', 'no'],
    ['proto-max-bulk-len', String(o.bulkBytesMax ?? 512 * 1024 * 1024)],
    ['client-output-buffer-limit', 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60'],
    ['notify-keyspace-events', ''],
    ['slowlog-log-slower-than', '10000'],
    ['slowlog-max-len', '128'],
    ['lua-time-limit', '5000'],
    ['busy-reply-threshold', '5000'],
  ]);
}

/**
 * The Redis endpoint (config `redis_info IP:PORT`): Redis 7's protocol,
 * RESP2 and RESP3, onto the same KvService as the lab port. Its own
 * listener, so the lab port's bytes never change.
 */
export async function startRedisDoor(o: RedisDoorOptions): Promise<RedisDoor> {
  const conns = new Map<number, RedisConnection>();
  const sockets = new Set<Socket>();
  let nextId = 1;
  const services: DoorServices = {
    info: o.info,
    dbsize: o.dbsize,
    clients: () => [...conns.values()].map((c) => c.state),
    config: configFacts(o),
    ...(o.requirepass !== undefined ? { requirepass: o.requirepass } : {}),
  };
  // Half-open: a client that shuts down its sending side still gets its replies.
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    o.stats.connectionsReceived++;
    o.stats.connectionsOpen++;
    const now = Date.now();
    const state: ClientState = {
      id: nextId++,
      addr: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`,
      laddr: `${socket.localAddress ?? '?'}:${socket.localPort ?? 0}`,
      createdMs: now,
      proto: 2,
      name: undefined,
      libName: undefined,
      libVer: undefined,
      lastInteractionMs: now,
      lastCommand: 'NULL',
      authenticated: o.requirepass === undefined,
      closeAfterReply: false,
      tx: newClientTransaction(),
    };
    const session = orderedSession(o.kv.openSession());
    const conn = new RedisConnection(socket, state, session, services, { pipelineMax: o.pipelineMax ?? 1024, parser: o.bulkBytesMax !== undefined ? { bulkBytesMax: o.bulkBytesMax } : {} }, o.stats, o.log);
    conns.set(state.id, conn);
    socket.on('error', (err) => o.log.debug({ err: err.message }, 'redis door: client socket error'));
    socket.on('close', () => {
      state.closed = true;
      sockets.delete(socket);
      conns.delete(state.id);
      o.stats.connectionsOpen--;
      session.close();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.listen.port, o.listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  o.log.info({ redis: formatEndpoint(o.listen) }, 'redis door listening');
  return {
    server,
    address: o.listen,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
