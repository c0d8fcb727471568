import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { formatEndpoint } from '../config/address.js';
import type { Endpoint } from '../config/address.js';
import type { FrontDoorStats } from '../server/front-door-stats.js';
import type { KvService } from '../server/kv-service.js';
import type { Logger } from '../server/logger.js';
import { orderedSession } from '../server/ordered-session.js';
import { allowed, type Cidr } from './allow-list.js';
import { McConnection } from './mc-connection.js';
import { DEFAULT_MC_LIMITS } from './mc-parser.js';
import { McStats } from './mc-stats.js';
import { listenOn } from '../net/listen.js';

/** The config's memcached lines (memcache_info, memcache_allow, memcache_item_max). */
export interface MemcacheSettings {
  readonly listen: Endpoint;
  /** Absent: every client address is served. */
  readonly allow?: readonly Cidr[];
  /** Largest item's data, bytes (memcached -I; default 1 MiB). */
  readonly itemBytesMax?: number;
}

export interface MemcacheDoorOptions extends MemcacheSettings {
  /** The same replicated data the lab and Redis ports serve. */
  readonly kv: KvService;
  /** curr_items. */
  readonly items: () => number;
  /** Shared with the other doors: INFO and /metrics count every door. */
  readonly stats: FrontDoorStats;
  readonly log: Logger;
  readonly pipelineMax?: number;
}

export interface MemcacheDoor {
  readonly server: Server;
  readonly address: Endpoint;
  readonly stats: McStats;
  close(): Promise<void>;
}

/**
 * The memcached endpoint (config `memcache_info IP:PORT`): memcached's text
 * protocol onto the same KvService as the other doors, on its own listener.
 */
export async function startMemcacheDoor(o: MemcacheDoorOptions): Promise<MemcacheDoor> {
  const stats = new McStats();
  const sockets = new Set<Socket>();
  const itemBytesMax = o.itemBytesMax ?? DEFAULT_MC_LIMITS.itemBytesMax;
  let flushTimer: NodeJS.Timeout | undefined;
  const flushAt = (atMs: number): void => {
    clearTimeout(flushTimer);
    // A timer of this process: a delayed flush_all is forgotten if the process restarts first.
    flushTimer = setTimeout(() => {
      flushTimer = undefined;
      const session = o.kv.openSession();
      session.execute({ type: 'flush' }).then(
        () => o.log.info('memcache door: delayed flush_all done'),
        (err: unknown) => o.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'memcache door: delayed flush_all failed'),
      ).finally(() => session.close());
    }, Math.min(atMs - Date.now(), 2 ** 31 - 1));
  };
  const facts = { stats, items: o.items, itemBytesMax, flushAt };
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    if (o.allow !== undefined && !allowed(o.allow, socket.remoteAddress)) {
      stats.rejectedConnections++;
      o.log.info({ remote: socket.remoteAddress }, 'memcache door: client address not in memcache_allow, refused');
      socket.on('error', () => undefined);
      // Destroyed once the line is flushed: nothing of this client is read, nor kept open.
      socket.end('SERVER_ERROR client address not allowed\r\n', () => socket.destroy());
      return;
    }
    sockets.add(socket);
    stats.totalConnections++;
    stats.currConnections++;
    o.stats.connectionsReceived++;
    o.stats.connectionsOpen++;
    const session = orderedSession(o.kv.openSession());
    new McConnection(socket, session, facts, { pipelineMax: o.pipelineMax ?? 1024, itemBytesMax }, o.stats, o.log);
    socket.on('error', (err) => o.log.debug({ err: err.message }, 'memcache door: client socket error'));
    socket.on('close', () => {
      sockets.delete(socket);
      stats.currConnections--;
      o.stats.connectionsOpen--;
      session.close();
    });
  });
  await listenOn(server, o.listen);
  o.log.info({ memcache: formatEndpoint(o.listen), ...(o.allow !== undefined ? { allow: o.allow.length } : {}), itemBytesMax }, 'memcache door listening');
  return {
    server,
    address: o.listen,
    stats,
    async close() {
      clearTimeout(flushTimer);
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
