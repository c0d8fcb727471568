/**
 * The data commands as plans: the ops they run on their keys and how the
 * ops' results become the reply. A command alone runs its plan through the
 * cheapest path (a read, one str entry); inside MULTI the plans of every
 * queued command run as ONE program (kv-service `exec`), and each command's
 * reply is made from its share of the results, as Redis answers EXEC.
 */
import type { StrChange, StrResult, Ttl } from '../kv/str-command.js';
import type { ExecOp } from '../server/kv-service.js';
import { parseInteger } from './redis-call.js';
import { DECREMENT_OVERFLOW, NOT_AN_INTEGER, OVERFLOW, SYNTAX_ERROR, invalidExpire } from './redis-errors.js';
import { NULL, OK, array, bulk, error, int, simple } from './resp-value.js';
import type { RespValue } from './resp-value.js';

export interface Plan {
  readonly ops: readonly ExecOp[];
  /** The reply from the ops' results, one per op in order. */
  reply(outs: readonly StrResult[]): RespValue;
}

/** A command's plan, or the error Redis replies for its arguments (checked when it runs, as Redis does inside EXEC). */
export type Planner = (argv: readonly Buffer[], fullname: string) => Plan | RespValue;

export const isPlan = (p: Plan | RespValue): p is Plan => 'ops' in p;

function valueOut(r: StrResult): Buffer | null {
  if (r.kind !== 'value') throw new Error(`str result ${r.kind} where a value was expected`);
  return r.value;
}

function asInteger(r: StrResult): RespValue {
  if (r.kind === 'refused') return error(r.code === 'OVERFLOW' ? OVERFLOW : NOT_AN_INTEGER);
  if (r.kind !== 'int') throw new Error(`str result ${r.kind} for an integer reply`);
  return int(BigInt(r.n));
}

const one = (key: Buffer, change: StrChange, reply: (r: StrResult) => RespValue): Plan => ({
  ops: [{ key, kind: 'str', change }],
  reply: (outs) => reply(outs[0]!),
});

const reads = (keys: readonly Buffer[], reply: (values: (Buffer | null)[]) => RespValue): Plan => ({
  ops: keys.map((key) => ({ key, kind: 'get' })),
  reply: (outs) => reply(outs.map(valueOut)),
});

export const getPlan: Planner = (argv) => reads([argv[1]!], ([v]) => (v === null ? NULL : bulk(v!)));
export const strlenPlan: Planner = (argv) => reads([argv[1]!], ([v]) => int(v === null ? 0 : v!.length));
/** TYPE: every kvstore value is a string. */
export const typePlan: Planner = (argv) => reads([argv[1]!], ([v]) => simple(v === null ? 'none' : 'string'));
/** EXISTS: a key named twice counts twice (as Redis). */
export const existsPlan: Planner = (argv) => reads(argv.slice(1), (vs) => int(vs.filter((v) => v !== null).length));
export const mgetPlan: Planner = (argv) => reads(argv.slice(1), (vs) => array(vs.map((v) => (v === null ? NULL : bulk(v)))));

const PLAIN_SET = (value: Buffer): StrChange => ({ kind: 'set', value, cond: 'any', get: false, ttl: { t: 'clear' } });

/** DEL / UNLINK: the keys removed (`DEL a a` removes one). */
export const delPlan: Planner = (argv) => ({
  ops: argv.slice(1).map((key) => ({ key, kind: 'str', change: { kind: 'getdel' } })),
  reply: (outs) => int(outs.filter((r) => r.kind === 'value' && r.applied).length),
});

export const msetPlan: Planner = (argv) => {
  if (argv.length % 2 === 0) return error(`ERR wrong number of arguments for 'mset' command`);
  const ops: ExecOp[] = [];
  for (let i = 1; i < argv.length; i += 2) ops.push({ key: argv[i]!, kind: 'str', change: PLAIN_SET(argv[i + 1]!) });
  return { ops, reply: () => OK };
};

/** MSETNX: every key set, or none when any exists (1 / 0); one transaction over any groups. */
export const msetnxPlan: Planner = (argv) => {
  if (argv.length % 2 === 0) return error(`ERR wrong number of arguments for 'msetnx' command`);
  const ops: ExecOp[] = [];
  const named = new Set<string>();
  for (let i = 1; i < argv.length; i += 2) {
    const k = argv[i]!.toString('latin1');
    if (!named.has(k)) ops.push({ key: argv[i]!, kind: 'absent' });
    named.add(k);
  }
  for (let i = 1; i < argv.length; i += 2) ops.push({ key: argv[i]!, kind: 'str', change: PLAIN_SET(argv[i + 1]!) });
  return { ops, reply: () => int(1) };
};

/** SET's options as t_string.c parseExtendedStringArgumentsOrReply reads them. */
export interface SetOptions {
  readonly condition: 'nx' | 'xx' | undefined;
  readonly get: boolean;
  /** EX/PX/EXAT/PXAT as an expiry rule, or KEEPTTL. */
  readonly expiry: { readonly unit: 'EX' | 'PX' | 'EXAT' | 'PXAT'; readonly n: bigint } | 'KEEPTTL' | undefined;
}

/**
 * SET's options, or the error Redis replies for them, as Redis 7's
 * parseExtendedStringArgumentsOrReply then getExpireMillisecondsOrReply
 * read them: first the words (an option may repeat: NX NX, EX 1 EX 2, the
 * last amount wins; NX with XX, or two kinds of expiry, is a syntax
 * error), then the amount (not an integer; <= 0 or too large in ms).
 */
export function parseSetOptions(argv: readonly Buffer[]): SetOptions | RespValue {
  let condition: 'nx' | 'xx' | undefined;
  let getOld = false;
  let keepTtl = false;
  let unit: 'EX' | 'PX' | 'EXAT' | 'PXAT' | undefined;
  let amount: Buffer | undefined;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j]!.toString('utf8').toUpperCase();
    const next = argv[j + 1];
    if (opt === 'NX' && condition !== 'xx') condition = 'nx';
    else if (opt === 'XX' && condition !== 'nx') condition = 'xx';
    else if (opt === 'GET') getOld = true;
    else if (opt === 'KEEPTTL' && unit === undefined) keepTtl = true;
    else if ((opt === 'EX' || opt === 'PX' || opt === 'EXAT' || opt === 'PXAT') && !keepTtl && (unit === undefined || unit === opt) && next !== undefined) {
      unit = opt;
      amount = next;
      j++;
    } else return error(SYNTAX_ERROR);
  }
  let expiry: SetOptions['expiry'] = keepTtl ? 'KEEPTTL' : undefined;
  if (unit !== undefined) {
    const n = parseInteger(amount!);
    if (n === undefined) return error(NOT_AN_INTEGER);
    // Seconds beyond LLONG_MAX / 1000 would overflow in ms.
    if (n <= 0n || ((unit === 'EX' || unit === 'EXAT') && n > 9223372036854775807n / 1000n)) return error(invalidExpire('set'));
    expiry = { unit, n };
  }
  return { condition, get: getOld, expiry };
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
 * SET key value [NX|XX] [GET] [EX s|PX ms|EXAT t|PXAT t|KEEPTTL]: one
 * conditional write the state machine decides when it applies it (never a
 * read then a write: that would race), an expiry made absolute from the
 * leader's time in the entry.
 */
export const setPlan: Planner = (argv) => {
  const opts = parseSetOptions(argv);
  if ('t' in opts) return opts;
  let ttl: Ttl = { t: 'clear' };
  if (opts.expiry === 'KEEPTTL') ttl = { t: 'keep' };
  else if (opts.expiry !== undefined) {
    const t = ttlOf(opts.expiry.unit, opts.expiry.n);
    if (t === undefined) return error(invalidExpire('set'));
    ttl = t;
  }
  return one(argv[1]!, { kind: 'set', value: argv[2]!, cond: opts.condition ?? 'any', get: opts.get, ttl }, (r) => {
    if (r.kind !== 'value') throw new Error(`str result ${r.kind} for SET`);
    // With GET: the value before (null if none), written or not. Without: OK, or null when NX/XX stopped it.
    if (opts.get) return r.value === null ? NULL : bulk(r.value);
    return r.applied ? OK : NULL;
  });
};

/** SETNX key value: 1 when set, 0 when the key existed. */
export const setnxPlan: Planner = (argv) =>
  one(argv[1]!, { kind: 'set', value: argv[2]!, cond: 'nx', get: false, ttl: { t: 'clear' } }, (r) => {
    if (r.kind !== 'value') throw new Error(`str result ${r.kind} for SETNX`);
    return int(r.applied ? 1 : 0);
  });

/** GETSET key value: SET key value GET. */
export const getsetPlan: Planner = (argv) =>
  one(argv[1]!, { kind: 'set', value: argv[2]!, cond: 'any', get: true, ttl: { t: 'clear' } }, (r) => {
    const v = valueOut(r);
    return v === null ? NULL : bulk(v);
  });

/** GETDEL key: the value, removed; null when missing. */
export const getdelPlan: Planner = (argv) =>
  one(argv[1]!, { kind: 'getdel' }, (r) => {
    const v = valueOut(r);
    return v === null ? NULL : bulk(v);
  });

const incrPlan = (argv: readonly Buffer[], by: bigint): Plan => one(argv[1]!, { kind: 'incr', by: by.toString() }, asInteger);

export const incrPlanOne: Planner = (argv) => incrPlan(argv, 1n);
export const decrPlanOne: Planner = (argv) => incrPlan(argv, -1n);
export const incrbyPlan: Planner = (argv) => {
  const by = parseInteger(argv[2]!);
  return by === undefined ? error(NOT_AN_INTEGER) : incrPlan(argv, by);
};
export const decrbyPlan: Planner = (argv) => {
  const by = parseInteger(argv[2]!);
  if (by === undefined) return error(NOT_AN_INTEGER);
  // -(-2^63) is not a 64-bit integer (t_string.c decrbyCommand).
  return by === -9223372036854775808n ? error(DECREMENT_OVERFLOW) : incrPlan(argv, -by);
};

/** APPEND key value: the length after. */
export const appendPlan: Planner = (argv) =>
  one(argv[1]!, { kind: 'append', value: argv[2]! }, (r) => {
    if (r.kind !== 'len') throw new Error(`str result ${r.kind} for APPEND`);
    return int(r.n);
  });

/** EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT key n [NX|XX|GT|LT] (db.c expireGenericCommand): 1 when set, 0 when not. */
function expirePlan(unit: 'EX' | 'PX' | 'EXAT' | 'PXAT'): Planner {
  return (argv, fullname) => {
    const flags = new Set<string>();
    for (let j = 3; j < argv.length; j++) {
      const opt = argv[j]!.toString('utf8');
      const up = opt.toUpperCase();
      if (up !== 'NX' && up !== 'XX' && up !== 'GT' && up !== 'LT') return error(`ERR Unsupported option ${opt}`);
      flags.add(up);
    }
    if (flags.has('NX') && (flags.has('XX') || flags.has('GT') || flags.has('LT'))) return error('ERR NX and XX, GT or LT options at the same time are not compatible');
    if (flags.has('GT') && flags.has('LT')) return error('ERR GT and LT options at the same time are not compatible');
    const n = parseInteger(argv[2]!);
    if (n === undefined) return error(NOT_AN_INTEGER);
    const ttl = ttlOf(unit, n);
    if (ttl === undefined) return error(invalidExpire(fullname));
    const cond = flags.has('NX') ? 'nx' : flags.has('XX') ? (flags.has('GT') ? 'gt' : flags.has('LT') ? 'lt' : 'xx') : flags.has('GT') ? 'gt' : flags.has('LT') ? 'lt' : 'any';
    return one(argv[1]!, { kind: 'expire', ttl, cond }, asInteger);
  };
}

export const expirePlanEx = expirePlan('EX');
export const expirePlanPx = expirePlan('PX');
export const expirePlanExat = expirePlan('EXAT');
export const expirePlanPxat = expirePlan('PXAT');

export const persistPlan: Planner = (argv) => one(argv[1]!, { kind: 'persist' }, asInteger);

/** TTL/PTTL/EXPIRETIME/PEXPIRETIME: -2 missing, -1 no expiry; seconds rounded as Redis ((ms + 500) / 1000). */
function ttlPlan(ms: boolean, absolute: boolean): Planner {
  return (argv) =>
    one(argv[1]!, { kind: 'ttl' }, (r) => {
      if (r.kind !== 'ttl') throw new Error(`str result ${r.kind} for TTL`);
      if (r.atMs < 0) return int(r.atMs);
      const v = absolute ? r.atMs : Math.max(0, r.leftMs);
      return int(ms ? v : Math.floor((v + 500) / 1000));
    });
}

export const ttlPlanS = ttlPlan(false, false);
export const pttlPlan = ttlPlan(true, false);
export const expiretimePlan = ttlPlan(false, true);
export const pexpiretimePlan = ttlPlan(true, true);

/** The planners by command name: what MULTI may queue over keys. */
export const PLANNERS: ReadonlyMap<string, Planner> = new Map<string, Planner>([
  ['get', getPlan],
  ['strlen', strlenPlan],
  ['type', typePlan],
  ['exists', existsPlan],
  ['mget', mgetPlan],
  ['set', setPlan],
  ['setnx', setnxPlan],
  ['getset', getsetPlan],
  ['getdel', getdelPlan],
  ['del', delPlan],
  ['unlink', delPlan],
  ['mset', msetPlan],
  ['msetnx', msetnxPlan],
  ['incr', incrPlanOne],
  ['decr', decrPlanOne],
  ['incrby', incrbyPlan],
  ['decrby', decrbyPlan],
  ['append', appendPlan],
  ['expire', expirePlanEx],
  ['pexpire', expirePlanPx],
  ['expireat', expirePlanExat],
  ['pexpireat', expirePlanPxat],
  ['persist', persistPlan],
  ['ttl', ttlPlanS],
  ['pttl', pttlPlan],
  ['expiretime', expiretimePlan],
  ['pexpiretime', pexpiretimePlan],
]);
