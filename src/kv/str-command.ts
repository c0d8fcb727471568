/**
 * Single-key string commands that read the value they change (Redis's
 * INCRBY, APPEND, GETDEL, and SET with NX/XX/GET). Each is ONE replicated
 * command: the leader never reads then writes, the state machine computes
 * the new value when it applies the entry, so every replica gets the same
 * answer from the same log (deterministic: the change and the value before).
 *
 * Wire tuple (inside the kv command `[tag, clientId, seq, key, change]`):
 *   ['incr', by]               by: decimal text of a signed 64-bit integer
 *   ['append', value]
 *   ['getdel']
 *   ['set', value, cond, get]  cond: 'nx' | 'xx' | 'any'; get: boolean
 */
import { assert, assertNever } from '../../raft/assert.js';

export type StrChange =
  | { readonly kind: 'incr'; readonly by: string }
  | { readonly kind: 'append'; readonly value: Buffer }
  | { readonly kind: 'getdel' }
  | { readonly kind: 'set'; readonly value: Buffer; readonly cond: 'nx' | 'xx' | 'any'; readonly get: boolean };

/** What applying a StrChange answers. Plain data: cached per session, sent in frames. */
export type StrResult =
  /** INCRBY: the new value as decimal text (a 64-bit integer is not a safe JS number). */
  | { readonly kind: 'int'; readonly n: string }
  /** APPEND: the length after. */
  | { readonly kind: 'len'; readonly n: number }
  /** GETDEL: the value removed; SET: whether it was written, and the value before when GET was asked. */
  | { readonly kind: 'value'; readonly value: Buffer | null; readonly applied: boolean }
  /** INCRBY on a value that is not an integer, or a result beyond 64 bits: nothing changed. */
  | { readonly kind: 'refused'; readonly code: 'NOT_INTEGER' | 'OVERFLOW' };

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/** Redis's string2ll: canonical decimal (no '+', no leading zeros, no spaces) within 64 bits. */
export function parseInt64(text: string): bigint | undefined {
  if (text.length === 0 || text.length > 20 || !/^(0|-?[1-9][0-9]*)$/.test(text)) return undefined;
  const n = BigInt(text);
  return n > INT64_MAX || n < INT64_MIN ? undefined : n;
}

export function strChangeTuple(c: StrChange): unknown[] {
  switch (c.kind) {
    case 'incr':
      return ['incr', c.by];
    case 'append':
      return ['append', c.value];
    case 'getdel':
      return ['getdel'];
    case 'set':
      return ['set', c.value, c.cond, c.get];
    default:
      return assertNever(c, 'str change');
  }
}

/** The change a tuple holds, or why it is none (a forwarded request may hold garbage; the log never does). */
export function parseStrChange(raw: unknown): StrChange | string {
  if (!Array.isArray(raw) || raw.length < 1) return 'str change is not a tuple';
  const [kind, a, b, c] = raw as unknown[];
  const bytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;
  const buf = (v: Uint8Array): Buffer => (Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength));
  switch (kind) {
    case 'incr':
      return raw.length === 2 && typeof a === 'string' && parseInt64(a) !== undefined ? { kind: 'incr', by: a } : 'bad incr';
    case 'append':
      return raw.length === 2 && bytes(a) ? { kind: 'append', value: buf(a) } : 'bad append';
    case 'getdel':
      return raw.length === 1 ? { kind: 'getdel' } : 'bad getdel';
    case 'set':
      return raw.length === 4 && bytes(a) && (b === 'nx' || b === 'xx' || b === 'any') && typeof c === 'boolean'
        ? { kind: 'set', value: buf(a), cond: b, get: c }
        : 'bad conditional set';
    default:
      return `unknown str change ${JSON.stringify(kind)}`;
  }
}

/** A cached result read back from a snapshot, or why it is none. */
export function parseStrResult(raw: unknown): StrResult | string {
  if (typeof raw !== 'object' || raw === null) return 'not an object';
  const r = raw as { kind?: unknown; n?: unknown; value?: unknown; applied?: unknown; code?: unknown };
  switch (r.kind) {
    case 'int':
      return typeof r.n === 'string' && parseInt64(r.n) !== undefined ? { kind: 'int', n: r.n } : 'bad int';
    case 'len':
      return typeof r.n === 'number' && Number.isSafeInteger(r.n) && r.n >= 0 ? { kind: 'len', n: r.n } : 'bad len';
    case 'value': {
      const v = r.value;
      if (typeof r.applied !== 'boolean' || !(v === null || v instanceof Uint8Array)) return 'bad value';
      return { kind: 'value', value: v === null ? null : Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength), applied: r.applied };
    }
    case 'refused':
      return r.code === 'NOT_INTEGER' || r.code === 'OVERFLOW' ? { kind: 'refused', code: r.code } : 'bad refusal';
    default:
      return `unknown kind ${String(r.kind)}`;
  }
}

/** A key's value as the state machine keeps it: latin1 text, one word or several. */
type Stored = string | readonly string[] | undefined;

/** The value as one Redis string (words joined by single spaces, as the Redis door reads them). */
function joined(v: Stored): string | undefined {
  return v === undefined ? undefined : typeof v === 'string' ? v : v.join(' ');
}

/**
 * Applies a change to the value before it: the value after (undefined:
 * deleted; `unchanged`: leave the key as it is) and the answer.
 * Pure: the same value and change give the same result on every replica.
 */
export function applyStrChange(before: Stored, c: StrChange): { readonly next: string | undefined | 'unchanged'; readonly result: StrResult } {
  const old = joined(before);
  switch (c.kind) {
    case 'incr': {
      const by = parseInt64(c.by);
      assert(by !== undefined, 'str change: incr by a checked 64-bit integer');
      const cur = old === undefined ? 0n : parseInt64(old);
      if (cur === undefined) return { next: 'unchanged', result: { kind: 'refused', code: 'NOT_INTEGER' } };
      const n = cur + by;
      if (n > INT64_MAX || n < INT64_MIN) return { next: 'unchanged', result: { kind: 'refused', code: 'OVERFLOW' } };
      return { next: n.toString(), result: { kind: 'int', n: n.toString() } };
    }
    case 'append': {
      const next = (old ?? '') + c.value.toString('latin1');
      return { next, result: { kind: 'len', n: next.length } };
    }
    case 'getdel':
      return { next: old === undefined ? 'unchanged' : undefined, result: { kind: 'value', value: old === undefined ? null : Buffer.from(old, 'latin1'), applied: old !== undefined } };
    case 'set': {
      const write = c.cond === 'any' || (c.cond === 'nx') === (old === undefined);
      const value = c.get && old !== undefined ? Buffer.from(old, 'latin1') : null;
      return { next: write ? c.value.toString('latin1') : 'unchanged', result: { kind: 'value', value, applied: write } };
    }
    default:
      return assertNever(c, 'str change');
  }
}
