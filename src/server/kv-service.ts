import type { StrChange, StrResult } from '../kv/str-command.js';
import type { ProgramOp } from '../txn/txn-program.js';

/** One op of an EXEC program on its key (txn-program.ts, without the key index). */
export type ExecOp = { readonly key: Buffer } & (
  | { readonly kind: 'str'; readonly change: StrChange }
  | { readonly kind: 'get' }
  | { readonly kind: 'watch'; readonly digest: Buffer }
  | { readonly kind: 'absent' }
);

/** ProgramOp's kinds, for the router that turns an ExecOp into one. */
export type ExecOpKind = ProgramOp['kind'];

/**
 * What a front door needs from whatever holds the data: a Raft group it is a
 * member of, or (for the coordinator) groups it reaches over the network.
 * Failures are thrown as typed errors; the front door maps them to `-ERROR`.
 */
export type KvOp =
  | { readonly type: 'set'; readonly key: Buffer; readonly values: readonly Buffer[] }
  | { readonly type: 'get'; readonly key: Buffer }
  | { readonly type: 'del'; readonly keys: readonly Buffer[] }
  /** MSET: one value word per key, all or none (a transaction when the keys span groups). */
  | { readonly type: 'mset'; readonly pairs: readonly (readonly [Buffer, Buffer])[] }
  /**
   * MGET: every key's words as of one instant. `eachKey`: each key's value
   * is linearizable alone but not all at one instant (no transaction over
   * groups): what WATCH needs, since EXEC checks every value again under
   * its locks.
   */
  | { readonly type: 'mget'; readonly keys: readonly Buffer[]; readonly eachKey?: true }
  /** A one-key string command applied where the value is (INCRBY, APPEND, GETDEL, SET NX/XX/GET): src/kv/str-command.ts. */
  | { readonly type: 'str'; readonly key: Buffer; readonly change: StrChange }
  /**
   * MULTI/EXEC, MSETNX: ops over any keys run as ONE transaction (all or
   * nothing, at one instant), each op seeing the ones before it.
   */
  | { readonly type: 'exec'; readonly ops: readonly ExecOp[] }
  /** FLUSHALL: every key of every group goes, as ONE transaction (no client sees some groups emptied). */
  | { readonly type: 'flush' };

export type KvAnswer =
  | { readonly type: 'ok' }
  /** GET: the stored words, or undefined for a missing key. */
  | { readonly type: 'values'; readonly values: readonly Buffer[] | undefined }
  | { readonly type: 'count'; readonly n: number }
  /** MGET: one entry per key asked, in order; undefined for a missing key. */
  | { readonly type: 'multi'; readonly values: readonly (readonly Buffer[] | undefined)[] }
  /** A str op's result, refusals (not an integer, overflow) included: they are answers, not failures. */
  | { readonly type: 'str'; readonly result: StrResult }
  /** EXEC: one result per op, in order; undefined when a check failed (nothing changed). */
  | { readonly type: 'exec'; readonly outs: readonly StrResult[] | undefined };

/** One client's ordered stream of commands (it owns an at-most-once session). */
export interface KvSession {
  execute(op: KvOp): Promise<KvAnswer>;
  close(): void;
}

export interface KvService {
  /** A session per client connection: its writes carry their own (clientId, seq). */
  openSession(): KvSession;
}
