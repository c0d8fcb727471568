import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { assert } from '../../raft/assert.js';
import { DEFAULT_CLIENT_LIMITS, validateClientLimits } from './client-limits.js';
import type { ClientLimits } from './client-limits.js';
import type { FrontDoorStats } from './front-door-stats.js';
import { ReplyQueue } from './reply-queue.js';
import type { OutputLimitReason } from './reply-queue.js';

/** How often idle clients and the soft output limit are checked (Redis's clientsCron runs about as often per client). */
export const SWEEP_EVERY_MS = 1000;

/** Redis's reply to a connection beyond maxclients (networking.c acceptCommonHandler). */
export const MAX_CLIENTS_REPLY = Buffer.from('-ERR max number of clients reached\r\n');

/**
 * The client connections of one process, over all its doors: admits a new
 * one only below maxclients (the one beyond gets the door's refusal and is
 * closed), builds each connection's ReplyQueue with the output limits, and
 * sweeps every SWEEP_EVERY_MS for idle clients (config timeout) and clients
 * over the soft output limit. Counts every refusal and every close in the
 * shared FrontDoorStats, so INFO reads them.
 * Invariant: tracked.size === the clients admitted and not yet closed.
 */
export class ClientPool {
  readonly limits: ClientLimits;
  readonly #tracked = new Map<ReplyQueue, Socket>();
  #timer: NodeJS.Timeout | undefined;
  #refusalLoggedMs = 0;

  constructor(
    private readonly stats: FrontDoorStats,
    private readonly log: Logger,
    limits: Partial<ClientLimits> = {},
  ) {
    this.limits = { ...DEFAULT_CLIENT_LIMITS, ...limits };
    validateClientLimits(this.limits);
  }

  /** Clients admitted and still open. */
  get size(): number {
    return this.#tracked.size;
  }

  /**
   * A new connection: false when the process already has maxclients (the
   * socket then gets `refusal` and is closed, as Redis does, and is never
   * counted as received). Call before anything else touches the socket.
   */
  admit(socket: Socket, refusal: Buffer): boolean {
    if (this.#tracked.size < this.limits.maxclients) return true;
    this.stats.connectionsRejected++;
    // A flood of refusals is one line per SWEEP_EVERY_MS, not one per connection.
    const now = Date.now();
    if (now - this.#refusalLoggedMs >= SWEEP_EVERY_MS) {
      this.#refusalLoggedMs = now;
      this.log.warn({ maxclients: this.limits.maxclients, remote: remoteOf(socket), rejectedTotal: this.stats.connectionsRejected }, 'client refused: max number of clients reached');
    }
    socket.on('error', () => {});
    socket.end(refusal);
    // A client that never closes its side must not keep the descriptor.
    socket.destroySoon();
    return false;
  }

  /** The reply queue of an admitted connection, tracked until the socket closes. */
  replyQueue(socket: Socket, pipelineMax: number): ReplyQueue {
    const q = new ReplyQueue(socket, pipelineMax, this.limits, (why, pending) => this.#outputClosed(socket, why, pending));
    assert(!this.#tracked.has(q), 'client pool: a queue tracked twice');
    this.#tracked.set(q, socket);
    socket.once('close', () => this.#tracked.delete(q));
    this.#startSweeping();
    return q;
  }

  /** The query buffer limit closed this client (the door's parser said so). */
  queryBufferClosed(socket: Socket, declaredBytes: string): void {
    this.stats.queryBufferDisconnections++;
    this.log.warn({ remote: remoteOf(socket), limit: this.limits.queryBufferBytes, reason: declaredBytes }, 'closing client that reached max query buffer length');
  }

  /** One pass over the clients at `nowMs` (the timer's work; tests call it directly). */
  sweep(nowMs: number): void {
    const timeoutMs = this.limits.idleTimeoutSec * 1000;
    for (const [q, socket] of [...this.#tracked]) {
      if (q.checkOutput(nowMs)) continue;
      if (timeoutMs > 0 && q.idleMs(nowMs) > timeoutMs) {
        this.stats.idleDisconnections++;
        this.log.info({ remote: remoteOf(socket), idleSec: Math.floor(q.idleMs(nowMs) / 1000) }, 'closing idle client');
        socket.destroy();
        this.#tracked.delete(q);
      }
    }
  }

  /** Stops the sweep timer (the doors are closing). */
  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #startSweeping(): void {
    if (this.#timer !== undefined) return;
    if (this.limits.idleTimeoutSec === 0 && this.limits.outputSoftBytes === 0) return;
    this.#timer = setInterval(() => this.sweep(Date.now()), SWEEP_EVERY_MS);
    this.#timer.unref();
  }

  #outputClosed(socket: Socket, why: OutputLimitReason, pending: number): void {
    this.stats.outputBufferDisconnections++;
    this.log.warn({ remote: remoteOf(socket), why, pendingBytes: pending }, 'client closed for overcoming of output buffer limits');
  }
}

function remoteOf(socket: Socket): string {
  return `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
}
