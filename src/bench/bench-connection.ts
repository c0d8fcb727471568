import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { assert } from '../../raft/assert.js';
import { ReplyCounter, ReplyKind, ReplyStreamError } from './reply-counter.js';
import type { BenchCommand, RequestEncoder } from './request-encoder.js';

/** What a connection needs from the run it belongs to. */
export interface ConnectionOwner {
  readonly encoder: RequestEncoder;
  /** Claims up to `want` requests from the run's budget; returns how many may be sent now. */
  claim(want: number): number;
  countCommand(c: BenchCommand): void;
  /** One reply arrived `latencyMs` after its request was written. */
  reply(kind: ReplyKind, latencyMs: number, nowMs: number): void;
  /** `count` requests are lost (never answered); `why` says how. */
  lost(count: number, why: 'timeout' | 'connection'): void;
  connected(): void;
  connectFailed(): void;
  /** Whether the run still wants this connection (reconnect after a loss). */
  readonly running: boolean;
}

/** Pause before reconnecting a lost connection, so a dead server is not hammered. */
export const reconnectDelayMs = 100;

/**
 * One client connection of the load generator. It keeps `pipeline` requests
 * in flight: each batch of replies read from the socket is answered by one
 * socket write of as many new requests. Replies come back in request order
 * (RESP), so send times sit in a FIFO ring.
 *
 * Invariant: 0 <= inFlight <= pipeline, and sendMs[head .. head+inFlight)
 * (mod pipeline) are the write times of the requests in flight, oldest first.
 */
export class BenchConnection {
  private socket: Socket | null = null;
  private open = false;
  private counter = new ReplyCounter();
  private readonly sendMs: Float64Array;
  private head = 0;
  private inFlight = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly owner: ConnectionOwner,
    private readonly host: string,
    private readonly port: number,
    private readonly pipeline: number,
    /** A connect that has not succeeded after this long is abandoned (counts as failed). */
    private readonly connectTimeoutMs: number,
  ) {
    assert(pipeline >= 1, 'connection: pipeline >= 1');
    this.sendMs = new Float64Array(pipeline);
  }

  get requestsInFlight(): number {
    return this.inFlight;
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Write time of the oldest request in flight, or null if none. */
  oldestSendMs(): number | null {
    return this.inFlight === 0 ? null : this.sendMs[this.head]!;
  }

  start(): void {
    const socket = connect({ host: this.host, port: this.port, noDelay: true });
    this.socket = socket;
    this.counter = new ReplyCounter();
    const connectTimer = setTimeout(() => {
      if (!this.open && this.socket === socket) socket.destroy();
    }, this.connectTimeoutMs);
    socket.on('connect', () => {
      clearTimeout(connectTimer);
      this.open = true;
      this.owner.connected();
      this.fill();
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {
      // 'close' follows and does the accounting.
    });
    socket.on('close', () => {
      clearTimeout(connectTimer);
      this.onClose(socket);
    });
  }

  /** Sends as many requests as the window and the run's budget allow, in one write. */
  fill(): void {
    if (!this.open || this.socket === null) return;
    const n = this.owner.claim(this.pipeline - this.inFlight);
    if (n === 0) return;
    const batch = this.owner.encoder.encodeBatch(n, (c) => this.owner.countCommand(c));
    const now = performance.now();
    for (let k = 0; k < n; k++) {
      this.sendMs[(this.head + this.inFlight) % this.pipeline] = now;
      this.inFlight++;
    }
    this.socket.write(batch);
  }

  /** Gives up on the requests in flight (they count as timeouts) and reconnects. */
  timeOut(): void {
    const socket = this.socket;
    if (socket === null) return;
    this.owner.lost(this.inFlight, 'timeout');
    this.inFlight = 0;
    this.head = 0;
    this.detach();
    socket.destroy();
    this.scheduleReconnect();
  }

  /** Closes the connection for good (end of the run). */
  stop(): void {
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const socket = this.socket;
    this.detach();
    socket?.destroy();
  }

  private onData(chunk: Buffer): void {
    const now = performance.now();
    try {
      this.counter.feed(chunk, (kind) => {
        if (this.inFlight === 0) throw new ReplyStreamError('a reply with no request in flight');
        const sent = this.sendMs[this.head]!;
        this.head = (this.head + 1) % this.pipeline;
        this.inFlight--;
        this.owner.reply(kind, now - sent, now);
      });
    } catch (err) {
      if (!(err instanceof ReplyStreamError)) throw err;
      this.socket?.destroy();
      return;
    }
    this.fill();
  }

  private onClose(socket: Socket): void {
    if (socket !== this.socket) return; // an earlier socket we already gave up on
    const wasOpen = this.open;
    this.detach();
    if (!wasOpen) this.owner.connectFailed();
    if (this.inFlight > 0) this.owner.lost(this.inFlight, 'connection');
    this.inFlight = 0;
    this.head = 0;
    this.scheduleReconnect();
  }

  private detach(): void {
    this.open = false;
    this.socket = null;
  }

  private scheduleReconnect(): void {
    if (!this.owner.running || this.reconnectTimer !== null) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.owner.running) this.start();
    }, reconnectDelayMs);
  }
}
