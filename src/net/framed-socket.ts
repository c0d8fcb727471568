import type { Socket } from 'node:net';
import { assert } from '../../raft/assert.js';
import { FrameDecoder, joinFrames } from './frame-codec.js';
import { NetError } from './net-error.js';
import type { NetLogger } from './net-logger.js';
import { parseWireFrame, type WireFrame } from './wire.js';

/** Called once per queued frame: true once the kernel took its bytes, false if it never will. */
export type WrittenCallback = (ok: boolean) => void;

export interface FramedSocketOptions {
  readonly frameBytesMax: number;
  readonly logger: NetLogger;
  /** Fields added to every log line about this connection (peer id, direction, address). */
  readonly logFields: object;
  /** Each well-formed frame, in arrival order. Never called after close. */
  readonly onFrame: (frame: WireFrame) => void;
  /** Exactly once, when the connection is gone; `reason` undefined for a local close(). */
  readonly onClose: (reason: NetError | undefined) => void;
}

/**
 * One internal connection after its magic byte: decodes incoming frames and
 * sends outgoing ones batched, so everything queued during one event-loop
 * turn leaves in ONE socket write (flushed from setImmediate).
 *
 * A stream that goes bad (oversize or undecodable frame, unknown shape)
 * closes this connection only; the error is logged and reported to onClose.
 */
export class FramedSocket {
  private readonly decoder: FrameDecoder;
  /** Frames queued since the last flush. Invariant: pendingBytes = sum of their lengths. */
  private pending: Buffer[] = [];
  private pendingCallbacks: WrittenCallback[] = [];
  private pendingBytes = 0;
  private flushScheduled: NodeJS.Immediate | undefined;
  /** Callbacks of writes handed to the socket whose completion has not been reported yet. */
  private readonly inFlight = new Set<() => void>();
  private closedFlag = false;
  /** Socket writes issued and bytes in them, for stats and the batching test. */
  writes = 0;
  bytesWritten = 0;
  /** Bytes and frames received, and enqueue() calls accepted (one frame each, but for the dialer's magic + hello): for per-peer metrics. */
  bytesRead = 0;
  framesRead = 0;
  framesQueued = 0;

  /** Call start() next: callbacks never run from inside the constructor. */
  constructor(
    readonly socket: Socket,
    private readonly options: FramedSocketOptions,
  ) {
    this.decoder = new FrameDecoder(options.frameBytesMax);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (err) => this.fail(new NetError('UNREACHABLE', `socket error: ${err.message}`)));
    // No half-open connections: when the other side ends, we are done too.
    socket.on('end', () => this.fail(new NetError('UNREACHABLE', 'connection ended by the other side')));
    socket.on('close', () => this.fail(new NetError('UNREACHABLE', 'connection closed')));
  }

  /**
   * Processes `head` (bytes after the magic byte that were read before this
   * object existed, e.g. by the connection sniffer) and starts reading.
   */
  start(head: Buffer = Buffer.alloc(0)): void {
    if (head.length > 0) this.receive(head);
    if (!this.closedFlag) this.socket.resume();
  }

  /** See FrameDecoder.setFrameBytesMax. */
  setFrameBytesMax(frameBytesMax: number): void {
    this.decoder.setFrameBytesMax(frameBytesMax);
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Bytes accepted but not yet taken by the kernel: the measure of a backed-up peer. */
  get backlogBytes(): number {
    return this.pendingBytes + (this.closedFlag ? 0 : this.socket.writableLength);
  }

  /**
   * Queues bytes (one or more complete frames, or the magic byte plus hello)
   * for this turn's write. On a closed connection the callback gets false at once.
   */
  enqueue(bytes: Buffer, onWritten?: WrittenCallback): void {
    if (this.closedFlag) {
      onWritten?.(false);
      return;
    }
    this.framesQueued += 1;
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    if (onWritten !== undefined) this.pendingCallbacks.push(onWritten);
    this.flushScheduled ??= setImmediate(() => this.flush());
  }

  /** Writes everything queued so far now, in one write. */
  flush(): void {
    if (this.flushScheduled !== undefined) {
      clearImmediate(this.flushScheduled);
      this.flushScheduled = undefined;
    }
    if (this.closedFlag || this.pending.length === 0) return;
    const data = joinFrames(this.pending);
    const callbacks = this.pendingCallbacks;
    this.pending = [];
    this.pendingCallbacks = [];
    this.pendingBytes = 0;
    let reported = false;
    // Reports the write's fate once, whichever comes first: the socket's
    // callback, or close() failing every write still in flight.
    const report = (ok: boolean): void => {
      if (reported) return;
      reported = true;
      this.inFlight.delete(onLost);
      for (const cb of callbacks) cb(ok);
    };
    const onLost = (): void => report(false);
    if (callbacks.length > 0) this.inFlight.add(onLost);
    this.writes += 1;
    this.bytesWritten += data.length;
    this.socket.write(data, (err) => report(err === undefined || err === null));
  }

  /** Closes the connection; `reason` (if any) is what onClose reports. Idempotent. */
  close(reason?: NetError): void {
    this.shutdown(reason);
  }

  private receive(chunk: Buffer): void {
    this.bytesRead += chunk.length;
    try {
      for (const body of this.decoder.push(chunk)) {
        if (this.closedFlag) return;
        this.framesRead += 1;
        this.options.onFrame(parseWireFrame(body));
      }
    } catch (e) {
      if (!(e instanceof NetError)) throw e;
      this.options.logger.warn({ ...this.options.logFields, code: e.code, reason: e.reason }, 'closing internal connection: bad input');
      this.fail(e);
    }
  }

  private fail(reason: NetError): void {
    this.shutdown(reason);
  }

  private shutdown(reason: NetError | undefined): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    if (this.flushScheduled !== undefined) clearImmediate(this.flushScheduled);
    this.flushScheduled = undefined;
    const unsent = this.pendingCallbacks;
    this.pending = [];
    this.pendingCallbacks = [];
    this.pendingBytes = 0;
    this.socket.destroy();
    for (const cb of unsent) cb(false);
    for (const lost of [...this.inFlight]) lost();
    assert(this.inFlight.size === 0, 'every in-flight write reported on close');
    this.options.onClose(reason);
  }
}
