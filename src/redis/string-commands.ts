import { assert } from '../../raft/assert.js';
import type { StrResult } from '../kv/str-command.js';
import { CrossGroupError } from '../server/routed-kv.js';
import type { Call, Handler, Reply } from './redis-call.js';
import { CROSSSLOT } from './redis-errors.js';
import { OK, error, int } from './resp-value.js';
import type { RespValue } from './resp-value.js';
import * as plans from './string-plans.js';
import { isPlan, type Planner } from './string-plans.js';

/**
 * The string commands over the replicated store, each run alone through
 * its cheapest path (string-plans.ts has what they do; MULTI/EXEC runs the
 * same plans as one program). kvstore stores a value as words (the lab's
 * SET takes several); this door writes ONE word, the whole bulk string,
 * and reads back the words joined by single spaces, so a value the lab port
 * stored as `SET k a b` reads here as `a b`.
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

/** A failure of the store as the client sees it: CROSSSLOT over several groups, else ERR and the reason. */
export function storeError(err: unknown): RespValue {
  if (err instanceof CrossGroupError) return error(CROSSSLOT);
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  return error(`ERR kvstore ${typeof code === 'string' ? `${code}: ` : ''}${message}`);
}

const asOut = (v: readonly Buffer[] | undefined): StrResult => ({ kind: 'value', value: v === undefined ? null : joinWords(v), applied: v !== undefined });

/**
 * A read-only plan through the read path (a ReadIndex read, no log entry):
 * one key a GET, several an MGET (one instant, a transaction's read across groups).
 */
function viaRead(planner: Planner): Handler {
  return (c: Call): Reply => {
    const p = planner(c.argv, c.fullname);
    if (!isPlan(p)) return p;
    const keys = p.ops.map((o) => {
      assert(o.kind === 'get', 'redis door: a read plan only reads');
      return o.key;
    });
    if (keys.length === 1) {
      return c.session.execute({ type: 'get', key: keys[0]! }).then((a) => {
        if (a.type !== 'values') throw new Error(`kv answered ${a.type} to a read`);
        return p.reply([asOut(a.values)]);
      });
    }
    return c.session.execute({ type: 'mget', keys }).then((a) => {
      if (a.type !== 'multi') throw new Error(`kv answered ${a.type} to MGET`);
      return p.reply(a.values.map(asOut));
    });
  };
}

/** A one-key plan as ONE replicated str command, decided where the value is. */
function viaStr(planner: Planner): Handler {
  return (c: Call): Reply => {
    const p = planner(c.argv, c.fullname);
    if (!isPlan(p)) return p;
    const op = p.ops[0];
    assert(p.ops.length === 1 && op !== undefined && op.kind === 'str', 'redis door: a str plan is one str op');
    return c.session.execute({ type: 'str', key: op.key, change: op.change }).then((a) => {
      if (a.type !== 'str') throw new Error(`kv answered ${a.type} to a str command`);
      return p.reply([a.result]);
    });
  };
}

export const get = viaRead(plans.getPlan);
export const strlen = viaRead(plans.strlenPlan);
export const type = viaRead(plans.typePlan);
export const exists = viaRead(plans.existsPlan);
export const mget = viaRead(plans.mgetPlan);

/** MSET k v [k v ...]: all or none, keys in several groups in one transaction. */
export function mset(c: Call): Reply {
  const p = plans.msetPlan(c.argv, c.fullname);
  if (!isPlan(p)) return p;
  const pairs: Array<readonly [Buffer, Buffer]> = [];
  for (let i = 1; i < c.argv.length; i += 2) pairs.push([c.argv[i]!, c.argv[i + 1]!]);
  return c.session.execute({ type: 'mset', pairs }).then(() => OK);
}

/** MSETNX k v [k v ...]: 1 when every key was absent and all were set, else 0 and nothing changed. */
export function msetnx(c: Call): Reply {
  const p = plans.msetnxPlan(c.argv, c.fullname);
  if (!isPlan(p)) return p;
  return c.session.execute({ type: 'exec', ops: p.ops }).then((a) => {
    if (a.type !== 'exec') throw new Error(`kv answered ${a.type} to MSETNX`);
    return a.outs === undefined ? int(0) : p.reply(a.outs);
  });
}

/** DEL / UNLINK k [k ...]: the number removed; keys in several groups in one transaction. */
export function del(c: Call): Reply {
  return c.session.execute({ type: 'del', keys: c.argv.slice(1) }).then((a) => {
    if (a.type !== 'count') throw new Error(`kv answered ${a.type} to DEL`);
    return int(a.n);
  });
}

const setWithOptions = viaStr(plans.setPlan);

/** SET: plain SET is one replicated write; with options one conditional write (string-plans setPlan). */
export function setCommand(c: Call): Reply {
  if (c.argv.length === 3) return c.session.execute({ type: 'set', key: c.argv[1]!, values: [c.argv[2]!] }).then(() => OK);
  return setWithOptions(c);
}

export const setnx = viaStr(plans.setnxPlan);
export const getset = viaStr(plans.getsetPlan);
export const getdel = viaStr(plans.getdelPlan);
export const incr = viaStr(plans.incrPlanOne);
export const decr = viaStr(plans.decrPlanOne);
export const incrby = viaStr(plans.incrbyPlan);
export const decrby = viaStr(plans.decrbyPlan);
export const append = viaStr(plans.appendPlan);
export const expire = viaStr(plans.expirePlanEx);
export const pexpire = viaStr(plans.expirePlanPx);
export const expireat = viaStr(plans.expirePlanExat);
export const pexpireat = viaStr(plans.expirePlanPxat);
export const persist = viaStr(plans.persistPlan);
export const ttl = viaStr(plans.ttlPlanS);
export const pttl = viaStr(plans.pttlPlan);
export const expiretime = viaStr(plans.expiretimePlan);
export const pexpiretime = viaStr(plans.pexpiretimePlan);
