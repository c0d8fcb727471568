/**
 * Single-key string commands that read the value they change (Redis's
 * INCRBY, APPEND, GETDEL, SET with NX/XX/GET/EX..., EXPIRE, PERSIST, TTL).
 * Each is ONE replicated command: the front door never reads then writes;
 * the state machine computes the value after when it applies the entry,
 * from the value before, its expiry, the command and the command's `nowMs`,
 * so every replica gets the same answer from the same log.
 *
 * Time: `nowMs` is the leader's clock when it proposed the entry (stamped by
 * the leader, written in the log). A relative TTL (EX, EXPIRE) becomes the
 * absolute `nowMs + ms` at apply; a key whose expiry is <= nowMs is missing
 * for the command (and removed if the command does not write it). Expired
 * keys are removed by replicated `delexpired` commands (the leader's sweep).
 *
 * Wire tuple (inside the kv command `[tag, clientId, seq, key, [nowMs, change]]`):
 *   ['incr', by]                     by: decimal text of a signed 64-bit integer
 *   ['append', value]
 *   ['getdel']
 *   ['set', value, cond, get, ttl]   cond: 'nx' | 'xx' | 'any'; get: boolean
 *   ['expire', ttl, cond]            cond: 'nx' | 'xx' | 'gt' | 'lt' | 'any'
 *   ['persist'] | ['ttl'] | ['delexpired']
 * ttl: ['clear'] | ['keep'] | ['in', ms] | ['at', unixMs]
 * and memcached's writes (mcstore, mcincr, mctouch): mc-change.ts.
 */
import { assert, assertNever } from '../../raft/assert.js';
import { applyMcChange, mcChangeTuple, MC_REPLY_CODES, parseMcChange, parseU64, type McChange, type McReplyCode } from './mc-change.js';

/** An expiry as a command names it. `in` is relative to the entry's nowMs. */
export type Ttl = { readonly t: 'clear' } | { readonly t: 'keep' } | { readonly t: 'in'; readonly ms: number } | { readonly t: 'at'; readonly ms: number };

export type StrChange =
  | { readonly kind: 'incr'; readonly by: string }
  | { readonly kind: 'append'; readonly value: Buffer }
  | { readonly kind: 'getdel' }
  | { readonly kind: 'set'; readonly value: Buffer; readonly cond: 'nx' | 'xx' | 'any'; readonly get: boolean; readonly ttl: Ttl }
  | { readonly kind: 'expire'; readonly ttl: Extract<Ttl, { t: 'in' | 'at' }>; readonly cond: 'nx' | 'xx' | 'gt' | 'lt' | 'any' }
  | { readonly kind: 'persist' }
  /** The expiry as of nowMs (through the log, so linearizable like any write). */
  | { readonly kind: 'ttl' }
  /** Removes the key if its expiry is <= nowMs (the sweep's replicated delete). */
  | { readonly kind: 'delexpired' }
  /** memcached's set/add/replace/append/prepend/cas, incr/decr, touch/gat (mc-change.ts). */
  | McChange;

/** What applying a StrChange answers. Plain data: cached per session, sent in frames. */
export type StrResult =
  /** INCRBY: the new value; EXPIRE, PERSIST, delexpired: 1 or 0 (decimal text: a 64-bit integer is not a safe JS number). */
  | { readonly kind: 'int'; readonly n: string }
  /** APPEND: the length after. */
  | { readonly kind: 'len'; readonly n: number }
  /** GETDEL: the value removed; SET: whether it was written, and the value before when GET was asked. */
  | { readonly kind: 'value'; readonly value: Buffer | null; readonly applied: boolean }
  /** TTL: -2 missing, -1 no expiry, else the absolute expiry and the ms left at nowMs. */
  | { readonly kind: 'ttl'; readonly atMs: number; readonly leftMs: number }
  /** INCRBY on a value that is not an integer, or a result beyond 64 bits: nothing changed. */
  | { readonly kind: 'refused'; readonly code: 'NOT_INTEGER' | 'OVERFLOW' }
  /** A memcached write's reply word (mc-change.ts). */
  | { readonly kind: 'mc'; readonly code: McReplyCode }
  /** memcached incr/decr: the new unsigned 64-bit value, decimal. */
  | { readonly kind: 'mcnum'; readonly n: string };

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/** Redis's string2ll: canonical decimal (no '+', no leading zeros, no spaces) within 64 bits. */
export function parseInt64(text: string): bigint | undefined {
  if (text.length === 0 || text.length > 20 || !/^(0|-?[1-9][0-9]*)$/.test(text)) return undefined;
  const n = BigInt(text);
  return n > INT64_MAX || n < INT64_MIN ? undefined : n;
}

function ttlTuple(t: Ttl): unknown[] {
  return t.t === 'clear' || t.t === 'keep' ? [t.t] : [t.t, t.ms];
}

function parseTtl(raw: unknown): Ttl | undefined {
  if (!Array.isArray(raw)) return undefined;
  const [t, ms] = raw as unknown[];
  if ((t === 'clear' || t === 'keep') && raw.length === 1) return { t };
  if ((t === 'in' || t === 'at') && raw.length === 2 && typeof ms === 'number' && Number.isSafeInteger(ms)) return { t, ms };
  return undefined;
}

export function strChangeTuple(c: StrChange): unknown[] {
  switch (c.kind) {
    case 'incr':
      return ['incr', c.by];
    case 'append':
      return ['append', c.value];
    case 'set':
      return ['set', c.value, c.cond, c.get, ttlTuple(c.ttl)];
    case 'expire':
      return ['expire', ttlTuple(c.ttl), c.cond];
    case 'getdel':
    case 'persist':
    case 'ttl':
    case 'delexpired':
      return [c.kind];
    case 'mcstore':
    case 'mcincr':
    case 'mctouch':
      return mcChangeTuple(c);
    default:
      return assertNever(c, 'str change');
  }
}

/** The change a tuple holds, or why it is none (a forwarded request may hold garbage; the log never does). */
export function parseStrChange(raw: unknown): StrChange | string {
  if (!Array.isArray(raw) || raw.length < 1) return 'str change is not a tuple';
  const [kind, a, b, c, d] = raw as unknown[];
  const bytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;
  const buf = (v: Uint8Array): Buffer => (Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength));
  switch (kind) {
    case 'incr':
      return raw.length === 2 && typeof a === 'string' && parseInt64(a) !== undefined ? { kind: 'incr', by: a } : 'bad incr';
    case 'append':
      return raw.length === 2 && bytes(a) ? { kind: 'append', value: buf(a) } : 'bad append';
    case 'set': {
      const ttl = parseTtl(d);
      return raw.length === 5 && bytes(a) && (b === 'nx' || b === 'xx' || b === 'any') && typeof c === 'boolean' && ttl !== undefined
        ? { kind: 'set', value: buf(a), cond: b, get: c, ttl }
        : 'bad conditional set';
    }
    case 'expire': {
      const ttl = parseTtl(a);
      return raw.length === 3 && ttl !== undefined && (ttl.t === 'in' || ttl.t === 'at') && (b === 'nx' || b === 'xx' || b === 'gt' || b === 'lt' || b === 'any')
        ? { kind: 'expire', ttl, cond: b }
        : 'bad expire';
    }
    case 'getdel':
    case 'persist':
    case 'ttl':
    case 'delexpired':
      return raw.length === 1 ? { kind } : `bad ${kind}`;
    default:
      return parseMcChange(raw);
  }
}

/** A cached result read back from a snapshot, or why it is none. */
export function parseStrResult(raw: unknown): StrResult | string {
  if (typeof raw !== 'object' || raw === null) return 'not an object';
  const r = raw as { kind?: unknown; n?: unknown; value?: unknown; applied?: unknown; code?: unknown; atMs?: unknown; leftMs?: unknown };
  const safe = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x);
  switch (r.kind) {
    case 'int':
      return typeof r.n === 'string' && parseInt64(r.n) !== undefined ? { kind: 'int', n: r.n } : 'bad int';
    case 'len':
      return safe(r.n) && r.n >= 0 ? { kind: 'len', n: r.n } : 'bad len';
    case 'value': {
      const v = r.value;
      if (typeof r.applied !== 'boolean' || !(v === null || v instanceof Uint8Array)) return 'bad value';
      return { kind: 'value', value: v === null ? null : Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength), applied: r.applied };
    }
    case 'ttl':
      return safe(r.atMs) && safe(r.leftMs) ? { kind: 'ttl', atMs: r.atMs, leftMs: r.leftMs } : 'bad ttl';
    case 'refused':
      return r.code === 'NOT_INTEGER' || r.code === 'OVERFLOW' ? { kind: 'refused', code: r.code } : 'bad refusal';
    case 'mc':
      return (MC_REPLY_CODES as readonly unknown[]).includes(r.code) ? { kind: 'mc', code: r.code as McReplyCode } : 'bad mc reply';
    case 'mcnum':
      return typeof r.n === 'string' && parseU64(r.n) !== undefined ? { kind: 'mcnum', n: r.n } : 'bad mcnum';
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
 * What an applied change leaves: the value after (`unchanged`: keep the
 * stored words as they are; undefined: no key) and the expiry after
 * (absolute ms, undefined: none). Invariant: next undefined => atMs undefined.
 */
export interface StrApplied {
  readonly next: string | undefined | 'unchanged';
  readonly atMs: number | undefined;
  readonly result: StrResult;
}

const ONE: StrResult = Object.freeze({ kind: 'int', n: '1' });
const ZERO: StrResult = Object.freeze({ kind: 'int', n: '0' });

/**
 * Applies a change to the value before it and its expiry, at the entry's nowMs.
 * Pure: the same inputs give the same result on every replica.
 */
export function applyStrChange(before: Stored, beforeAtMs: number | undefined, c: StrChange, nowMs: number): StrApplied {
  // An expired key is missing; if the change does not write it, it is removed.
  const expired = beforeAtMs !== undefined && beforeAtMs <= nowMs;
  const old = expired ? undefined : joined(before);
  const oldAt = expired ? undefined : beforeAtMs;
  const keep = (result: StrResult): StrApplied =>
    expired || before === undefined ? { next: undefined, atMs: undefined, result } : { next: 'unchanged', atMs: oldAt, result };
  switch (c.kind) {
    case 'incr': {
      const by = parseInt64(c.by);
      assert(by !== undefined, 'str change: incr by a checked 64-bit integer');
      const cur = old === undefined ? 0n : parseInt64(old);
      if (cur === undefined) return keep({ kind: 'refused', code: 'NOT_INTEGER' });
      const n = cur + by;
      if (n > INT64_MAX || n < INT64_MIN) return keep({ kind: 'refused', code: 'OVERFLOW' });
      // INCR keeps the key's expiry (as Redis).
      return { next: n.toString(), atMs: oldAt, result: { kind: 'int', n: n.toString() } };
    }
    case 'append': {
      const next = (old ?? '') + c.value.toString('latin1');
      return { next, atMs: oldAt, result: { kind: 'len', n: next.length } };
    }
    case 'getdel':
      return { next: undefined, atMs: undefined, result: { kind: 'value', value: old === undefined ? null : Buffer.from(old, 'latin1'), applied: old !== undefined } };
    case 'set': {
      const write = c.cond === 'any' || (c.cond === 'nx') === (old === undefined);
      const value = c.get && old !== undefined ? Buffer.from(old, 'latin1') : null;
      const result: StrResult = { kind: 'value', value, applied: write };
      if (!write) return keep(result);
      const at = c.ttl.t === 'clear' ? undefined : c.ttl.t === 'keep' ? oldAt : c.ttl.t === 'in' ? nowMs + c.ttl.ms : c.ttl.ms;
      // An expiry already past (EXAT in the past) writes nothing that lives: the key is gone (as Redis).
      if (at !== undefined && at <= nowMs) return { next: undefined, atMs: undefined, result };
      return { next: c.value.toString('latin1'), atMs: at, result };
    }
    case 'expire': {
      if (old === undefined) return keep(ZERO);
      const at = c.ttl.t === 'in' ? nowMs + c.ttl.ms : c.ttl.ms;
      // Redis 7 EXPIRE options; no expiry counts as an infinite one for GT and LT.
      const ok =
        c.cond === 'any' ||
        (c.cond === 'nx' && oldAt === undefined) ||
        (c.cond === 'xx' && oldAt !== undefined) ||
        (c.cond === 'gt' && oldAt !== undefined && at > oldAt) ||
        (c.cond === 'lt' && (oldAt === undefined || at < oldAt));
      if (!ok) return keep(ZERO);
      if (at <= nowMs) return { next: undefined, atMs: undefined, result: ONE };
      return { next: 'unchanged', atMs: at, result: ONE };
    }
    case 'persist':
      return oldAt === undefined ? keep(ZERO) : { next: 'unchanged', atMs: undefined, result: ONE };
    case 'ttl': {
      const result: StrResult = old === undefined ? { kind: 'ttl', atMs: -2, leftMs: -2 } : oldAt === undefined ? { kind: 'ttl', atMs: -1, leftMs: -1 } : { kind: 'ttl', atMs: oldAt, leftMs: oldAt - nowMs };
      return keep(result);
    }
    case 'delexpired':
      return expired ? { next: undefined, atMs: undefined, result: ONE } : keep(ZERO);
    case 'mcstore':
    case 'mcincr':
    case 'mctouch':
      return applyMcChange(old, oldAt, c, nowMs, keep);
    default:
      return assertNever(c, 'str change');
  }
}
