import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

/**
 * A TCP proxy on one directed peer link (node i dials node j through it). The
 * nemesis cuts real sockets here; the product is never asked to pretend.
 *   pass: new connections are piped to the target;
 *   drop: existing connections are destroyed and new ones refused at once.
 */
export const LINK_MODES = ['pass', 'drop'] as const;
export type LinkMode = (typeof LINK_MODES)[number];

/** Connections one link may hold at once (a node keeps one or two per peer). */
export const LINK_CONNECTIONS_MAX = 32;

export class LinkProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private modeNow: LinkMode = 'pass';
  port = 0;

  constructor(
    readonly name: string,
    private readonly targetPort: number,
  ) {}

  async listen(): Promise<number> {
    const server = createServer((s) => this.accept(s));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const a = server.address();
    if (a === null || typeof a === 'string') throw new Error('proxy has no port');
    this.port = a.port;
    return this.port;
  }

  get mode(): LinkMode {
    return this.modeNow;
  }

  setMode(mode: LinkMode): void {
    this.modeNow = mode;
    if (mode === 'drop') for (const s of this.sockets) s.destroy();
  }

  private accept(client: Socket): void {
    if (this.modeNow === 'drop' || this.sockets.size >= LINK_CONNECTIONS_MAX) {
      client.destroy();
      return;
    }
    const upstream = connect(this.targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.setNoDelay(true);
      s.on('error', () => {});
      // Either side closing tears down the pair: half-open links would hide a cut.
      s.on('close', () => {
        this.sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) await new Promise<void>((r) => server.close(() => r()));
  }
}
