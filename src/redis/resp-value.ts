import { assert, assertNever } from '../../raft/assert.js';

/**
 * A Redis reply as a value, before it is encoded for one connection's
 * protocol version. RESP3 types fall back to their RESP2 shapes as Redis
 * does (src/networking.c addReplyMapLen, addReplyNull, addReplyVerbatim...):
 *
 * | value     | RESP3                 | RESP2                          |
 * | --------- | --------------------- | ------------------------------ |
 * | null      | `_`                   | `$-1` (a null bulk)            |
 * | nullArray | `_`                   | `*-1`                          |
 * | map       | `%N` then N pairs     | `*2N`, keys and values in turn |
 * | set       | `~N`                  | `*N`                           |
 * | verbatim  | `=len` `txt:` text    | a bulk string of the text      |
 * | double    | `,1.5`                | a bulk string `1.5`            |
 * | bool      | `#t` / `#f`           | `:1` / `:0`                    |
 */
export type RespValue =
  | { readonly t: 'simple'; readonly s: string }
  | { readonly t: 'error'; readonly s: string }
  | { readonly t: 'int'; readonly n: number | bigint }
  | { readonly t: 'bulk'; readonly b: Buffer | string }
  | { readonly t: 'null' }
  | { readonly t: 'nullArray' }
  | { readonly t: 'array'; readonly items: readonly RespValue[] }
  | { readonly t: 'map'; readonly entries: readonly (readonly [RespValue, RespValue])[] }
  | { readonly t: 'set'; readonly items: readonly RespValue[] }
  | { readonly t: 'verbatim'; readonly text: string }
  | { readonly t: 'double'; readonly n: number }
  | { readonly t: 'bool'; readonly v: boolean };

/** The protocol a connection speaks: 2 until HELLO 3. */
export type Proto = 2 | 3;

export const simple = (s: string): RespValue => ({ t: 'simple', s });
/** An error reply; `s` starts with its code word (`ERR ...`, `WRONGTYPE ...`). */
export const error = (s: string): RespValue => ({ t: 'error', s });
export const int = (n: number | bigint): RespValue => ({ t: 'int', n });
export const bulk = (b: Buffer | string): RespValue => ({ t: 'bulk', b });
export const NULL: RespValue = Object.freeze({ t: 'null' });
export const NULL_ARRAY: RespValue = Object.freeze({ t: 'nullArray' });
export const array = (items: readonly RespValue[]): RespValue => ({ t: 'array', items });
export const set = (items: readonly RespValue[]): RespValue => ({ t: 'set', items });
export const verbatim = (text: string): RespValue => ({ t: 'verbatim', text });
export const bool = (v: boolean): RespValue => ({ t: 'bool', v });
export const double = (n: number): RespValue => ({ t: 'double', n });
/** A map with string keys, in the order given. */
export function map(entries: ReadonlyArray<readonly [string, RespValue]>): RespValue {
  return { t: 'map', entries: entries.map(([k, v]) => [bulk(k), v] as const) };
}
export const OK: RespValue = Object.freeze({ t: 'simple', s: 'OK' });

/** Encodes one reply for a connection speaking `proto`, in one Buffer. */
export function encodeValue(v: RespValue, proto: Proto): Buffer {
  const parts: Buffer[] = [];
  append(v, proto, parts);
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

function line(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

/** Redis replaces CR and LF in error and status texts with spaces, so a reply never splits (addReplyErrorLength). */
function oneLine(s: string): string {
  return s.replace(/[\r\n]/g, ' ');
}

function appendBulk(b: Buffer | string, out: Buffer[]): void {
  const body = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  out.push(line(`$${body.length}\r\n`), body, CRLF);
}

const CRLF = line('\r\n');

function append(v: RespValue, proto: Proto, out: Buffer[]): void {
  switch (v.t) {
    case 'simple':
      out.push(Buffer.from(`+${oneLine(v.s)}\r\n`, 'utf8'));
      return;
    case 'error':
      out.push(Buffer.from(`-${oneLine(v.s)}\r\n`, 'utf8'));
      return;
    case 'int':
      assert(typeof v.n === 'bigint' || Number.isSafeInteger(v.n), () => `resp int: ${v.n} is not a safe integer`);
      out.push(line(`:${v.n}\r\n`));
      return;
    case 'bulk':
      appendBulk(v.b, out);
      return;
    case 'null':
      out.push(line(proto === 3 ? '_\r\n' : '$-1\r\n'));
      return;
    case 'nullArray':
      out.push(line(proto === 3 ? '_\r\n' : '*-1\r\n'));
      return;
    case 'array':
    case 'set':
      out.push(line(`${v.t === 'set' && proto === 3 ? '~' : '*'}${v.items.length}\r\n`));
      for (const item of v.items) append(item, proto, out);
      return;
    case 'map':
      out.push(line(proto === 3 ? `%${v.entries.length}\r\n` : `*${v.entries.length * 2}\r\n`));
      for (const [k, val] of v.entries) {
        append(k, proto, out);
        append(val, proto, out);
      }
      return;
    case 'verbatim': {
      if (proto === 2) {
        appendBulk(v.text, out);
        return;
      }
      const body = Buffer.from(v.text, 'utf8');
      out.push(line(`=${body.length + 4}\r\ntxt:`), body, CRLF);
      return;
    }
    case 'double': {
      const text = formatDouble(v.n);
      if (proto === 2) appendBulk(text, out);
      else out.push(line(`,${text}\r\n`));
      return;
    }
    case 'bool':
      out.push(line(proto === 3 ? (v.v ? '#t\r\n' : '#f\r\n') : v.v ? ':1\r\n' : ':0\r\n'));
      return;
    default:
      assertNever(v, 'resp value');
  }
}

/** As Redis: `inf`, `-inf`, `nan`, else the shortest round-trip text. */
function formatDouble(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  return String(n);
}
