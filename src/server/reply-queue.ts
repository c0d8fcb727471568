import type { Socket } from 'node:net';

/** A reply slot: filled when its request finishes; written strictly in request order. */
interface Slot {
  bytes: Buffer | undefined;
  closeAfter: boolean;
}

/** Why a connection was closed by its limits (see ClientPool). */
export type OutputLimitReason = 'output-hard' | 'output-soft';

/** Redis's client-output-buffer-limit for one client; 0 = no such limit. */
export interface OutputLimits {
  readonly outputHardBytes: number;
  readonly outputSoftBytes: number;
  readonly outputSoftSec: number;
}

export const NO_OUTPUT_LIMITS: OutputLimits = { outputHardBytes: 0, outputSoftBytes: 0, outputSoftSec: 0 };

/**
 * Replies waiting in the socket beyond this stop reading the client's
 * requests until they drain: a pipelining client is served at the pace it
 * reads, so its unread replies cost at most this plus one input chunk's.
 */
export const OUTPUT_PAUSE_BYTES = 1024 * 1024;

/**
 * The replies of one client connection, in request order, for every front
 * door (the lab port and the Redis port): everything ready in one turn
 * leaves in one write; while `pipelineMax` requests run, or more than
 * OUTPUT_PAUSE_BYTES of replies wait to be sent, the socket is not read; a
 * reply marked closeAfter (QUIT, a protocol error) ends the connection once
 * written, and so does the last reply after the client half-closed
 * (shutdown SHUT_WR), as with Redis. Replies waiting past the output limits
 * destroy the connection (`onOutputLimit` says why).
 * Invariant: slots hold one entry per request not yet written, in order.
 */
export class ReplyQueue {
  readonly #slots: Slot[] = [];
  #executing = 0;
  /** Reading held back by the pipeline limit, and by unsent replies. */
  #pipelinePaused = false;
  #outputPaused = false;
  #flushQueued = false;
  #inputEnded = false;
  /** Wall-clock ms since when the unsent replies exceed the soft limit; undefined while below. */
  #softSinceMs: number | undefined;
  /** Bytes of replies filled but not yet handed to the socket. Invariant: the sum over slots with bytes. */
  #readyBytes = 0;
  /** Wall-clock ms of the last byte read or written (Redis lastinteraction). */
  #lastActivityMs = Date.now();

  constructor(
    private readonly socket: Socket,
    private readonly pipelineMax: number,
    private readonly output: OutputLimits = NO_OUTPUT_LIMITS,
    private readonly onOutputLimit: (why: OutputLimitReason, pendingBytes: number) => void = () => {},
  ) {
    socket.on('drain', () => {
      this.#lastActivityMs = Date.now();
      if (this.#outputPaused) {
        this.#outputPaused = false;
        this.#resumeIfFree();
      }
    });
  }

  /** True while reading is held back (the socket is paused). */
  get paused(): boolean {
    return this.#pipelinePaused || this.#outputPaused;
  }

  /** Reply bytes not yet taken by the kernel: ready here, or buffered in the socket (Redis's output buffer). */
  get pendingOutputBytes(): number {
    return this.#readyBytes + this.socket.writableLength;
  }

  /** Requests running now (a blocked one included): such a client is never idle. */
  get executing(): number {
    return this.#executing;
  }

  /** The door read bytes from the client. */
  noteInput(): void {
    this.#lastActivityMs = Date.now();
  }

  /**
   * Ms the client has been idle at `nowMs`: nothing read, nothing written
   * (a reply stuck in an unread socket is no progress) and nothing running;
   * 0 while a request runs, as a blocked Redis client is never idle.
   */
  idleMs(nowMs: number): number {
    if (this.#executing > 0) return 0;
    return Math.max(0, nowMs - this.#lastActivityMs);
  }

  /** A reply known now. */
  push(bytes: Buffer, closeAfter = false): void {
    this.#slots.push({ bytes, closeAfter });
    this.#readyBytes += bytes.length;
    this.#scheduleFlush();
  }

  /** A reply to come, in this request's place: call the result once with its bytes. */
  pending(closeAfter = false): (bytes: Buffer) => void {
    const slot: Slot = { bytes: undefined, closeAfter };
    this.#slots.push(slot);
    this.#executing++;
    return (bytes) => {
      slot.bytes = bytes;
      this.#readyBytes += bytes.length;
      this.#executing--;
      // Checked now, not at the flush: many replies may be filled in one turn.
      const { outputHardBytes: hard } = this.output;
      if (hard > 0 && this.pendingOutputBytes > hard) {
        this.checkOutput(Date.now());
        return;
      }
      if (this.#pipelinePaused && this.#executing < this.pipelineMax) {
        this.#pipelinePaused = false;
        this.#resumeIfFree();
      }
      this.#scheduleFlush();
    };
  }

  /** After a chunk of input: stop reading while too many requests run. */
  throttle(): void {
    if (this.#executing >= this.pipelineMax && !this.#pipelinePaused) {
      this.#pipelinePaused = true;
      this.socket.pause();
    }
  }

  /** The client half-closed: end our side once every reply is written. */
  inputEnded(): void {
    this.#inputEnded = true;
    this.#scheduleFlush();
  }

  /**
   * The soft output limit, checked on every write and by the pool's sweep
   * (a client paused for its unread replies gets no new writes). True when
   * the connection was destroyed.
   */
  checkOutput(nowMs: number): boolean {
    if (this.socket.destroyed) return false;
    const pending = this.pendingOutputBytes;
    const { outputHardBytes: hard, outputSoftBytes: soft, outputSoftSec } = this.output;
    if (hard > 0 && pending > hard) return this.#overLimit('output-hard', pending);
    if (soft === 0 || pending <= soft) {
      this.#softSinceMs = undefined;
      return false;
    }
    this.#softSinceMs ??= nowMs;
    if (nowMs - this.#softSinceMs >= outputSoftSec * 1000) return this.#overLimit('output-soft', pending);
    return false;
  }

  #overLimit(why: OutputLimitReason, pending: number): true {
    this.#slots.length = 0;
    this.#readyBytes = 0;
    this.socket.destroy();
    this.onOutputLimit(why, pending);
    return true;
  }

  #resumeIfFree(): void {
    if (!this.paused && !this.socket.destroyed) this.socket.resume();
  }

  #scheduleFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(() => {
      this.#flushQueued = false;
      this.#flush();
    });
  }

  #flush(): void {
    const out: Buffer[] = [];
    let close = false;
    while (this.#slots.length > 0) {
      const head = this.#slots[0]!;
      if (head.bytes === undefined) break;
      this.#slots.shift();
      this.#readyBytes -= head.bytes.length;
      out.push(head.bytes);
      if (head.closeAfter) {
        close = true;
        break;
      }
    }
    if (this.socket.destroyed) {
      this.#slots.length = 0;
      this.#readyBytes = 0;
      return;
    }
    if (out.length > 0) {
      this.#lastActivityMs = Date.now();
      this.socket.write(out.length === 1 ? out[0]! : Buffer.concat(out));
      if (this.checkOutput(this.#lastActivityMs)) return;
      if (this.socket.writableLength > OUTPUT_PAUSE_BYTES && !this.#outputPaused) {
        this.#outputPaused = true;
        this.socket.pause();
      }
    }
    if (close || (this.#inputEnded && this.#slots.length === 0)) {
      this.#slots.length = 0;
      this.#readyBytes = 0;
      this.socket.end();
    }
  }
}
