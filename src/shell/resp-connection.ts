import { Socket } from 'node:net';
import { assert } from '../../raft/assert.js';
import { formatEndpoint, type Endpoint } from '../config/address.js';
import { ProtocolError } from '../protocol/protocol-error.js';
import { RespReplyParser, type Reply } from '../protocol/resp-reply-parser.js';
import { ShellConnectionError } from './shell-connection-error.js';

export interface RespConnectionLimits {
  /** How long a connect may take before the server counts as unreachable. */
  readonly connectTimeoutMs: number;
  /** How long one command may wait for its complete reply. */
  readonly replyTimeoutMs: number;
  /** Largest bulk string accepted in a reply (a shell prints it; keep it sane). */
  readonly replyBulkBytesMax: number;
}

export const DEFAULT_RESP_CONNECTION_LIMITS: RespConnectionLimits = {
  connectTimeoutMs: 3_000,
  replyTimeoutMs: 10_000,
  replyBulkBytesMax: 64 * 1024 * 1024,
};

interface Pending {
  readonly resolve: (r: Reply) => void;
  readonly reject: (e: ShellConnectionError) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * One persistent client connection, one command at a time (what a shell
 * needs). Connects lazily: the first request, and the first after the
 * connection dropped, opens a new socket. A timeout, a close mid-reply or a
 * malformed reply destroys the socket, so a late reply can never be taken
 * for the answer to the next command.
 *
 * Invariant: at most one request in flight (`pending`), and a socket exists
 * whenever one is.
 */
export class RespConnection {
  readonly address: string;
  private readonly limits: RespConnectionLimits;
  private socket: Socket | null = null;
  private parser = new RespReplyParser();
  private pending: Pending | null = null;

  constructor(
    readonly endpoint: Endpoint,
    limits: Partial<RespConnectionLimits> = {},
    /** Sent first on every new connection (AUTH for a requirepass); an error reply fails the connect. */
    private readonly greeting?: Buffer,
  ) {
    this.address = formatEndpoint(endpoint);
    this.limits = { ...DEFAULT_RESP_CONNECTION_LIMITS, ...limits };
    for (const [name, v] of Object.entries(this.limits)) {
      assert(Number.isSafeInteger(v) && v > 0, `connection limits: ${name} must be a positive integer`);
    }
  }

  get connected(): boolean {
    return this.socket !== null;
  }

  /** Opens the connection now if it is not open (myshell checks reachability at start). */
  async connect(): Promise<void> {
    if (this.socket !== null) return;
    const socket = new Socket();
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ShellConnectionError('UNREACHABLE', `cannot reach ${this.address} (no answer within ${this.limits.connectTimeoutMs} ms)`));
      }, this.limits.connectTimeoutMs);
      socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        socket.destroy();
        reject(new ShellConnectionError('UNREACHABLE', `cannot reach ${this.address} (${err.code ?? err.message})`));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve();
      });
      socket.connect(this.endpoint.port, this.endpoint.host);
    });
    this.socket = socket;
    this.parser = new RespReplyParser({ bulkBytesMax: this.limits.replyBulkBytesMax });
    socket.on('data', (chunk: Buffer) => this.onData(socket, chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.drop(socket, new ShellConnectionError('CLOSED', `connection to ${this.address} lost (${err.code ?? err.message})`));
    });
    socket.on('close', () => {
      this.drop(socket, new ShellConnectionError('CLOSED', `connection to ${this.address} closed before the reply`));
    });
    if (this.greeting !== undefined) {
      const r = await this.request(this.greeting);
      if (r.type === 'error') {
        this.drop(socket, new ShellConnectionError('AUTH_FAILED', `${this.address} refused AUTH`));
        throw new ShellConnectionError('AUTH_FAILED', `${this.address} refused AUTH: ${r.message.slice(0, 200)}`);
      }
    }
  }

  /** Sends one request and resolves with its reply; rejects with a ShellConnectionError. */
  async request(bytes: Buffer): Promise<Reply> {
    assert(this.pending === null, 'RespConnection: one request at a time');
    await this.connect();
    const socket = this.socket;
    assert(socket !== null, 'connected');
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.drop(socket, new ShellConnectionError('TIMEOUT', `no reply from ${this.address} within ${this.limits.replyTimeoutMs} ms; connection dropped`));
      }, this.limits.replyTimeoutMs);
      this.pending = { resolve, reject, timer };
      socket.write(bytes);
    });
  }

  close(): void {
    if (this.socket !== null) this.drop(this.socket, new ShellConnectionError('CLOSED', `connection to ${this.address} closed by myshell`));
  }

  private onData(socket: Socket, chunk: Buffer): void {
    if (socket !== this.socket) return;
    try {
      for (const reply of this.parser.feed(chunk)) {
        const p = this.pending;
        // A reply nobody asked for (the server spoke first): not ours to print.
        if (p === null) continue;
        this.pending = null;
        clearTimeout(p.timer);
        p.resolve(reply);
      }
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.drop(socket, new ShellConnectionError('BAD_REPLY', `bad reply from ${this.address} (${err.message}); connection dropped`));
    }
  }

  /** Forgets `socket` (if still current) and fails the request in flight with `why`. */
  private drop(socket: Socket, why: ShellConnectionError): void {
    socket.destroy();
    if (socket !== this.socket) return;
    this.socket = null;
    const p = this.pending;
    if (p === null) return;
    this.pending = null;
    clearTimeout(p.timer);
    p.reject(why);
  }
}
