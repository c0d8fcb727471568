import type { Socket } from 'node:net';

/** A reply slot: filled when its request finishes; written strictly in request order. */
interface Slot {
  bytes: Buffer | undefined;
  closeAfter: boolean;
}

/**
 * The replies of one client connection, in request order, for every front
 * door (the lab port and the Redis port): everything ready in one turn
 * leaves in one write; while `pipelineMax` requests run the socket is not
 * read; a reply marked closeAfter (QUIT, a protocol error) ends the
 * connection once written, and so does the last reply after the client
 * half-closed (shutdown SHUT_WR), as with Redis.
 * Invariant: slots hold one entry per request not yet written, in order.
 */
export class ReplyQueue {
  readonly #slots: Slot[] = [];
  #executing = 0;
  #paused = false;
  #flushQueued = false;
  #inputEnded = false;

  constructor(
    private readonly socket: Socket,
    private readonly pipelineMax: number,
  ) {}

  /** True while reading is held back (the socket is paused). */
  get paused(): boolean {
    return this.#paused;
  }

  /** A reply known now. */
  push(bytes: Buffer, closeAfter = false): void {
    this.#slots.push({ bytes, closeAfter });
    this.#scheduleFlush();
  }

  /** A reply to come, in this request's place: call the result once with its bytes (and whether the connection ends after it). */
  pending(closeAfter = false): (bytes: Buffer, closeAfterToo?: boolean) => void {
    const slot: Slot = { bytes: undefined, closeAfter };
    this.#slots.push(slot);
    this.#executing++;
    return (bytes, closeAfterToo = false) => {
      slot.bytes = bytes;
      slot.closeAfter ||= closeAfterToo;
      this.#executing--;
      if (this.#paused && this.#executing < this.pipelineMax) {
        this.#paused = false;
        this.socket.resume();
      }
      this.#scheduleFlush();
    };
  }

  /** After a chunk of input: stop reading while too many requests run. */
  throttle(): void {
    if (this.#executing >= this.pipelineMax && !this.#paused) {
      this.#paused = true;
      this.socket.pause();
    }
  }

  /** The client half-closed: end our side once every reply is written. */
  inputEnded(): void {
    this.#inputEnded = true;
    this.#scheduleFlush();
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
      out.push(head.bytes);
      if (head.closeAfter) {
        close = true;
        break;
      }
    }
    if (this.socket.destroyed) return;
    if (out.length > 0) this.socket.write(out.length === 1 ? out[0]! : Buffer.concat(out));
    if (close || (this.#inputEnded && this.#slots.length === 0)) {
      this.#slots.length = 0;
      this.socket.end();
    }
  }
}
