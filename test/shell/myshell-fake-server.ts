import { createServer, type Server, type Socket } from 'node:net';
import { RespParser, type Command } from '../../src/protocol/resp-parser.js';

/** What the fake server does with one request. */
export type FakeAnswer =
  | { readonly reply: string; readonly delayMs?: number; readonly splitAt?: number }
  | { readonly silent: true }
  | { readonly reply: string; readonly thenClose: true };

/**
 * A tiny RESP server on 127.0.0.1:0 for myshell tests: records every byte it
 * receives (in order, over all connections) and answers each request with
 * what `answer` says. Not the real store: it knows nothing, so the test
 * decides every reply and can check the exact bytes myshell sent.
 */
export class FakeRespServer {
  received = Buffer.alloc(0);
  connections = 0;
  readonly commands: Command[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(answer: (cmd: Command, index: number) => FakeAnswer): Promise<FakeRespServer> {
    let self: FakeRespServer | undefined;
    const server = createServer((socket) => {
      const s = self!;
      s.connections++;
      s.sockets.add(socket);
      socket.on('close', () => s.sockets.delete(socket));
      socket.on('error', () => undefined);
      const parser = new RespParser();
      socket.on('data', (chunk: Buffer) => {
        s.received = Buffer.concat([s.received, chunk]);
        for (const cmd of parser.feed(chunk)) {
          const a = answer(cmd, s.commands.length);
          s.commands.push(cmd);
          if ('silent' in a) continue;
          const send = (): void => {
            if (socket.destroyed) return;
            if ('splitAt' in a && a.splitAt !== undefined) {
              // Two packets: the client must wait for the rest of the reply.
              socket.write(a.reply.slice(0, a.splitAt));
              setTimeout(() => socket.destroyed || socket.write(a.reply.slice(a.splitAt)), 30);
              return;
            }
            socket.write(a.reply);
            if ('thenClose' in a) socket.end();
          };
          if ('delayMs' in a && a.delayMs !== undefined) setTimeout(send, a.delayMs);
          else send();
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address();
    if (addr === null || typeof addr === 'string') throw new Error('no port');
    self = new FakeRespServer(server, addr.port);
    return self;
  }

  /** Stops listening and drops every connection (the server "dies"). */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** A port nothing listens on (bound, read, released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  await new Promise<void>((r) => server.close(() => r()));
  return addr.port;
}
