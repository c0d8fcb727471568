import { Packr, Unpackr } from 'msgpackr';
import { assert } from '../../raft/assert.js';
import { NetError } from './net-error.js';

/**
 * Internal connections (peer and coordinator RPC) open with this one byte,
 * then carry frames `[u32 BE body length][msgpackr body]` both ways.
 *
 * 0xF5 is never a valid first byte of UTF-8 text, is not `*` (RESP arrays) and
 * is not printable ASCII (inline commands), so the node's single port can tell
 * the two kinds of connection apart from the first byte alone.
 */
export const PEER_MAGIC = 0xf5;

export const FRAME_HEADER_BYTES = 4;

/** Default bound on one frame body; a snapshot travels in one frame, so this caps its size. */
export const FRAME_BYTES_MAX_DEFAULT = 64 * 1024 * 1024;

/** The largest body a u32 length can describe. */
const FRAME_BYTES_MAX_ABSOLUTE = 0xffff_ffff;

/**
 * One msgpackr configuration for every internal frame, shared by all peers so
 * both ends agree. `useRecords: false`: plain msgpack maps, no per-connection
 * structure state that a reconnect could lose. Unpacking copies binary fields
 * (`copyBuffers`), so a decoded Uint8Array never aliases (and pins) the
 * receive buffer it arrived in; bin fields come back as Buffer (a Uint8Array).
 */
const packr = new Packr({ useRecords: false });
const unpackr = new Unpackr({ useRecords: false, copyBuffers: true });

export function assertFrameBytesMax(frameBytesMax: number): void {
  assert(
    Number.isInteger(frameBytesMax) && frameBytesMax >= 1 && frameBytesMax <= FRAME_BYTES_MAX_ABSOLUTE,
    () => `frameBytesMax must be an integer in [1, 2^32-1], got ${frameBytesMax}`,
  );
}

/**
 * Encodes one body as a complete frame (header included).
 * Throws NetError FRAME_TOO_LARGE when the body exceeds `frameBytesMax`:
 * the receiver would refuse it and close the connection.
 */
export function encodeFrame(body: unknown, frameBytesMax: number): Buffer {
  const packed = packr.pack(body);
  if (packed.length > frameBytesMax) {
    throw new NetError('FRAME_TOO_LARGE', `frame body of ${packed.length} bytes exceeds frameBytesMax ${frameBytesMax}`);
  }
  // Copy out of msgpackr's shared output buffer: the frame is kept until the
  // next flush and must not depend on what msgpackr does with that buffer.
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + packed.length);
  frame.writeUInt32BE(packed.length, 0);
  frame.set(packed, FRAME_HEADER_BYTES);
  return frame;
}

/** Joins complete frames into the one buffer handed to a single socket write. */
export function joinFrames(frames: readonly Buffer[]): Buffer {
  assert(frames.length > 0, 'joinFrames needs at least one frame');
  return frames.length === 1 ? frames[0]! : Buffer.concat(frames);
}

/** Decodes one frame body; anything msgpackr refuses (or trailing bytes) is BAD_FRAME. */
export function decodeBody(body: Buffer): unknown {
  try {
    return unpackr.unpack(body);
  } catch (e) {
    throw new NetError('BAD_FRAME', `undecodable frame body of ${body.length} bytes: ${(e as Error).message}`);
  }
}

/**
 * Streaming frame decoder for the bytes after the magic byte. Feed it chunks
 * as they arrive; frames may be split at any byte or packed many per chunk.
 *
 * Memory: holds at most one partial frame, i.e. FRAME_HEADER_BYTES +
 * frameBytesMax bytes, because an oversize length is refused as soon as its
 * header is complete, before any of the body is buffered.
 *
 * After it throws, the stream is out of sync for good: the decoder refuses
 * further input and the connection must be closed.
 */
export class FrameDecoder {
  /** Received bytes not yet consumed. Invariant: bufferedBytes = sum of chunk lengths. */
  private chunks: Buffer[] = [];
  private bufferedBytes = 0;
  /** Body length of the frame being assembled, or -1 while its header is incomplete. */
  private bodyBytes = -1;
  private failed = false;

  constructor(private frameBytesMax: number = FRAME_BYTES_MAX_DEFAULT) {
    assertFrameBytesMax(frameBytesMax);
  }

  /**
   * Changes the limit for frames whose header has not been read yet. Used to
   * keep unauthenticated connections to a small hello-sized limit, raised
   * once the handshake succeeded.
   */
  setFrameBytesMax(frameBytesMax: number): void {
    assertFrameBytesMax(frameBytesMax);
    this.frameBytesMax = frameBytesMax;
  }

  /** Bytes held for a partial frame (for tests and stats). */
  get pendingBytes(): number {
    return this.bufferedBytes;
  }

  /**
   * Adds a chunk and yields every body completed by it, in order. Lazy: a
   * consumer that stops iterating (the connection closed) leaves the rest unread.
   * Throws NetError FRAME_TOO_LARGE or BAD_FRAME at the first bad frame.
   */
  *push(chunk: Buffer): Generator<unknown, void, undefined> {
    assert(!this.failed, 'FrameDecoder used after it failed');
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.bufferedBytes += chunk.length;
    }
    for (;;) {
      if (this.bodyBytes < 0) {
        if (this.bufferedBytes < FRAME_HEADER_BYTES) return;
        const length = this.take(FRAME_HEADER_BYTES).readUInt32BE(0);
        if (length > this.frameBytesMax) {
          this.fail();
          throw new NetError('FRAME_TOO_LARGE', `frame declares ${length} body bytes, frameBytesMax is ${this.frameBytesMax}`);
        }
        if (length === 0) {
          this.fail();
          throw new NetError('BAD_FRAME', 'frame with an empty body');
        }
        this.bodyBytes = length;
      }
      if (this.bufferedBytes < this.bodyBytes) return;
      const body = this.take(this.bodyBytes);
      this.bodyBytes = -1;
      let value: unknown;
      try {
        value = decodeBody(body);
      } catch (e) {
        this.fail();
        throw e;
      }
      yield value;
    }
  }

  private fail(): void {
    this.failed = true;
    this.chunks = [];
    this.bufferedBytes = 0;
  }

  /** Removes and returns the first `n` buffered bytes. Precondition: n <= bufferedBytes. */
  private take(n: number): Buffer {
    assert(n <= this.bufferedBytes, 'take beyond buffered bytes');
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        const c = this.chunks[0]!;
        const used = Math.min(c.length, n - filled);
        c.copy(out, filled, 0, used);
        filled += used;
        if (used === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(used);
      }
    }
    this.bufferedBytes -= n;
    return out;
  }
}
