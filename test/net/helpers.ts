import { createServer, type Server, type Socket } from 'node:net';
import type { ExecutionContext } from 'ava';
import { sniffConnection } from '../../src/net/connection-sniffer.js';
import type { NetLogger } from '../../src/net/net-logger.js';
import { PeerTransport, type PeerTransportLimits } from '../../src/net/peer-transport.js';
import type { NodeId } from '../../raft/types.js';
import type { ClusterSecret } from '../../src/net/peer-auth.js';

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  msg: string;
}

/** A NetLogger that records every line, for assertions on what was logged. */
export function recordingLogger(): NetLogger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at = (level: LogEntry['level']) => (fields: object, msg: string) => {
    entries.push({ level, fields: fields as Record<string, unknown>, msg });
  };
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Polls `cond` every few ms; fails the test if it does not hold within `timeoutMs`. */
export async function waitFor(cond: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function listen(server: Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      const addr = server.address();
      if (addr === null || typeof addr === 'string') throw new Error('no port');
      resolve(addr.port);
    });
  });
}

/** Closes a server and every socket it accepted. */
export function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A port that was free a moment ago (nothing listens on it now). */
export async function freePort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface TestNode {
  readonly id: NodeId;
  readonly port: number;
  readonly transport: PeerTransport;
  readonly logger: ReturnType<typeof recordingLogger>;
  /** Client-side connections the sniffer handed over, with their head bytes. */
  readonly clients: { socket: Socket; head: Buffer }[];
  stop(): Promise<void>;
}

/**
 * A node's single port as the lead will build it: a server whose connections
 * go through the sniffer to the transport (peers) or to a client list.
 */
export async function startNode(
  t: ExecutionContext,
  id: NodeId,
  options: { cluster?: string; port?: number; limits?: Partial<PeerTransportLimits>; clusterSecret?: ClusterSecret } = {},
): Promise<TestNode> {
  const logger = recordingLogger();
  const transport = new PeerTransport({
    cluster: options.cluster ?? 'test',
    selfId: id,
    logger,
    ...(options.clusterSecret !== undefined ? { clusterSecret: options.clusterSecret } : {}),
    limits: { reconnectDelayMinMs: 10, reconnectDelayMaxMs: 100, ...options.limits },
  });
  const sockets = new Set<Socket>();
  const clients: { socket: Socket; head: Buffer }[] = [];
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    sniffConnection(socket, {
      onPeer: (s, head) => transport.acceptPeer(s, head),
      onClient: (s, head) => {
        s.on('error', () => {});
        clients.push({ socket: s, head });
      },
    });
  });
  const port = await listen(server, options.port ?? 0);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    transport.close();
    await closeServer(server, sockets);
  };
  t.teardown(stop);
  return { id, port, transport, logger, clients, stop };
}

/** Tells each node where the others listen. */
export function mesh(...nodes: TestNode[]): void {
  for (const a of nodes) {
    for (const b of nodes) if (a !== b) a.transport.setAddress(b.id, { host: '127.0.0.1', port: b.port });
  }
}
