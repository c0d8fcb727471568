import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { encodeRequest } from '../protocol/resp-encoder.js';
import { RespReplyParser } from '../protocol/resp-reply-parser.js';
import type { Reply } from '../protocol/resp-reply-parser.js';

/**
 * One workload client's connection: one request at a time, each with a
 * deadline. Any timeout, error or close makes the connection unusable (a
 * late reply must never be taken for the next request's); the client then
 * opens a new one.
 */
export type CallResult =
  | { readonly kind: 'reply'; readonly reply: Reply }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'closed'; readonly why: string };

export class ClientLink {
  private readonly parser = new RespParserHolder();
  private waiting: ((r: CallResult) => void) | undefined;
  private dead: string | undefined;

  private constructor(
    private readonly socket: Socket,
    readonly port: number,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => {
      try {
        for (const reply of this.parser.p.feed(d)) this.settle({ kind: 'reply', reply });
      } catch (err) {
        this.fail(`unparsable reply: ${String(err)}`);
      }
    });
    socket.on('error', (err) => this.fail(err.message));
    socket.on('close', () => this.fail('connection closed'));
  }

  static open(port: number, timeoutMs: number): Promise<ClientLink | undefined> {
    return new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      const timer = setTimeout(() => {
        socket.destroy();
        resolve(undefined);
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new ClientLink(socket, port));
      });
      socket.once('error', () => {
        clearTimeout(timer);
        socket.destroy();
        resolve(undefined);
      });
    });
  }

  get usable(): boolean {
    return this.dead === undefined;
  }

  call(words: readonly string[], timeoutMs: number): Promise<CallResult> {
    if (this.dead !== undefined) return Promise.resolve({ kind: 'closed', why: this.dead });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        this.fail('timeout');
        resolve({ kind: 'timeout' });
      }, timeoutMs);
      this.waiting = (r) => {
        clearTimeout(timer);
        resolve(r);
      };
      this.socket.write(encodeRequest(words));
    });
  }

  private settle(r: CallResult): void {
    const w = this.waiting;
    this.waiting = undefined;
    if (w !== undefined) w(r);
    else this.fail('a reply nobody asked for');
  }

  private fail(why: string): void {
    if (this.dead === undefined) this.dead = why;
    this.socket.destroy();
    const w = this.waiting;
    this.waiting = undefined;
    if (w !== undefined) w({ kind: 'closed', why });
  }

  close(): void {
    this.fail('closed by the client');
  }
}

class RespParserHolder {
  readonly p = new RespReplyParser();
}
