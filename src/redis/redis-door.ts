import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { formatEndpoint } from '../config/address.js';
import type { Endpoint } from '../config/address.js';
import type { RequirePass } from '../server/client-auth.js';
import type { FrontDoorStats } from '../server/front-door-stats.js';
import type { KvService } from '../server/kv-service.js';
import type { Logger } from '../server/logger.js';
import { orderedSession } from '../server/ordered-session.js';
import { outputBufferLimitText, parserLimitsOf } from '../server/client-limits.js';
import type { ClientLimits } from '../server/client-limits.js';
import { ClientPool, MAX_CLIENTS_REPLY } from '../server/client-pool.js';
import type { ClientState, DoorServices } from './redis-call.js';
import { RedisConnection } from './redis-connection.js';
import { newClientTransaction, watchingSession } from './transaction-commands.js';
import { listenOn } from '../net/listen.js';

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
  /** The process's clients over all doors (maxclients, timeout, buffer limits); absent, the door has its own with the defaults. */
  readonly pool?: ClientPool;
}

export interface RedisDoor {
  readonly server: Server;
  readonly address: Endpoint;
  close(): Promise<void>;
}

/** Where CONFIG GET's answers come from: fixed facts of kvstore, worded as Redis's parameters. */
function configFacts(o: RedisDoorOptions, limits: ClientLimits, bulkBytesMax: number): ReadonlyMap<string, string> {
  return new Map([
    // Every write is in a synced Raft log before it is answered: Redis's closest words are AOF with fsync always.
    ['appendonly', 'yes'],
    ['appendfsync', 'always'],
    ['save', ''],
    ['databases', '1'],
    ['maxmemory', '0'],
    ['maxmemory-policy', 'noeviction'],
    ['maxclients', String(limits.maxclients)],
    ['timeout', String(limits.idleTimeoutSec)],
    ['tcp-keepalive', '300'],
    ['bind', o.listen.host],
    ['port', String(o.listen.port)],
    ['protected-mode', 'no'],
    ['cluster-enabled', 'no'],
    ['proto-max-bulk-len', String(bulkBytesMax)],
    ['client-query-buffer-limit', String(limits.queryBufferBytes)],
    ['client-output-buffer-limit', outputBufferLimitText(limits)],
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
  const ownPool = o.pool === undefined ? new ClientPool(o.stats, o.log) : undefined;
  const pool = o.pool ?? ownPool!;
  const parser = parserLimitsOf(pool.limits, o.bulkBytesMax);
  const bulkBytesMax = parser.bulkBytesMax;
  const services: DoorServices = {
    info: o.info,
    dbsize: o.dbsize,
    clients: () => [...conns.values()].map((c) => c.state),
    config: configFacts(o, pool.limits, bulkBytesMax),
    ...(o.requirepass !== undefined ? { requirepass: o.requirepass } : {}),
  };
  // Half-open: a client that shuts down its sending side still gets its replies.
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    if (!pool.admit(socket, MAX_CLIENTS_REPLY)) return;
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
    const session = watchingSession(orderedSession(o.kv.openSession()), state.tx);
    const conn = new RedisConnection(socket, state, session, services, { pipelineMax: o.pipelineMax ?? 1024, parser, pool }, o.stats, o.log);
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
  await listenOn(server, o.listen);
  o.log.info({ redis: formatEndpoint(o.listen) }, 'redis door listening');
  return {
    server,
    address: o.listen,
    async close() {
      ownPool?.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
