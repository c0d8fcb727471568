import type { KvAnswer } from '../server/kv-service.js';
import { CrossGroupError } from '../server/routed-kv.js';
import { parseInteger } from './redis-call.js';
import type { Call, Reply } from './redis-call.js';
import type { StrChange, StrResult, Ttl } from '../kv/str-command.js';
import { CROSSSLOT, DECREMENT_OVERFLOW, NOT_AN_INTEGER, OVERFLOW, SYNTAX_ERROR, invalidExpire, wrongArity } from './redis-errors.js';
import { NULL, OK, array, bulk, error, int, simple } from './resp-value.js';
import type { RespValue } from './resp-value.js';

/**
 * The string commands over the replicated store. kvstore stores a value as
 * words (the lab's SET takes several); this door writes ONE word, the whole
 * bulk string, and reads back the words joined by single spaces, so a value
 * the lab port stored as `SET k a b` reads here as `a b`.
 */

const SPACE = Buffer.from(' ');

/** The stored words as one Redis string. */
export function joinWords(values: readonly Buffer[]): Buffer {
  if (values.length === 1) return values[0]!;
  const parts: Buffer[] = [];
  values.forEach((v, i) => {
    if (i > 0) parts.push(SPACE);
    parts.push(v);
  });
  return Buffer.concat(parts);
}

function valueOf(a: KvAnswer): Buffer | undefined {
  if (a.type !== 'values') throw new Error(`kv answered ${a.type} to a read`);
  return a.values === undefined ? undefined : joinWords(a.values);
}

function read(c: Call, key: Buffer): Promise<Buffer | undefined> {
  return c.session.execute({ type: 'get', key }).then(valueOf);
}

/** A failure of the store as the client sees it: CROSSSLOT over several groups, else ERR and the reason. */
export function storeError(err: unknown): RespValue {
  if (err instanceof CrossGroupError) return error(CROSSSLOT);
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  return error(`ERR kvstore ${typeof code === 'string' ? `${code}: ` : ''}${message}`);
}

export function get(c: Call): Reply {
  return read(c, c.argv[1]!).then((v) => (v === undefined ? NULL : bulk(v)));
}

export function strlen(c: Call): Reply {
  return read(c, c.argv[1]!).then((v) => int(v === undefined ? 0 : v.length));
}

/** TYPE: every kvstore value is a string. */
export function type(c: Call): Reply {
  return read(c, c.argv[1]!).then((v) => simple(v === undefined ? 'none' : 'string'));
}

/** The keys' values as of one instant (one MGET, a transaction's read when the keys span groups). */
function readMany(c: Call, keys: readonly Buffer[]): Promise<ReadonlyArray<Buffer | undefined>> {
  return c.session.execute({ type: 'mget', keys }).then((a) => {
    if (a.type !== 'multi') throw new Error(`kv answered ${a.type} to MGET`);
    return a.values.map((v) => (v === undefined ? undefined : joinWords(v)));
  });
}

/** EXISTS k [k ...]: how many of the keys exist, a key named twice counted twice (as Redis). */
export function exists(c: Call): Reply {
  return readMany(c, c.argv.slice(1)).then((vs) => int(vs.filter((v) => v !== undefined).length));
}

/** MGET k [k ...]: each key's value or null, as of one instant. */
export function mget(c: Call): Reply {
  return readMany(c, c.argv.slice(1)).then((vs) => array(vs.map((v) => (v === undefined ? NULL : bulk(v)))));
}

/** MSET k v [k v ...]: all or none, keys in several groups in one transaction. */
export function mset(c: Call): Reply {
  if (c.argv.length % 2 === 0) return error(wrongArity('mset'));
  const pairs: Array<readonly [Buffer, Buffer]> = [];
  for (let i = 1; i < c.argv.length; i += 2) pairs.push([c.argv[i]!, c.argv[i + 1]!]);
  return c.session.execute({ type: 'mset', pairs }).then(() => OK);
}

/** DEL / UNLINK k [k ...]: the number removed; keys in several groups in one transaction. */
export function del(c: Call): Reply {
  return c.session.execute({ type: 'del', keys: c.argv.slice(1) }).then((a) => {
    if (a.type !== 'count') throw new Error(`kv answered ${a.type} to DEL`);
    return int(a.n);
  });
}

/** SET's options as t_string.c parseExtendedStringArgumentsOrReply reads them. */
export interface SetOptions {
  readonly condition: 'nx' | 'xx' | undefined;
  readonly get: boolean;
  /** EX/PX/EXAT/PXAT as an expiry rule, or KEEPTTL. */
  readonly expiry: { readonly unit: 'EX' | 'PX' | 'EXAT' | 'PXAT'; readonly n: bigint } | 'KEEPTTL' | undefined;
}

/** SET's options, or the error Redis replies for them. */
export function parseSetOptions(argv: readonly Buffer[]): SetOptions | RespValue {
  let condition: 'nx' | 'xx' | undefined;
  let getOld = false;
  let expiry: SetOptions['expiry'];
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j]!.toString('utf8').toUpperCase();
    const next = argv[j + 1];
    if (opt === 'NX' && condition === undefined) condition = 'nx';
    else if (opt === 'XX' && condition === undefined) condition = 'xx';
    else if (opt === 'GET' && !getOld) getOld = true;
    else if (opt === 'KEEPTTL' && expiry === undefined) expiry = 'KEEPTTL';
    else if ((opt === 'EX' || opt === 'PX' || opt === 'EXAT' || opt === 'PXAT') && expiry === undefined && next !== undefined) {
      const n = parseInteger(next);
      if (n === undefined) return error(NOT_AN_INTEGER);
      if (n <= 0n) return error(invalidExpire('set'));
      expiry = { unit: opt, n };
      j++;
    } else return error(SYNTAX_ERROR);
  }
  return { condition, get: getOld, expiry };
}

/** A str op on the key, its result. */
function strOp(c: Call, change: StrChange): Promise<StrResult> {
  return c.session.execute({ type: 'str', key: c.argv[1]!, change }).then((a) => {
    if (a.type !== 'str') throw new Error(`kv answered ${a.type} to a str command`);
    return a.result;
  });
}

function asInteger(r: StrResult): RespValue {
  if (r.kind === 'refused') return error(r.code === 'OVERFLOW' ? OVERFLOW : NOT_AN_INTEGER);
  if (r.kind !== 'int') throw new Error(`str result ${r.kind} for an increment`);
  return int(BigInt(r.n));
}

function incrBy(c: Call, by: bigint): Reply {
  return strOp(c, { kind: 'incr', by: by.toString() }).then(asInteger);
}

export function incr(c: Call): Reply {
  return incrBy(c, 1n);
}

export function decr(c: Call): Reply {
  return incrBy(c, -1n);
}

export function incrby(c: Call): Reply {
  const by = parseInteger(c.argv[2]!);
  return by === undefined ? error(NOT_AN_INTEGER) : incrBy(c, by);
}

export function decrby(c: Call): Reply {
  const by = parseInteger(c.argv[2]!);
  if (by === undefined) return error(NOT_AN_INTEGER);
  // -(-2^63) is not a 64-bit integer (t_string.c decrbyCommand).
  return by === -9223372036854775808n ? error(DECREMENT_OVERFLOW) : incrBy(c, -by);
}

/** APPEND key value: the length after. */
export function append(c: Call): Reply {
  return strOp(c, { kind: 'append', value: c.argv[2]! }).then((r) => {
    if (r.kind !== 'len') throw new Error(`str result ${r.kind} for APPEND`);
    return int(r.n);
  });
}

/** GETDEL key: the value, removed; null when missing. */
export function getdel(c: Call): Reply {
  return strOp(c, { kind: 'getdel' }).then((r) => {
    if (r.kind !== 'value') throw new Error(`str result ${r.kind} for GETDEL`);
    return r.value === null ? NULL : bulk(r.value);
  });
}

/** Largest expiry in ms kvstore keeps exactly (a JS safe integer; Redis allows up to 2^63 ms). */
const EXPIRE_MS_MAX = Number.MAX_SAFE_INTEGER;

/** An EX/PX/EXAT/PXAT (or EXPIRE-family) amount as a Ttl, or undefined when it does not fit in ms. */
function ttlOf(unit: 'EX' | 'PX' | 'EXAT' | 'PXAT', n: bigint): Extract<Ttl, { t: 'in' | 'at' }> | undefined {
  const ms = unit === 'EX' || unit === 'EXAT' ? n * 1000n : n;
  if (ms > BigInt(EXPIRE_MS_MAX) || ms < -BigInt(EXPIRE_MS_MAX)) return undefined;
  return unit === 'EX' || unit === 'PX' ? { t: 'in', ms: Number(ms) } : { t: 'at', ms: Number(ms) };
}

/**
 * SET key value [NX|XX] [GET] [EX s|PX ms|EXAT t|PXAT t|KEEPTTL]. Plain SET
 * is one replicated write; with options it is one conditional write the
 * state machine decides when it applies it (never a read then a write: that
 * would race), an expiry made absolute from the leader's time in the entry.
 */
export function setCommand(c: Call): Reply {
  const opts = parseSetOptions(c.argv);
  if ('t' in opts) return opts;
  let ttl: Ttl = { t: 'clear' };
  if (opts.expiry === 'KEEPTTL') ttl = { t: 'keep' };
  else if (opts.expiry !== undefined) {
    const t = ttlOf(opts.expiry.unit, opts.expiry.n);
    if (t === undefined) return error(invalidExpire('set'));
    ttl = t;
  }
  if (opts.condition === undefined && !opts.get && opts.expiry === undefined) return c.session.execute({ type: 'set', key: c.argv[1]!, values: [c.argv[2]!] }).then(() => OK);
  return strOp(c, { kind: 'set', value: c.argv[2]!, cond: opts.condition ?? 'any', get: opts.get, ttl }).then((r) => {
    if (r.kind !== 'value') throw new Error(`str result ${r.kind} for SET`);
    // With GET: the value before (null if none), written or not. Without: OK, or null when NX/XX stopped it.
    if (opts.get) return r.value === null ? NULL : bulk(r.value);
    return r.applied ? OK : NULL;
  });
}

/** SETNX key value: 1 when set, 0 when the key existed. */
export function setnx(c: Call): Reply {
  return strOp(c, { kind: 'set', value: c.argv[2]!, cond: 'nx', get: false, ttl: { t: 'clear' } }).then((r) => {
    if (r.kind !== 'value') throw new Error(`str result ${r.kind} for SETNX`);
    return int(r.applied ? 1 : 0);
  });
}

/** GETSET key value: SET key value GET. */
export function getset(c: Call): Reply {
  return strOp(c, { kind: 'set', value: c.argv[2]!, cond: 'any', get: true, ttl: { t: 'clear' } }).then((r) => {
    if (r.kind !== 'value') throw new Error(`str result ${r.kind} for GETSET`);
    return r.value === null ? NULL : bulk(r.value);
  });
}

/** EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT key n [NX|XX|GT|LT] (db.c expireGenericCommand): 1 when set, 0 when not. */
function expireGeneric(c: Call, unit: 'EX' | 'PX' | 'EXAT' | 'PXAT'): Reply {
  const flags = new Set<string>();
  for (let j = 3; j < c.argv.length; j++) {
    const opt = c.argv[j]!.toString('utf8');
    const up = opt.toUpperCase();
    if (up !== 'NX' && up !== 'XX' && up !== 'GT' && up !== 'LT') return error(`ERR Unsupported option ${opt}`);
    flags.add(up);
  }
  if (flags.has('NX') && (flags.has('XX') || flags.has('GT') || flags.has('LT'))) return error('ERR NX and XX, GT or LT options at the same time are not compatible');
  if (flags.has('GT') && flags.has('LT')) return error('ERR GT and LT options at the same time are not compatible');
  const n = parseInteger(c.argv[2]!);
  if (n === undefined) return error(NOT_AN_INTEGER);
  const ttl = ttlOf(unit, n);
  if (ttl === undefined) return error(invalidExpire(c.fullname));
  const cond = flags.has('NX') ? 'nx' : flags.has('XX') ? (flags.has('GT') ? 'gt' : flags.has('LT') ? 'lt' : 'xx') : flags.has('GT') ? 'gt' : flags.has('LT') ? 'lt' : 'any';
  return strOp(c, { kind: 'expire', ttl, cond }).then(asInteger);
}

export const expire = (c: Call): Reply => expireGeneric(c, 'EX');
export const pexpire = (c: Call): Reply => expireGeneric(c, 'PX');
export const expireat = (c: Call): Reply => expireGeneric(c, 'EXAT');
export const pexpireat = (c: Call): Reply => expireGeneric(c, 'PXAT');

export function persist(c: Call): Reply {
  return strOp(c, { kind: 'persist' }).then(asInteger);
}

/** TTL/PTTL/EXPIRETIME/PEXPIRETIME: -2 missing, -1 no expiry; seconds rounded as Redis ((ms + 500) / 1000). */
function ttlGeneric(c: Call, ms: boolean, absolute: boolean): Reply {
  return strOp(c, { kind: 'ttl' }).then((r) => {
    if (r.kind !== 'ttl') throw new Error(`str result ${r.kind} for TTL`);
    if (r.atMs < 0) return int(r.atMs);
    const v = absolute ? r.atMs : Math.max(0, r.leftMs);
    return int(ms ? v : Math.floor((v + 500) / 1000));
  });
}

export const ttl = (c: Call): Reply => ttlGeneric(c, false, false);
export const pttl = (c: Call): Reply => ttlGeneric(c, true, false);
export const expiretime = (c: Call): Reply => ttlGeneric(c, false, true);
export const pexpiretime = (c: Call): Reply => ttlGeneric(c, true, true);
