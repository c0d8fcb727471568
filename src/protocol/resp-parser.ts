import { constants as bufferConstants } from 'node:buffer';
import { assert } from '../../raft/assert.js';
import { ByteQueue } from './byte-queue.js';
import { splitInlineArgs } from './inline-splitter.js';
import { ProtocolError } from './protocol-error.js';
import type { ProtocolErrorLine } from './protocol-error.js';

/** One client request: the command name and the arguments after it. */
export interface Command {
  /** The first word, upper-cased (`set` and `Set` are both `SET`). */
  readonly name: string;
  /** The words after the name, binary-safe. Each is its own copy. */
  readonly args: Buffer[];
  /** The first word as received (Redis echoes it in `unknown command '...'`). */
  readonly nameWord?: Buffer;
}

/** What one request may cost before the parser gives up on the connection. */
export interface RespParserLimits {
  /** Longest bulk string, in bytes (Redis: proto-max-bulk-len, 512 MiB). */
  readonly bulkBytesMax: number;
  /** Most elements in one request array. */
  readonly arrayLenMax: number;
  /** Longest inline command line, terminating LF included. */
  readonly inlineBytesMax: number;
  /** Most declared bytes in one request (headers + payloads + CRLFs). */
  readonly requestBytesMax: number;
}

/**
 * What a client that has not authenticated may send (Redis 7.2: an array of
 * at most 10 elements, bulks of at most 16 KiB, so a stranger cannot make
 * the server buffer a large request before AUTH).
 */
export interface PreAuthLimits {
  readonly arrayLenMax: number;
  readonly bulkBytesMax: number;
}

export const REDIS_PRE_AUTH_LIMITS: PreAuthLimits = { arrayLenMax: 10, bulkBytesMax: 16 * 1024 };

export const DEFAULT_RESP_PARSER_LIMITS: RespParserLimits = {
  bulkBytesMax: 512 * 1024 * 1024,
  arrayLenMax: 1024 * 1024,
  inlineBytesMax: 64 * 1024,
  requestBytesMax: 1024 * 1024 * 1024,
};

/**
 * A `*N` or `$N` line is at most 1 type byte + 20 digits/sign + CRLF; anything
 * longer without a LF is garbage, so it is rejected without buffering more.
 */
const lengthLineBytesMax = 32;

export function validateRespParserLimits(l: RespParserLimits): void {
  for (const [name, v] of Object.entries(l)) {
    assert(Number.isSafeInteger(v) && v > 0, `resp limits: ${name} must be a positive integer, got ${v}`);
  }
  assert(l.bulkBytesMax <= bufferConstants.MAX_LENGTH, 'resp limits: bulkBytesMax <= buffer.constants.MAX_LENGTH');
  assert(l.bulkBytesMax <= l.requestBytesMax, 'resp limits: bulkBytesMax <= requestBytesMax');
  assert(l.inlineBytesMax <= l.requestBytesMax, 'resp limits: inlineBytesMax <= requestBytesMax');
}

const STAR = 0x2a;
const DOLLAR = 0x24;
const CR = 0x0d;
const LF = 0x0a;

/**
 * Streaming parser for client requests: RESP arrays of bulk strings
 * (`*2\r\n$3\r\nGET\r\n$1\r\na\r\n`) and inline commands (`GET a\n`), in any
 * mix, pipelined, split across chunks at any byte.
 *
 * Usage: `for (const cmd of parser.feed(chunk)) handle(cmd)`. The iterator
 * yields every complete request in order; a malformed one makes it throw a
 * ProtocolError *after* the requests before it were yielded. From then on
 * the parser is dead: every later `feed` throws the same error.
 * Consume each iterator fully before the next `feed` (both read one queue).
 *
 * Like Redis: `*0` and `*-1` requests and blank inline lines are ignored; a
 * null bulk (`$-1`) is not a valid request argument (BAD_LENGTH).
 */
export class RespParser {
  private readonly limits: RespParserLimits;
  private readonly queue = new ByteQueue();
  private failure: ProtocolError | null = null;
  /** The request array being read, or null between requests. */
  private words: Buffer[] | null = null;
  /** Elements of `words` still to read. Invariant: words === null => 0. */
  private wordsLeft = 0;
  /** Declared length of the bulk being read, or -1 before its `$` line. */
  private bulkLen = -1;
  /** Declared bytes of the current request so far (for requestBytesMax). */
  private requestBytes = 0;
  /** Bytes of the head line already searched for LF (never rescanned). */
  private scanned = 0;
  /** Set while the client has not authenticated: tighter bounds on the requests after it (checked after the real ones, as Redis). */
  preAuth: PreAuthLimits | undefined;

  constructor(limits: Partial<RespParserLimits> = {}) {
    this.limits = { ...DEFAULT_RESP_PARSER_LIMITS, ...limits };
    validateRespParserLimits(this.limits);
  }

  /** True once a ProtocolError was thrown; the connection should be closed. */
  get dead(): boolean {
    return this.failure !== null;
  }

  /** Bytes received but not yet part of a yielded request. */
  get bufferedBytes(): number {
    return this.queue.length;
  }

  /**
   * Memory held for the request being read: its unread bytes plus the words
   * of it already taken out. Invariant between feeds: at most
   * max(requestBytesMax, a length line), whatever the input.
   */
  get heldBytes(): number {
    let n = this.queue.length;
    for (const w of this.words ?? []) n += w.length;
    return n;
  }

  feed(chunk: Buffer): IterableIterator<Command> {
    if (this.failure !== null) throw this.failure;
    this.queue.push(chunk);
    return this.drain();
  }

  private *drain(): Generator<Command, void, undefined> {
    try {
      for (;;) {
        const cmd = this.next();
        if (cmd === undefined) return;
        if (cmd !== null) yield cmd;
      }
    } catch (err) {
      if (err instanceof ProtocolError) this.fail(err);
      throw err;
    }
  }

  private fail(err: ProtocolError): void {
    this.failure = err;
    this.queue.clear();
    this.words = null;
  }

  /** A complete request, null for an ignored one, undefined when more bytes are needed. */
  private next(): Command | null | undefined {
    if (this.failure !== null) throw this.failure;
    if (this.words === null) {
      if (this.queue.length === 0) return undefined;
      return this.queue.byteAt(0) === STAR ? this.startArray() : this.inline();
    }
    return this.nextBulk();
  }

  private inline(): Command | null | undefined {
    const max = this.limits.inlineBytesMax;
    const lf = this.queue.indexOf(LF, this.scanned, max);
    if (lf === -1) {
      if (this.queue.length >= max) {
        throw new ProtocolError('INLINE_TOO_LONG', `inline command longer than ${max} bytes`);
      }
      this.scanned = this.queue.length;
      return undefined;
    }
    this.scanned = 0;
    const line = this.queue.take(lf + 1);
    const end = lf > 0 && line[lf - 1] === CR ? lf - 1 : lf;
    const words = splitInlineArgs(line.subarray(0, end));
    return words.length === 0 ? null : toCommand(words);
  }

  private startArray(): Command | null | undefined {
    this.requestBytes = 0;
    const count = this.lengthLine('count');
    if (count === undefined) return undefined;
    if (count <= 0) return null; // *0 and *-1: nothing to do, as in Redis
    if (count > this.limits.arrayLenMax) {
      throw new ProtocolError('ARRAY_TOO_LONG', `array of ${count} elements exceeds arrayLenMax ${this.limits.arrayLenMax}`);
    }
    if (this.preAuth !== undefined && count > this.preAuth.arrayLenMax) {
      throw new ProtocolError('UNAUTH_ARRAY_TOO_LONG', `array of ${count} elements before AUTH (at most ${this.preAuth.arrayLenMax})`);
    }
    this.words = [];
    this.wordsLeft = count;
    this.bulkLen = -1;
    return this.nextBulk();
  }

  private nextBulk(): Command | undefined {
    const words = this.words;
    assert(words !== null, 'nextBulk outside an array');
    while (this.wordsLeft > 0) {
      if (this.bulkLen < 0) {
        if (this.queue.length === 0) return undefined;
        const type = this.queue.byteAt(0);
        if (type !== DOLLAR) {
          throw new ProtocolError('BAD_TYPE_BYTE', `expected '$' in request array, got byte 0x${type.toString(16)}`, 'bulk', type);
        }
        const len = this.lengthLine('bulk');
        if (len === undefined) return undefined;
        if (len < 0) throw new ProtocolError('BAD_LENGTH', 'null bulk string in a request', 'bulk');
        if (len > this.limits.bulkBytesMax) {
          throw new ProtocolError('BULK_TOO_LARGE', `bulk of ${len} bytes exceeds bulkBytesMax ${this.limits.bulkBytesMax}`);
        }
        if (this.preAuth !== undefined && len > this.preAuth.bulkBytesMax) {
          throw new ProtocolError('UNAUTH_BULK_TOO_LARGE', `bulk of ${len} bytes before AUTH (at most ${this.preAuth.bulkBytesMax})`);
        }
        this.addRequestBytes(len + 2);
        this.bulkLen = len;
      }
      const len = this.bulkLen;
      if (this.queue.length < len + 2) return undefined;
      if (this.queue.byteAt(len) !== CR || this.queue.byteAt(len + 1) !== LF) {
        throw new ProtocolError('MISSING_CRLF', `bulk of ${len} bytes not followed by CRLF`);
      }
      words.push(this.queue.take(len));
      this.queue.skip(2);
      this.bulkLen = -1;
      this.wordsLeft--;
    }
    this.words = null;
    this.requestBytes = 0;
    return toCommand(words);
  }

  /**
   * Reads a `*N\r\n` or `$N\r\n` line at the head (type byte already checked)
   * and returns N, or undefined if the line is not complete yet.
   * Accepts an optional '-' and decimal digits without leading zeros; -1 is
   * the only negative allowed.
   */
  private lengthLine(line: ProtocolErrorLine): number | undefined {
    const lf = this.queue.indexOf(LF, 1, lengthLineBytesMax);
    if (lf === -1) {
      if (this.queue.length >= lengthLineBytesMax) {
        throw new ProtocolError('LENGTH_LINE_TOO_LONG', `length line longer than ${lengthLineBytesMax} bytes`, line);
      }
      return undefined;
    }
    if (this.queue.byteAt(lf - 1) !== CR) {
      throw new ProtocolError('MISSING_CRLF', 'length line ended by LF without CR', line);
    }
    let n: number;
    try {
      n = this.parseDecimal(1, lf - 1);
    } catch (err) {
      if (err instanceof ProtocolError) throw new ProtocolError(err.code, err.reason, line);
      throw err;
    }
    this.addRequestBytes(lf + 1);
    this.queue.skip(lf + 1);
    return n;
  }

  /** Decimal integer in queue bytes [from, to); -1 or >= 0, else BAD_LENGTH. */
  private parseDecimal(from: number, to: number): number {
    let i = from;
    const negative = i < to && this.queue.byteAt(i) === 0x2d;
    if (negative) i++;
    if (i >= to) throw new ProtocolError('BAD_LENGTH', 'empty length');
    // As Redis's string2ll: no leading zeros, so "0" is the only spelling of zero.
    if (this.queue.byteAt(i) === 0x30 && (negative || i + 1 < to)) {
      throw new ProtocolError('BAD_LENGTH', 'length with a leading zero');
    }
    let n = 0;
    for (; i < to; i++) {
      const d = this.queue.byteAt(i) - 0x30;
      if (d < 0 || d > 9) throw new ProtocolError('BAD_LENGTH', 'length is not a decimal integer');
      n = n * 10 + d;
      if (n > Number.MAX_SAFE_INTEGER / 10) throw new ProtocolError('BAD_LENGTH', 'length out of range');
    }
    if (negative && n !== 1) throw new ProtocolError('BAD_LENGTH', `negative length -${n}`);
    return negative ? -1 : n;
  }

  private addRequestBytes(n: number): void {
    this.requestBytes += n;
    if (this.requestBytes > this.limits.requestBytesMax) {
      throw new ProtocolError('REQUEST_TOO_LARGE', `request exceeds requestBytesMax ${this.limits.requestBytesMax}`);
    }
  }
}

function toCommand(words: Buffer[]): Command {
  const first = words[0];
  assert(first !== undefined, 'a command has at least one word');
  return { name: first.toString('utf8').toUpperCase(), args: words.slice(1), nameWord: first };
}
