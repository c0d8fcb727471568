import type { Socket } from 'node:net';
import { assert } from '../../raft/assert.js';

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
 * Replies waiting in the socket beyond this stop new requests from starting
 * (and reading) until they drain: a pipelining client is served at the pace
 * it reads.
 */
export const OUTPUT_PAUSE_BYTES = 1024 * 1024;

/**
 * What the replies of requests running at once may add up to, judged by
 * the size of the last reply: the store hands each read its own copy of
 * the value, so 1000 pipelined GETs of a 1 MiB value started together
 * would hold 1 GiB before the first reply could be written and counted.
 */
export const INFLIGHT_REPLY_BYTES = 16 * 1024 * 1024;

/** Requests a fresh connection may start at once; it grows by one per small reply (TCP's slow start), up to pipelineMax. */
export const WINDOW_START = 16;

const EMPTY = Buffer.alloc(0);

/** Fills a pending reply: its bytes, or how to encode them; `closeAfterToo` ends the connection after it. */
export type ReplyFill = (reply: Buffer | (() => Buffer), closeAfterToo?: boolean) => void;

/**
 * The requests and replies of one client connection, for every front door
 * (the lab port and the Redis port). Requests start in order through
 * `dispatch`, at most `window` running at once (see INFLIGHT_REPLY_BYTES)
 * and none while more than OUTPUT_PAUSE_BYTES of replies wait to be sent;
 * the rest wait here and the socket is not read meanwhile. Replies leave in
 * request order, everything ready in one turn in one write; a reply marked
 * closeAfter (QUIT, a protocol error) ends the connection once written,
 * and so does the last reply after the client half-closed (shutdown
 * SHUT_WR), as with Redis. Replies waiting past the output limits destroy
 * the connection (`onOutputLimit` says why).
 * Invariant: slots hold one entry per started request not yet written, in
 * order; waiting requests start only after every earlier one started.
 */
export class ReplyQueue {
  readonly #slots: Slot[] = [];
  /** Requests parsed but not started (bounded by what one read held: the socket is paused while any wait). */
  readonly #waiting: Array<() => void> = [];
  #executing = 0;
  /** Requests that may run at once now. Invariant: 1 <= window <= pipelineMax. */
  #window: number;
  #paused = false;
  #flushQueued = false;
  #inputEnded = false;
  /** Bytes of replies filled but not yet handed to the socket. Invariant: the sum over slots with bytes. */
  #readyBytes = 0;
  /** Wall-clock ms since when the unsent replies exceed the soft limit; undefined while below. */
  #softSinceMs: number | undefined;
  /** Wall-clock ms of the last byte read or written (Redis lastinteraction). */
  #lastActivityMs = Date.now();

  constructor(
    private readonly socket: Socket,
    private readonly pipelineMax: number,
    private readonly output: OutputLimits = NO_OUTPUT_LIMITS,
    private readonly onOutputLimit: (why: OutputLimitReason, pendingBytes: number) => void = () => {},
  ) {
    assert(Number.isSafeInteger(pipelineMax) && pipelineMax >= 1, 'reply queue: pipelineMax >= 1');
    this.#window = Math.min(WINDOW_START, pipelineMax);
    socket.on('drain', () => {
      this.#lastActivityMs = Date.now();
      this.#startWaiting();
    });
  }

  /** True while reading is held back (the socket is paused). */
  get paused(): boolean {
    return this.#paused;
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

  /**
   * Starts a parsed request now, or once the ones before it have and the
   * window and the unsent replies allow. Every request of a connection goes
   * through here, in order (replies, and state such as AUTH or HELLO, follow
   * request order).
   */
  dispatch(start: () => void): void {
    if (this.#waiting.length === 0 && this.#mayStart()) {
      start();
      return;
    }
    this.#waiting.push(start);
    this.#updateReading();
  }

  /** A reply known now. */
  push(bytes: Buffer, closeAfter = false): void {
    this.#slots.push({ bytes, closeAfter });
    this.#readyBytes += bytes.length;
    this.#scheduleFlush();
  }

  /**
   * A reply to come, in this request's place: call the result once with its
   * bytes, or with a function that encodes them (and whether the connection
   * ends after it); the function is not called once
   * the connection is gone (a client cut at its output limit may have many
   * large replies still coming: none is encoded).
   */
  pending(closeAfter = false): ReplyFill {
    const slot: Slot = { bytes: undefined, closeAfter };
    this.#slots.push(slot);
    this.#executing++;
    return (reply, closeAfterToo = false) => {
      const bytes = typeof reply === 'function' ? (this.socket.destroyed ? EMPTY : reply()) : reply;
      slot.bytes = bytes;
      slot.closeAfter ||= closeAfterToo;
      this.#readyBytes += bytes.length;
      this.#executing--;
      assert(this.#executing >= 0, 'reply queue: a pending reply filled twice');
      this.#adapt(bytes.length);
      // Checked now, not at the flush: many replies may be filled in one turn.
      const { outputHardBytes: hard } = this.output;
      if (hard > 0 && this.pendingOutputBytes > hard) {
        this.checkOutput(Date.now());
        return;
      }
      this.#scheduleFlush();
      this.#startWaiting();
    };
  }

  /** After a chunk of input: stop reading while requests wait or too many run. */
  throttle(): void {
    this.#updateReading();
  }

  /** The client half-closed: end our side once every reply is written. */
  inputEnded(): void {
    this.#inputEnded = true;
    this.#scheduleFlush();
  }

  /**
   * The output limits, checked on every write and by the pool's sweep (a
   * client paused for its unread replies gets no new writes). True when
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
    this.#waiting.length = 0;
    this.#readyBytes = 0;
    this.socket.destroy();
    this.onOutputLimit(why, pending);
    return true;
  }

  /** A small reply widens the window by one; a large one narrows it to what INFLIGHT_REPLY_BYTES holds of its like. */
  #adapt(replyBytes: number): void {
    const fits = Math.max(1, Math.floor(INFLIGHT_REPLY_BYTES / Math.max(1, replyBytes)));
    this.#window = Math.min(this.pipelineMax, fits, this.#window + 1);
    assert(this.#window >= 1, 'reply queue: the window is at least one request');
  }

  #mayStart(): boolean {
    return !this.socket.destroyed && this.#executing < this.#window && this.socket.writableLength <= OUTPUT_PAUSE_BYTES;
  }

  #startWaiting(): void {
    while (this.#waiting.length > 0 && this.#mayStart()) this.#waiting.shift()!();
    this.#updateReading();
  }

  #updateReading(): void {
    if (this.socket.destroyed) return;
    const hold = this.#waiting.length > 0 || this.#executing >= this.pipelineMax || this.socket.writableLength > OUTPUT_PAUSE_BYTES;
    if (hold && !this.#paused) {
      this.#paused = true;
      this.socket.pause();
    } else if (!hold && this.#paused) {
      this.#paused = false;
      this.socket.resume();
    }
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
      this.#waiting.length = 0;
      this.#readyBytes = 0;
      return;
    }
    if (out.length > 0) {
      this.#lastActivityMs = Date.now();
      this.socket.write(out.length === 1 ? out[0]! : Buffer.concat(out));
      if (this.checkOutput(this.#lastActivityMs)) return;
      this.#updateReading();
    }
    if (close || (this.#inputEnded && this.#slots.length === 0 && this.#waiting.length === 0)) {
      this.#slots.length = 0;
      this.#waiting.length = 0;
      this.#readyBytes = 0;
      this.socket.end();
    }
  }
}
