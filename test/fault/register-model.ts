import { assert, assertNever } from '../../raft/assert.js';
import type { HistoryOp, KeyOpKind } from './history.js';

/**
 * One key's register as the lab defines it: SET stores a value, GET returns
 * it or nil, DEL removes it and returns 1 if it was there, else 0.
 * State: the stored value, or null when absent.
 */
export type RegisterState = string | null;

/** An operation as the search sees it: ok ops must take effect inside their interval, info ops any time after their call, or never. */
export interface ModelOp {
  readonly id: number;
  readonly kind: KeyOpKind;
  readonly value: string | null;
  readonly read: string | null;
  readonly count: number | null;
  readonly invokeMs: number;
  /** Infinity for info ops. */
  readonly completeMs: number;
  readonly info: boolean;
}

/** The state after an unknown SET of a value no read returned (reads never return this text). */
export const UNREAD = '\u0000unread';

/** The state after `op` from `state`, or undefined when `op` could not have returned what it did. */
export function step(state: RegisterState, op: ModelOp): RegisterState | undefined {
  switch (op.kind) {
    case 'set':
      return op.value;
    case 'get':
      // Info reads never reach the search (they have no effect and no result).
      return op.read === state ? state : undefined;
    case 'del':
      // count null on an ok DEL: one key's share of a DEL of several keys, whose total is checked apart (del-counts.ts).
      if (op.info || op.count === null) return null;
      return op.count === (state === null ? 0 : 1) ? null : undefined;
    default:
      return assertNever(op.kind);
  }
}

/**
 * The ops of a history the search must order: reads that failed or never
 * answered change nothing and are dropped; writes with an unknown outcome are
 * kept as info ops.
 */
export function toModelOps(ops: readonly HistoryOp[]): ModelOp[] {
  const out: ModelOp[] = [];
  for (const op of ops) assert(op.kind === 'set' || op.kind === 'get' || op.kind === 'del', () => `op #${op.id} (${op.kind}) must be projected onto its keys first`);
  // Value -> the earliest completion of an ok read that returned it.
  const observed = new Map<string, number>();
  for (const op of ops) {
    if (op.kind !== 'get' || op.outcome !== 'ok' || op.read === null || op.completeMs === null) continue;
    observed.set(op.read, Math.min(op.completeMs, observed.get(op.read) ?? Infinity));
  }
  const latestOk = (pred: (op: HistoryOp) => boolean): number =>
    Math.max(-Infinity, ...ops.filter((o) => o.outcome === 'ok' && pred(o)).map((o) => o.completeMs ?? -Infinity));
  // The last ok op an unknown write could still help explain (see below).
  const lastDelOne = latestOk((o) => o.kind === 'del' && o.count === 1);
  const lastNilSeen = latestOk((o) => (o.kind === 'get' && o.read === null) || (o.kind === 'del' && o.count === 0));
  for (const op of ops) {
    if (op.kind === 'get' && op.outcome !== 'ok') continue;
    if (op.outcome === 'fail') continue;
    const info = op.outcome === 'info';
    // Pruning unknown writes that can only hurt (dropping one = "it never took
    // effect", always allowed): a SET of a value no read returned can only
    // help a later DEL that returned 1; a DEL only a later nil read or a DEL
    // that returned 0. Without such an op after its call, applying it never
    // lets anything else be ordered, so the search need not try it.
    if (info && op.kind === 'set' && !observed.has(op.value ?? '') && !(lastDelOne > op.invokeMs)) continue;
    if (info && op.kind === 'del' && !(lastNilSeen > op.invokeMs)) continue;
    // An unknown SET whose (unique) value some read returned did take effect,
    // and before that read completed: it is an ok op with that deadline.
    const seenBy = info && op.kind === 'set' ? observed.get(op.value ?? '') : undefined;
    if (seenBy !== undefined) {
      out.push({ id: op.id, kind: 'set', value: op.value, read: null, count: null, invokeMs: op.invokeMs, completeMs: Math.max(seenBy, op.invokeMs), info: false });
      continue;
    }
    // An unknown SET nobody read leaves "some value no read returns": one
    // state for all of them, so the memo merges their orders.
    const value = info && op.kind === 'set' ? UNREAD : op.value;
    if (!info && op.completeMs === null) throw new Error(`op #${op.id} is ok but has no completion time`);
    out.push({
      id: op.id,
      kind: op.kind as KeyOpKind,
      value,
      read: op.read,
      count: op.count,
      invokeMs: op.invokeMs,
      completeMs: info ? Infinity : (op.completeMs as number),
      info,
    });
  }
  return out;
}
