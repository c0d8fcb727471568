/**
 * memcached's single-key writes as replicated str changes (str-command.ts):
 * set/add/replace/append/prepend/cas, incr/decr and touch/gat are each ONE
 * log entry whose outcome the state machine computes from the value before,
 * its expiry and the entry's nowMs, so a cas compare or an incr never reads
 * at the front door and then writes. Items are stored as mc-item.ts says.
 */
import { assertNever } from '../../raft/assert.js';
import { casOf, decodeItem, encodeItem } from './mc-item.js';
import type { StrApplied, StrResult, Ttl } from './str-command.js';

export const MC_STORE_MODES = ['set', 'add', 'replace', 'append', 'prepend', 'cas'] as const;
export type McStoreMode = (typeof MC_STORE_MODES)[number];

/** An expiry as memcached gives one: none, relative to nowMs, or absolute. */
export type McTtl = Extract<Ttl, { t: 'clear' | 'in' | 'at' }>;

export type McChange =
  /**
   * `cas`: the item's cas unique as decimal text when mode is 'cas', else ''.
   * `itemBytesMax`: the door's item limit, which append/prepend check after
   * joining (0: none, as in entries written before it existed).
   */
  | { readonly kind: 'mcstore'; readonly mode: McStoreMode; readonly value: Buffer; readonly flags: number; readonly ttl: McTtl; readonly cas: string; readonly itemBytesMax: number }
  /** `by`: decimal text of an unsigned 64-bit delta. */
  | { readonly kind: 'mcincr'; readonly by: string; readonly decr: boolean }
  /** touch (get false) and gat/gats (get true: the item before comes back). */
  | { readonly kind: 'mctouch'; readonly ttl: McTtl; readonly get: boolean };

/** TOO_LARGE: an append/prepend would make the item larger than the limit; nothing changed. */
export type McReplyCode = 'STORED' | 'NOT_STORED' | 'EXISTS' | 'NOT_FOUND' | 'TOUCHED' | 'NON_NUMERIC' | 'TOO_LARGE';
export const MC_REPLY_CODES: readonly McReplyCode[] = ['STORED', 'NOT_STORED', 'EXISTS', 'NOT_FOUND', 'TOUCHED', 'NON_NUMERIC', 'TOO_LARGE'];

const U64_MASK = (1n << 64n) - 1n;

/** Decimal text of an unsigned 64-bit integer (digits only, at most 2^64-1), or undefined. */
export function parseU64(text: string): bigint | undefined {
  if (!/^[0-9]{1,20}$/.test(text)) return undefined;
  const n = BigInt(text);
  return n > U64_MASK ? undefined : n;
}

/** An item's number as memcached's incr reads it (strtoull: blanks around digits; empty is 0). */
function itemNumber(data: Buffer): bigint | undefined {
  const t = data.toString('latin1').trim();
  return t === '' ? 0n : parseU64(t);
}

function mc(code: McReplyCode): StrResult {
  return { kind: 'mc', code };
}

function atOf(ttl: McTtl, nowMs: number): number | undefined {
  return ttl.t === 'clear' ? undefined : ttl.t === 'in' ? nowMs + ttl.ms : ttl.ms;
}

/**
 * `old`: the value as one string (latin1), undefined when missing or expired;
 * `keep`: what leaves the key as it was. Pure, as applyStrChange.
 */
export function applyMcChange(old: string | undefined, oldAt: number | undefined, c: McChange, nowMs: number, keep: (r: StrResult) => StrApplied): StrApplied {
  const write = (stored: string, at: number | undefined, result: StrResult): StrApplied =>
    at !== undefined && at <= nowMs ? { next: undefined, atMs: undefined, result } : { next: stored, atMs: at, result };
  switch (c.kind) {
    case 'mcstore': {
      const fresh = (): StrApplied => write(encodeItem(c.flags, c.value).toString('latin1'), atOf(c.ttl, nowMs), mc('STORED'));
      switch (c.mode) {
        case 'set':
          return fresh();
        case 'add':
          return old === undefined ? fresh() : keep(mc('NOT_STORED'));
        case 'replace':
          return old === undefined ? keep(mc('NOT_STORED')) : fresh();
        case 'append':
        case 'prepend': {
          // memcached ignores the command's flags and exptime here: the item keeps its own.
          if (old === undefined) return keep(mc('NOT_STORED'));
          const item = decodeItem(Buffer.from(old, 'latin1'));
          // Bounded: repeated appends cannot grow an item past the limit a set is held to.
          if (c.itemBytesMax > 0 && item.data.length + c.value.length > c.itemBytesMax) return keep(mc('TOO_LARGE'));
          const data = c.mode === 'append' ? Buffer.concat([item.data, c.value]) : Buffer.concat([c.value, item.data]);
          return write(encodeItem(item.flags, data).toString('latin1'), oldAt, mc('STORED'));
        }
        case 'cas':
          if (old === undefined) return keep(mc('NOT_FOUND'));
          return casOf(Buffer.from(old, 'latin1')) === c.cas ? fresh() : keep(mc('EXISTS'));
        default:
          return assertNever(c.mode, 'mc store mode');
      }
    }
    case 'mcincr': {
      if (old === undefined) return keep(mc('NOT_FOUND'));
      const item = decodeItem(Buffer.from(old, 'latin1'));
      const cur = itemNumber(item.data);
      if (cur === undefined) return keep(mc('NON_NUMERIC'));
      const by = parseU64(c.by) ?? 0n;
      // incr wraps at 2^64; decr stops at 0 (memcached do_add_delta).
      const n = c.decr ? (by > cur ? 0n : cur - by) : (cur + by) & U64_MASK;
      return { next: encodeItem(item.flags, Buffer.from(n.toString(), 'latin1')).toString('latin1'), atMs: oldAt, result: { kind: 'mcnum', n: n.toString() } };
    }
    case 'mctouch': {
      if (old === undefined) return keep(c.get ? { kind: 'value', value: null, applied: false } : mc('NOT_FOUND'));
      const result: StrResult = c.get ? { kind: 'value', value: Buffer.from(old, 'latin1'), applied: true } : mc('TOUCHED');
      const at = atOf(c.ttl, nowMs);
      if (at !== undefined && at <= nowMs) return { next: undefined, atMs: undefined, result };
      return { next: 'unchanged', atMs: at, result };
    }
    default:
      return assertNever(c, 'mc change');
  }
}

function mcTtlTuple(t: McTtl): unknown[] {
  return t.t === 'clear' ? ['clear'] : [t.t, t.ms];
}

function parseMcTtl(raw: unknown): McTtl | undefined {
  if (!Array.isArray(raw)) return undefined;
  const [t, ms] = raw as unknown[];
  if (t === 'clear' && raw.length === 1) return { t };
  if ((t === 'in' || t === 'at') && raw.length === 2 && typeof ms === 'number' && Number.isSafeInteger(ms)) return { t, ms };
  return undefined;
}

/**
 * Wire tuples (inside str's change tuple):
 *   ['mcstore', mode, value, flags, ttl, cas, itemBytesMax] | ['mcincr', by, decr] | ['mctouch', ttl, get]
 * (a 6-field mcstore, without itemBytesMax, is read as itemBytesMax 0).
 */
export function mcChangeTuple(c: McChange): unknown[] {
  switch (c.kind) {
    case 'mcstore':
      return ['mcstore', c.mode, c.value, c.flags, mcTtlTuple(c.ttl), c.cas, c.itemBytesMax];
    case 'mcincr':
      return ['mcincr', c.by, c.decr];
    case 'mctouch':
      return ['mctouch', mcTtlTuple(c.ttl), c.get];
    default:
      return assertNever(c, 'mc change');
  }
}

export function parseMcChange(raw: readonly unknown[]): McChange | string {
  const [kind, a, b, c, d, e, f] = raw;
  switch (kind) {
    case 'mcstore': {
      const ttl = parseMcTtl(d);
      const okFlags = typeof c === 'number' && Number.isInteger(c) && c >= 0 && c <= 0xffff_ffff;
      const okCas = typeof e === 'string' && (a === 'cas' ? parseU64(e) !== undefined : e === '');
      const max = raw.length === 6 ? 0 : f;
      const okMax = typeof max === 'number' && Number.isSafeInteger(max) && max >= 0;
      if ((raw.length !== 6 && raw.length !== 7) || !(MC_STORE_MODES as readonly unknown[]).includes(a) || !(b instanceof Uint8Array) || !okFlags || ttl === undefined || !okCas || !okMax) return 'bad mcstore';
      const value = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
      return { kind: 'mcstore', mode: a as McStoreMode, value, flags: c, ttl, cas: e, itemBytesMax: max };
    }
    case 'mcincr':
      return raw.length === 3 && typeof a === 'string' && parseU64(a) !== undefined && typeof b === 'boolean' ? { kind: 'mcincr', by: a, decr: b } : 'bad mcincr';
    case 'mctouch': {
      const ttl = parseMcTtl(a);
      return raw.length === 3 && ttl !== undefined && typeof b === 'boolean' ? { kind: 'mctouch', ttl, get: b } : 'bad mctouch';
    }
    default:
      return `unknown str change ${JSON.stringify(kind)}`;
  }
}
