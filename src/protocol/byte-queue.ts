import { assert } from '../../raft/assert.js';

/**
 * The unread bytes of a stream, kept as the list of chunks they arrived in.
 * Pushing a chunk never copies; bytes are copied once, when a caller takes
 * them out (`take`). This keeps a large bulk string that arrives in hundreds
 * of socket chunks from being re-concatenated on every chunk.
 *
 * Positions passed to `byteAt` / `indexOf` are relative to the read head.
 * Invariant: `length` === sum of unread bytes of chunks[first..];
 *            0 <= offset < chunks[first].length whenever length > 0.
 */
export class ByteQueue {
  private chunks: Buffer[] = [];
  /** Index of the chunk holding the read head. */
  private first = 0;
  /** Read offset inside chunks[first]. */
  private offset = 0;
  private unread = 0;

  get length(): number {
    return this.unread;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.unread += chunk.length;
  }

  /** The byte at `pos` (0 = read head). Fast path: the head chunk. */
  byteAt(pos: number): number {
    // Static messages on the hot path: a message closure would be allocated per call.
    assert(pos >= 0 && pos < this.unread, 'byteAt: position outside the unread bytes');
    let i = this.first;
    let at = pos + this.offset;
    for (;;) {
      const c = this.chunks[i];
      assert(c !== undefined, 'byte queue: ran out of chunks');
      if (at < c.length) return c[at] as number;
      at -= c.length;
      i++;
    }
  }

  /**
   * Position of the first `byte` in [from, end), or -1. Uses the native
   * Buffer.indexOf on each chunk, so a long line costs one scan, and callers
   * that resume with `from` = bytes already scanned never rescan.
   */
  indexOf(byte: number, from: number, end: number): number {
    const stop = Math.min(end, this.unread);
    if (from >= stop) return -1;
    let base = 0; // stream position of chunks[i][start]
    for (let i = this.first; i < this.chunks.length && base < stop; i++) {
      const c = this.chunks[i] as Buffer;
      const start = i === this.first ? this.offset : 0;
      const len = c.length - start;
      if (from < base + len) {
        const lo = start + Math.max(0, from - base);
        const hi = start + Math.min(len, stop - base);
        // Unbounded native search, result checked against hi: a match past
        // hi is only possible when the window is already full (the caller's
        // error case), so the overscan happens at most once.
        const found = c.indexOf(byte, lo);
        if (found !== -1 && found < hi) return base + (found - start);
        if (found !== -1) return -1;
      }
      base += len;
    }
    return -1;
  }

  /** Copies the next `n` bytes into a fresh Buffer and consumes them. */
  take(n: number): Buffer {
    assert(n >= 0 && n <= this.unread, 'take: more bytes than unread');
    const head = this.chunks[this.first];
    if (head !== undefined && n <= head.length - this.offset) {
      // Copy (not subarray) so the caller never pins a whole socket chunk.
      const out = Buffer.allocUnsafe(n);
      if (n <= smallCopyBytesMax) {
        // Buffer#copy costs more in call overhead than a short loop.
        for (let i = 0, from = this.offset; i < n; i++) out[i] = head[from + i] as number;
      } else {
        head.copy(out, 0, this.offset, this.offset + n);
      }
      this.skip(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let written = 0;
    while (written < n) {
      const c = this.chunks[this.first] as Buffer;
      const k = Math.min(n - written, c.length - this.offset);
      c.copy(out, written, this.offset, this.offset + k);
      written += k;
      this.skip(k);
    }
    return out;
  }

  /** Consumes `n` bytes without copying them. */
  skip(n: number): void {
    assert(n >= 0 && n <= this.unread, 'skip: more bytes than unread');
    this.unread -= n;
    let left = n;
    while (left > 0) {
      const c = this.chunks[this.first] as Buffer;
      const avail = c.length - this.offset;
      if (left < avail) {
        this.offset += left;
        return;
      }
      left -= avail;
      this.chunks[this.first] = EMPTY; // release the chunk now, not at compaction
      this.first++;
      this.offset = 0;
    }
    this.compact();
  }

  /** Drops every unread byte (used when a parser dies). */
  clear(): void {
    this.chunks = [];
    this.first = 0;
    this.offset = 0;
    this.unread = 0;
  }

  /** Keeps the chunk list from growing without bound as chunks are consumed. */
  private compact(): void {
    if (this.first === this.chunks.length) {
      this.chunks.length = 0;
      this.first = 0;
    } else if (this.first >= 64 && this.first * 2 >= this.chunks.length) {
      this.chunks = this.chunks.slice(this.first);
      this.first = 0;
    }
  }
}

const EMPTY = Buffer.alloc(0);
/** Up to this size, take() copies with a loop instead of Buffer#copy. */
const smallCopyBytesMax = 64;
