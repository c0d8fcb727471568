/**
 * MULTI / EXEC / DISCARD / WATCH / UNWATCH (Redis's multi.c), over the
 * replicated store: EXEC runs every queued data command as ONE transaction
 * over any keys (kv-service `exec`: the 2PC over every group the keys fall
 * in, even one), so the whole block is applied at one instant or not at
 * all, and no other client sees a part of it.
 *
 * WATCH remembers a digest of each key's value (each read alone, linearizable;
 * no snapshot across groups is needed, as every value is checked again); EXEC's
 * transaction checks under its locks that every watched value is still the
 * same, else it changes nothing and EXEC answers a null array. Between WATCH
 * and EXEC the connection's own reads of a watched key must agree with WATCH
 * and its own writes to one break the watch (watchingSession): so every value
 * the client read after WATCH is the value at the commit point, and the block
 * runs only on what it was written against. What kvstore does not see is a
 * change and its undo by others that this client never read: Redis fails
 * that EXEC, kvstore lets it run (serializably).
 *
 * Commands without keys (PING, ECHO, INFO...) queue too and run after the
 * transaction, in their place in EXEC's reply; MSETNX is refused inside
 * MULTI (its all-or-nothing answer would need a check across the block).
 */
import type { StrResult } from '../kv/str-command.js';
import type { ExecOp, KvOp, KvSession } from '../server/kv-service.js';
import { txnKeysMax } from '../txn/txn-command.js';
import { programOpsMax, watchDigest } from '../txn/txn-program.js';
import type { RedisCommand } from './command-spec.js';
import type { Call, Handler, Reply } from './redis-call.js';
import { NULL_ARRAY, OK, array, error } from './resp-value.js';
import type { RespValue } from './resp-value.js';
import { joinWords, storeError } from './string-commands.js';
import { PLANNERS, isPlan, type Plan } from './string-plans.js';

/** A command queued by MULTI: its table entry, checked for arity when queued, and its words. */
export interface QueuedCommand {
  readonly cmd: RedisCommand & { readonly run: Handler };
  readonly argv: readonly Buffer[];
}

/** One connection's transaction state (Redis: CLIENT_MULTI, CLIENT_DIRTY_EXEC, the watched keys). */
export interface ClientTransaction {
  /** The commands queued since MULTI; undefined outside MULTI. */
  queued: QueuedCommand[] | undefined;
  /** A command was refused while queueing: EXEC answers EXECABORT. */
  dirty: boolean;
  /** Watched keys (latin1) -> the key and the digest of its value when WATCHed. */
  readonly watched: Map<string, { readonly key: Buffer; readonly digest: Buffer }>;
  /**
   * This connection read a watched key with another value than WATCH saw:
   * the key changed after WATCH, and EXEC answers null without running.
   * (EXEC's own check compares values at commit with WATCH's: alone it would
   * let a change and its undo between WATCH and a read pass, and the block
   * would run on a value the client never read.)
   */
  watchBroken: boolean;
}

export function newClientTransaction(): ClientTransaction {
  return { queued: undefined, dirty: false, watched: new Map(), watchBroken: false };
}

function writtenKeys(op: KvOp): readonly Buffer[] {
  switch (op.type) {
    case 'set':
      return [op.key];
    case 'str':
      return op.change.kind === 'ttl' ? [] : [op.key];
    case 'del':
      return op.keys;
    case 'mset':
      return op.pairs.map(([k]) => k);
    case 'exec':
      return op.ops.filter((o) => o.kind === 'str').map((o) => o.key);
    default:
      return [];
  }
}

/**
 * The connection's session, noting every read of a watched key: a value
 * other than the one WATCH saw breaks the watch (Redis: the key was touched
 * after WATCH, so EXEC fails). A re-WATCH of a watched key reads it again
 * through here too.
 */
export function watchingSession(inner: KvSession, tx: ClientTransaction): KvSession {
  const note = (key: Buffer, values: readonly Buffer[] | undefined): void => {
    const w = tx.watched.get(key.toString('latin1'));
    if (w !== undefined && !watchDigest(values === undefined ? undefined : joinWords(values)).equals(w.digest)) tx.watchBroken = true;
  };
  return {
    execute: async (op) => {
      // This connection's own write to a watched key touches it (as in Redis: EXEC then fails).
      if (tx.watched.size > 0 && (op.type === 'flush' || writtenKeys(op).some((k) => tx.watched.has(k.toString('latin1'))))) tx.watchBroken = true;
      const a = await inner.execute(op);
      if (tx.watched.size === 0) return a;
      if (op.type === 'get' && a.type === 'values') note(op.key, a.values);
      else if (op.type === 'mget' && a.type === 'multi') op.keys.forEach((k, i) => note(k, a.values[i]));
      return a;
    },
    close: () => inner.close(),
  };
}

/** Commands run at once inside MULTI rather than queued (multi.c / processCommand). */
export const RUN_INSIDE_MULTI: ReadonlySet<string> = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);

/** Commands one MULTI may queue: its ops must fit one program per group (txn-program programOpsMax). */
export const queuedMax = 4096;

const EXECABORT = 'EXECABORT Transaction discarded because of previous errors.';

/** Why a command may not be queued, or undefined when it may. */
export function refusedInMulti(cmd: RedisCommand, queued: number): string | undefined {
  if (queued >= queuedMax) return `ERR kvstore: a transaction holds at most ${queuedMax} commands`;
  if (cmd.name === 'flushall' || cmd.name === 'flushdb') return `ERR kvstore: ${cmd.name.toUpperCase()} is not supported inside MULTI; run it alone`;
  if (cmd.name === 'msetnx') return 'ERR kvstore: MSETNX is not supported inside MULTI (its keys may span groups); run it alone';
  if (PLANNERS.has(cmd.name) || cmd.firstKey === 0) return undefined;
  return `ERR kvstore: '${cmd.name}' is not supported inside MULTI`;
}

export function multi(c: Call): Reply {
  if (c.client.tx.queued !== undefined) return error('ERR MULTI calls can not be nested');
  c.client.tx.queued = [];
  c.client.tx.dirty = false;
  return OK;
}

export function discard(c: Call): Reply {
  if (c.client.tx.queued === undefined) return error('ERR DISCARD without MULTI');
  resetTransaction(c);
  return OK;
}

/** Leaves MULTI and forgets every watched key (EXEC, DISCARD, RESET do it). */
export function resetTransaction(c: Pick<Call, 'client'>): void {
  c.client.tx.queued = undefined;
  c.client.tx.dirty = false;
  c.client.tx.watched.clear();
  c.client.tx.watchBroken = false;
}

export function unwatch(c: Call): Reply {
  c.client.tx.watched.clear();
  c.client.tx.watchBroken = false;
  return OK;
}

/** WATCH key [key ...]: each key's value now; a key watched already keeps its first digest. */
export function watch(c: Call): Reply {
  if (c.client.tx.queued !== undefined) return error('ERR WATCH inside MULTI is not allowed');
  const keys = c.argv.slice(1);
  // Each key read alone (no transaction over groups): EXEC checks every value again under its locks.
  return c.session.execute({ type: 'mget', keys, eachKey: true }).then((a) => {
    if (a.type !== 'multi') throw new Error(`kv answered ${a.type} to WATCH's read`);
    keys.forEach((key, i) => {
      const name = key.toString('latin1');
      if (c.client.tx.watched.has(name)) return;
      const v = a.values[i];
      c.client.tx.watched.set(name, { key, digest: watchDigest(v === undefined ? undefined : joinWords(v)) });
    });
    return OK;
  });
}

/** A queued command as EXEC runs it: a plan (its ops in the program), an error found now, or a keyless command run after. */
type Step = { readonly t: 'plan'; readonly plan: Plan; readonly at: number } | { readonly t: 'reply'; readonly v: RespValue } | { readonly t: 'later'; readonly q: QueuedCommand };

export async function exec(c: Call): Promise<RespValue> {
  const tx = c.client.tx;
  if (tx.queued === undefined) return error('ERR EXEC without MULTI');
  const queued = tx.queued;
  const dirty = tx.dirty;
  const watched = [...tx.watched.values()];
  const broken = tx.watchBroken;
  resetTransaction(c);
  if (dirty) return error(EXECABORT);
  if (broken) return NULL_ARRAY;
  // The watched keys' checks come first: the block runs only on the values it was written against.
  const ops: ExecOp[] = watched.map((w) => ({ key: w.key, kind: 'watch', digest: w.digest }));
  const steps: Step[] = queued.map((q): Step => {
    const planner = PLANNERS.get(q.cmd.name);
    if (planner === undefined) return { t: 'later', q };
    const p = planner(q.argv, q.cmd.name);
    if (!isPlan(p)) return { t: 'reply', v: p };
    const at = ops.length;
    ops.push(...p.ops);
    return { t: 'plan', plan: p, at };
  });
  let outs: readonly StrResult[] = [];
  if (ops.length > programOpsMax) return error(`ERR kvstore: the transaction has ${ops.length} key operations, more than ${programOpsMax}`);
  if (new Set(ops.map((o) => o.key.toString('latin1'))).size > txnKeysMax) return error(`ERR kvstore: the transaction names more than ${txnKeysMax} keys`);
  if (ops.length > 0) {
    const a = await c.session.execute({ type: 'exec', ops });
    if (a.type !== 'exec') throw new Error(`kv answered ${a.type} to EXEC`);
    if (a.outs === undefined) return NULL_ARRAY;
    outs = a.outs;
  }
  const replies: RespValue[] = [];
  for (const s of steps) {
    if (s.t === 'reply') replies.push(s.v);
    else if (s.t === 'plan') replies.push(s.plan.reply(outs.slice(s.at, s.at + s.plan.ops.length)));
    else {
      try {
        replies.push(await s.q.cmd.run({ ...c, argv: s.q.argv, fullname: s.q.cmd.name }));
      } catch (err) {
        replies.push(storeError(err));
      }
    }
  }
  return array(replies);
}
