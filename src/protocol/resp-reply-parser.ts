import { assert } from '../../raft/assert.js';
import { ByteQueue } from './byte-queue.js';
import { ProtocolError } from './protocol-error.js';

/** Any RESP2 reply a server can send. Null bulk and null array are `null` values. */
export type Reply =
  | { readonly type: 'simple'; readonly value: string }
  | { readonly type: 'error'; readonly message: string }
  | { readonly type: 'integer'; readonly value: number }
  | { readonly type: 'bulk'; readonly value: Buffer | null }
  | { readonly type: 'array'; readonly items: Reply[] | null };

export interface RespReplyParserLimits {
  readonly bulkBytesMax: number;
  readonly arrayLenMax: number;
  /** Longest `+`, `-`, `:` line (and any length line), LF included. */
  readonly lineBytesMax: number;
  /** Deepest nesting of arrays (a flat array is depth 1). */
  readonly depthMax: number;
}

export const DEFAULT_RESP_REPLY_PARSER_LIMITS: RespReplyParserLimits = {
  bulkBytesMax: 512 * 1024 * 1024,
  arrayLenMax: 1024 * 1024,
  lineBytesMax: 64 * 1024,
  depthMax: 64,
};

const CR = 0x0d;
const LF = 0x0a;

/** An array being filled. Invariant: items.length < expected. */
interface OpenArray {
  readonly items: Reply[];
  readonly expected: number;
}

/**
 * Streaming parser for server replies (used by myshell, tests and the
 * benchmark): `+`, `-`, `:`, `$` (incl. `$-1`), `*` (incl. `*-1`, nested).
 * `for (const r of parser.feed(chunk))` yields each complete top-level reply
 * in order; on malformed input the iterator throws a ProtocolError after
 * the replies before it, and the parser stays dead.
 */
export class RespReplyParser {
  private readonly limits: RespReplyParserLimits;
  private readonly queue = new ByteQueue();
  private failure: ProtocolError | null = null;
  /** Arrays opened but not yet complete, outermost first. */
  private readonly stack: OpenArray[] = [];
  /** Bytes of the head line already searched for LF. */
  private scanned = 0;

  constructor(limits: Partial<RespReplyParserLimits> = {}) {
    this.limits = { ...DEFAULT_RESP_REPLY_PARSER_LIMITS, ...limits };
    for (const [name, v] of Object.entries(this.limits)) {
      assert(Number.isSafeInteger(v) && v > 0, `reply limits: ${name} must be a positive integer`);
    }
  }

  get dead(): boolean {
    return this.failure !== null;
  }

  /** Received bytes not yet part of a finished element (a partial line or bulk: bounded by lineBytesMax + bulkBytesMax + 2). */
  get bufferedBytes(): number {
    return this.queue.length;
  }

  /** True while a reply has been started but not finished. */
  get pending(): boolean {
    return this.queue.length > 0 || this.stack.length > 0;
  }

  feed(chunk: Buffer): IterableIterator<Reply> {
    if (this.failure !== null) throw this.failure;
    this.queue.push(chunk);
    return this.drain();
  }

  private *drain(): Generator<Reply, void, undefined> {
    try {
      for (;;) {
        if (this.failure !== null) throw this.failure;
        const value = this.element();
        if (value === undefined) return;
        const done = this.attach(value);
        if (done !== undefined) yield done;
      }
    } catch (err) {
      if (err instanceof ProtocolError) {
        this.failure = err;
        this.queue.clear();
        this.stack.length = 0;
      }
      throw err;
    }
  }

  /**
   * Puts a finished element into the innermost open array, closing arrays
   * that become full. Returns the top-level reply if one is now complete.
   */
  private attach(value: Reply | OpenArray): Reply | undefined {
    let v: Reply | OpenArray = value;
    for (;;) {
      if (!('type' in v)) {
        // A new non-empty array: open it; nothing complete yet.
        if (this.stack.length >= this.limits.depthMax) {
          throw new ProtocolError('NESTING_TOO_DEEP', `arrays nested deeper than ${this.limits.depthMax}`);
        }
        this.stack.push(v);
        return undefined;
      }
      const top = this.stack[this.stack.length - 1];
      if (top === undefined) return v;
      top.items.push(v);
      if (top.items.length < top.expected) return undefined;
      this.stack.pop();
      v = { type: 'array', items: top.items };
    }
  }

  /** The next element (an open array for `*N`, N > 0), or undefined if incomplete. */
  private element(): Reply | OpenArray | undefined {
    if (this.queue.length === 0) return undefined;
    const type = this.queue.byteAt(0);
    const lineEnd = this.findLineEnd();
    if (lineEnd === -1) return undefined;
    switch (type) {
      case 0x2b: // +
        return { type: 'simple', value: this.takeLine(lineEnd) };
      case 0x2d: // -
        return { type: 'error', message: this.takeLine(lineEnd) };
      case 0x3a: // :
        return { type: 'integer', value: this.integer(this.takeLine(lineEnd)) };
      case 0x24: { // $
        const len = this.length(lineEnd, this.limits.bulkBytesMax, 'BULK_TOO_LARGE');
        const header = lineEnd + 2; // `$N\r\n`
        if (len === -1) {
          this.queue.skip(header);
          return { type: 'bulk', value: null };
        }
        if (this.queue.length < header + len + 2) return undefined;
        if (this.queue.byteAt(header + len) !== CR || this.queue.byteAt(header + len + 1) !== LF) {
          throw new ProtocolError('MISSING_CRLF', `bulk of ${len} bytes not followed by CRLF`);
        }
        this.queue.skip(header);
        const value = this.queue.take(len);
        this.queue.skip(2);
        return { type: 'bulk', value };
      }
      case 0x2a: { // *
        const len = this.length(lineEnd, this.limits.arrayLenMax, 'ARRAY_TOO_LONG');
        this.queue.skip(lineEnd + 2);
        if (len === -1) return { type: 'array', items: null };
        if (len === 0) return { type: 'array', items: [] };
        return { items: [], expected: len };
      }
      default:
        throw new ProtocolError('BAD_TYPE_BYTE', `unknown reply type byte 0x${type.toString(16)}`);
    }
  }

  /** Position of the CR of the head line's CRLF, or -1 if not all here yet. */
  private findLineEnd(): number {
    const max = this.limits.lineBytesMax;
    const lf = this.queue.indexOf(LF, Math.max(1, this.scanned), max);
    if (lf === -1) {
      if (this.queue.length >= max) throw new ProtocolError('INLINE_TOO_LONG', `reply line longer than ${max} bytes`);
      this.scanned = this.queue.length;
      return -1;
    }
    this.scanned = 0;
    if (this.queue.byteAt(lf - 1) !== CR) throw new ProtocolError('MISSING_CRLF', 'reply line ended by LF without CR');
    return lf - 1;
  }

  /** The text after the type byte up to `crAt`, consuming the line and its CRLF. */
  private takeLine(crAt: number): string {
    const line = this.queue.take(crAt + 2);
    return line.toString('utf8', 1, crAt);
  }

  private integer(text: string): number {
    // The line may be lineBytesMax long: the reason quotes its start only.
    const shown = text.length <= 32 ? JSON.stringify(text) : `${JSON.stringify(text.slice(0, 32))}... (${text.length} chars)`;
    if (!/^-?\d+$/.test(text)) throw new ProtocolError('BAD_INTEGER', `integer reply ${shown}`);
    const n = Number(text);
    if (!Number.isSafeInteger(n)) throw new ProtocolError('BAD_INTEGER', `integer reply ${shown} outside the safe range`);
    return n;
  }

  /** The N of a `$N` / `*N` line ending at `crAt`: -1 or 0..max. Does not consume. */
  private length(crAt: number, max: number, tooBig: 'BULK_TOO_LARGE' | 'ARRAY_TOO_LONG'): number {
    let text = '';
    for (let i = 1; i < crAt && i <= 21; i++) text += String.fromCharCode(this.queue.byteAt(i));
    if (crAt > 21 || !/^(-1|0|[1-9][0-9]*)$/.test(text)) {
      throw new ProtocolError('BAD_LENGTH', `bad length ${JSON.stringify(text)}`);
    }
    const n = Number(text);
    if (n > max) throw new ProtocolError(tooBig, `length ${n} exceeds ${max}`);
    return n;
  }
}
