import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { RespParser } from '../../src/protocol/resp-parser.js';

/** How the fake server answers request number `n` (0-based, over all connections). */
export type FakeAnswer = 'normal' | 'labError' | 'otherError' | 'silent';

/**
 * A tiny in-memory RESP server on 127.0.0.1:0 speaking the lab's dialect:
 * SET -> +OK, GET -> the value as a one-word array (or `*1 $3 nil`),
 * DEL -> :N. `answer(n)` can turn a request into an error or no reply at
 * all. It counts what it received, so tests check the load generator
 * against the server's own view.
 */
export class FakeRespServer {
  readonly received = { SET: 0, GET: 0, DEL: 0, MSET: 0, other: 0 };
  /** Each MSET's keys, in order. */
  readonly msets: string[][] = [];
  readonly keys = new Set<string>();
  readonly store = new Map<string, Buffer>();
  connections = 0;
  private requests = 0;
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  port = 0;

  constructor(private readonly answer: (n: number) => FakeAnswer = () => 'normal') {
    this.server = createServer((s) => this.serve(s));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const a = this.server.address();
    if (a === null || typeof a === 'string') throw new Error('no port');
    this.port = a.port;
    return this.port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
  }

  private serve(socket: Socket): void {
    this.connections++;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    const parser = new RespParser();
    socket.on('data', (chunk: Buffer) => {
      const out: Buffer[] = [];
      for (const c of parser.feed(chunk)) {
        const how = this.answer(this.requests++);
        const key = c.args[0]?.toString('latin1') ?? '';
        this.keys.add(key);
        if (c.name === 'SET' || c.name === 'GET' || c.name === 'DEL' || c.name === 'MSET') this.received[c.name]++;
        else this.received.other++;
        if (c.name === 'MSET') {
          const keys: string[] = [];
          for (let i = 0; i + 1 < c.args.length; i += 2) {
            keys.push(c.args[i]!.toString('latin1'));
            this.store.set(c.args[i]!.toString('latin1'), c.args[i + 1]!);
          }
          this.msets.push(keys);
        }
        if (how === 'silent') continue;
        if (how === 'labError') { out.push(Buffer.from('-ERROR\r\n')); continue; }
        if (how === 'otherError') { out.push(Buffer.from('-ERR something else\r\n')); continue; }
        out.push(this.execute(c.name, key, c.args[1]));
      }
      if (out.length > 0) socket.write(Buffer.concat(out));
    });
  }

  private execute(name: string, key: string, value: Buffer | undefined): Buffer {
    switch (name) {
      case 'SET':
        this.store.set(key, value ?? Buffer.alloc(0));
        return Buffer.from('+OK\r\n');
      case 'GET': {
        const v = this.store.get(key);
        if (v === undefined) return Buffer.from('*1\r\n$3\r\nnil\r\n');
        return Buffer.concat([Buffer.from(`*1\r\n$${v.length}\r\n`), v, Buffer.from('\r\n')]);
      }
      case 'DEL':
        return Buffer.from(`:${this.store.delete(key) ? 1 : 0}\r\n`);
      case 'MSET':
        return Buffer.from('+OK\r\n');
      default:
        return Buffer.from('-ERROR\r\n');
    }
  }
}
