/**
 * A history as the workload records it: one record per operation, filled in
 * when the reply (or the lack of one) is known. Times are milliseconds since
 * the run started, from a monotonic clock.
 */
export const OP_KINDS = ['set', 'get', 'del', 'mset', 'mget'] as const;
export type OpKind = (typeof OP_KINDS)[number];
/** The kinds one key's register model orders; multi-key ops are projected onto these (key-projection.ts). */
export type KeyOpKind = 'set' | 'get' | 'del';

/**
 * ok: the reply came and says what happened.
 * fail: definitely had no effect (only a GET answered -ERROR: reads change nothing).
 * info: unknown — no reply, a timeout, a lost connection, or -ERROR on a
 *   write (our front door may answer -ERROR after the write was committed).
 */
export const OUTCOMES = ['ok', 'fail', 'info'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface HistoryOp {
  /** Unique within a history, in invocation order. */
  readonly id: number;
  /** Which client issued it; -1 for the final reads after healing. */
  readonly client: number;
  readonly kind: OpKind;
  /** The first key named (the only one for SET and GET). */
  readonly key: string;
  /**
   * Every key named, in the order sent. Invariant: keys[0] === key, distinct;
   * length 1 for SET and GET, >= 1 for DEL, >= 2 for MSET and MGET.
   */
  readonly keys: readonly string[];
  /** SET, MSET: the (unique) value written (MSET writes it to every key). */
  readonly value: string | null;
  readonly invokeMs: number;
  /** When the outcome became known; null for info ops (they may take effect any time later). */
  completeMs: number | null;
  outcome: Outcome;
  /** GET ok: the words read joined by one space, or null for the lab's nil. */
  read: string | null;
  /** MGET ok: one entry per key of `keys`, as `read` is for GET. */
  reads: (string | null)[] | null;
  /** DEL ok: the count returned. */
  count: number | null;
  /** Why it failed or is unknown (for people reading a saved history). */
  note: string | null;
  /** Which node (client port) served it, for people reading a saved history. */
  port: number;
}

export interface SavedHistory {
  readonly seed: number;
  readonly mode: string;
  readonly nemeses: readonly string[];
  readonly ops: readonly HistoryOp[];
  readonly faults: readonly string[];
}

export function describeOp(op: HistoryOp): string {
  const who = op.client < 0 ? 'final' : `c${op.client}`;
  const at = `[${op.invokeMs.toFixed(1)}, ${op.completeMs === null ? '∞' : op.completeMs.toFixed(1)}] ms`;
  let what: string;
  switch (op.kind) {
    case 'set':
      what = `SET ${op.key} ${op.value ?? ''}`;
      break;
    case 'get':
      what = `GET ${op.key}`;
      break;
    case 'del':
      what = `DEL ${op.keys.join(' ')}`;
      break;
    case 'mset':
      what = `MSET ${op.keys.map((k) => `${k} ${op.value ?? ''}`).join(' ')}`;
      break;
    case 'mget':
      what = `MGET ${op.keys.join(' ')}`;
      break;
  }
  let result: string;
  if (op.outcome !== 'ok') result = `${op.outcome}${op.note === null ? '' : ` (${op.note})`}`;
  else if (op.kind === 'get') result = `-> ${op.read === null ? 'nil' : op.read}`;
  else if (op.kind === 'mget') result = `-> ${(op.reads ?? []).map((r) => (r === null ? 'nil' : r)).join(' ')}`;
  else if (op.kind === 'del') result = `-> ${op.count ?? '?'}`;
  else result = '-> OK';
  return `#${op.id} ${who.padEnd(6)} ${at.padEnd(26)} ${what} ${result}`;
}
