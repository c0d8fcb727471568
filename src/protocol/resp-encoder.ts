import { assert, assertNever } from '../../raft/assert.js';
import type { Reply } from './resp-reply-parser.js';

/**
 * RESP encoders: the lab's replies (exact bytes, see ARCHITECTURE.md "lab
 * contract"), generic replies, and client requests. Every encoder returns a
 * fresh Buffer, except the shared constants below, which callers must
 * never mutate.
 */

/** `+OK\r\n`: the reply to SET. */
export const OK_REPLY = Buffer.from('+OK\r\n', 'latin1');
/** `+PONG\r\n`: the reply to PING. */
export const PONG_REPLY = Buffer.from('+PONG\r\n', 'latin1');
/** `-ERROR\r\n`: the only error a lab client ever sees; the reason goes to the log. */
export const LAB_ERROR_REPLY = Buffer.from('-ERROR\r\n', 'latin1');
/** `*1\r\n$3\r\nnil\r\n`: the lab's reply to GET of a missing key. */
export const LAB_NIL_REPLY = Buffer.from('*1\r\n$3\r\nnil\r\n', 'latin1');

/** `+text\r\n`. Programmer error if text holds CR or LF (it would split the reply). */
export function encodeSimpleString(text: string): Buffer {
  assertSingleLine(text, 'simple string');
  return Buffer.from(`+${text}\r\n`, 'utf8');
}

/** `-message\r\n`, generic. At the lab-facing edge use LAB_ERROR_REPLY instead. */
export function encodeError(message: string): Buffer {
  assertSingleLine(message, 'error message');
  return Buffer.from(`-${message}\r\n`, 'utf8');
}

/** `:N\r\n` for a safe integer or a bigint (RESP integers are signed 64-bit). */
export function encodeInteger(n: number | bigint): Buffer {
  assert(typeof n === 'bigint' || Number.isSafeInteger(n), () => `encodeInteger: ${n} is not a safe integer`);
  return Buffer.from(`:${n}\r\n`, 'latin1');
}

/** `$len\r\n<bytes>\r\n`, or `$-1\r\n` for null. */
export function encodeBulkString(value: Buffer | string | null): Buffer {
  if (value === null) return Buffer.from('$-1\r\n', 'latin1');
  return encodeBulkArrayBody([toBuffer(value)], false);
}

/**
 * An array of bulk strings in one allocation: the lab's GET reply
 * (`*2\r\n$5\r\nCloud\r\n$9\r\nComputing\r\n`).
 */
export function encodeBulkArray(items: readonly Buffer[]): Buffer {
  return encodeBulkArrayBody(items, true);
}

/** A client request: `SET a b` -> `*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\nb\r\n`. */
export function encodeRequest(words: readonly (Buffer | string)[]): Buffer {
  assert(words.length > 0, 'encodeRequest: a request has at least one word');
  return encodeBulkArrayBody(words.map(toBuffer), true);
}

/** Any reply, e.g. to re-encode a parsed reply or to build test fixtures. */
export function encodeReply(reply: Reply): Buffer {
  const parts: Buffer[] = [];
  appendReply(reply, parts);
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
}

function appendReply(reply: Reply, out: Buffer[]): void {
  switch (reply.type) {
    case 'simple':
      out.push(encodeSimpleString(reply.value));
      return;
    case 'error':
      out.push(encodeError(reply.message));
      return;
    case 'integer':
      out.push(encodeInteger(reply.value));
      return;
    case 'bulk':
      out.push(encodeBulkString(reply.value));
      return;
    case 'array':
      if (reply.items === null) {
        out.push(Buffer.from('*-1\r\n', 'latin1'));
        return;
      }
      out.push(Buffer.from(`*${reply.items.length}\r\n`, 'latin1'));
      for (const item of reply.items) appendReply(item, out);
      return;
    default:
      assertNever(reply, 'reply');
  }
}

/** Sizes everything first so the reply is written into a single Buffer. */
function encodeBulkArrayBody(items: readonly Buffer[], withHeader: boolean): Buffer {
  let size = withHeader ? 1 + decimalLength(items.length) + 2 : 0;
  for (const item of items) size += 1 + decimalLength(item.length) + 2 + item.length + 2;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  if (withHeader) at += out.write(`*${items.length}\r\n`, at, 'latin1');
  for (const item of items) {
    at += out.write(`$${item.length}\r\n`, at, 'latin1');
    at += item.copy(out, at);
    out[at++] = 0x0d;
    out[at++] = 0x0a;
  }
  assert(at === size, 'bulk array: size mismatch');
  return out;
}

function decimalLength(n: number): number {
  let digits = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    digits++;
  }
  return digits;
}

function toBuffer(value: Buffer | string): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

function assertSingleLine(text: string, what: string): void {
  assert(!/[\r\n]/.test(text), () => `${what} must not contain CR or LF: ${JSON.stringify(text)}`);
}
