import type { HistoryOp } from './history.js';
import { describeOp } from './history.js';

/**
 * No fractured read: once an MSET's (unique) value is visible on one of its
 * keys, every later read of any of its keys must see that MSET, unless a
 * later write replaced it there. "Later" is what every linearization agrees
 * on: another entry of the same MGET (one instant), or a read invoked after
 * a read of the MSET's value completed. Such a read of key b saw the MSET,
 * or a value left by a write that may follow the MSET on b. It did not if
 * that write is known to precede the MSET on b:
 *   - it completed before the MSET was invoked (real time), or
 *   - an ok read of b returned its value and completed before the MSET was
 *     invoked, or before another ok
 *     read of b that returned the MSET's value was invoked (with unique
 *     values a register cannot go back, so its write came first);
 * and a nil needs a DEL of b that may fall between the MSET and the read's
 * end. Both rules only use facts every linearization of b shares, so a
 * verdict is never a false alarm (given b's own history is linearizable,
 * which the per-key search checks).
 * Cost: O(read entries x MSETs of the key), no search.
 */
export interface FracturedRead {
  /** The read (an MGET, or a GET after the MSET was seen) that missed the MSET on `missKey`. */
  readonly reader: HistoryOp;
  readonly mset: HistoryOp;
  /** The read that saw the MSET (the same MGET, or one that completed before `reader` began), and on which key. */
  readonly seenBy: HistoryOp;
  readonly sawKey: string;
  readonly missKey: string;
  /** The write whose value it saw instead (null: it saw nil). */
  readonly instead: HistoryOp | null;
  readonly why: string;
}

/** Over the ok reads of one key that returned one value: the earliest completion and the latest invocation. */
interface ReadSpan {
  firstCompleteMs: number;
  lastInvokeMs: number;
}

/** One key's entry of an ok read. */
interface Entry {
  readonly op: HistoryOp;
  readonly key: string;
  readonly value: string | null;
}

function entriesOf(op: HistoryOp): Entry[] {
  if (op.outcome !== 'ok' || op.completeMs === null) return [];
  if (op.kind === 'get') return [{ op, key: op.key, value: op.read }];
  if (op.kind === 'mget') return op.keys.map((key, i) => ({ op, key, value: op.reads?.[i] ?? null }));
  return [];
}

export function checkFracturedReads(ops: readonly HistoryOp[]): FracturedRead[] {
  const writerOf = new Map<string, HistoryOp>();
  const delsOf = new Map<string, HistoryOp[]>();
  const msetsOf = new Map<string, HistoryOp[]>();
  const readsOf = new Map<string, ReadSpan>();
  /** MSET value -> the first read to complete that returned it (on any of its keys). */
  const firstSeen = new Map<string, Entry>();
  const entries = ops.flatMap(entriesOf);
  for (const op of ops) {
    if ((op.kind === 'set' || op.kind === 'mset') && op.value !== null) writerOf.set(op.value, op);
    if (op.kind === 'mset') for (const k of op.keys) push(msetsOf, k, op);
    if (op.kind === 'del') for (const k of op.keys) push(delsOf, k, op);
  }
  for (const e of entries) {
    const at = readKey(e.key, e.value);
    const r = readsOf.get(at);
    if (r === undefined) readsOf.set(at, { firstCompleteMs: e.op.completeMs!, lastInvokeMs: e.op.invokeMs });
    else {
      r.firstCompleteMs = Math.min(r.firstCompleteMs, e.op.completeMs!);
      r.lastInvokeMs = Math.max(r.lastInvokeMs, e.op.invokeMs);
    }
    const m = e.value === null ? undefined : writerOf.get(e.value);
    if (m?.kind !== 'mset' || !m.keys.includes(e.key)) continue;
    const first = firstSeen.get(e.value!);
    if (first === undefined || e.op.completeMs! < first.op.completeMs!) firstSeen.set(e.value!, e);
  }
  /** w is known to precede m on key b. */
  const before = (w: HistoryOp, m: HistoryOp, b: string): boolean => {
    if (w.outcome === 'ok' && w.completeMs !== null && w.completeMs < m.invokeMs) return true;
    const sawW = readsOf.get(readKey(b, w.value));
    if (sawW === undefined) return false;
    // w's value was read before the MSET was even sent: w took effect first.
    if (sawW.firstCompleteMs < m.invokeMs) return true;
    const sawM = readsOf.get(readKey(b, m.value));
    return sawM !== undefined && sawW.firstCompleteMs < sawM.lastInvokeMs;
  };
  /** Why entry e, read when m was already visible, cannot be right; undefined if it can. */
  const missed = (e: Entry, m: HistoryOp): { instead: HistoryOp | null; why: string } | undefined => {
    if (e.value === m.value) return undefined;
    if (e.value === null) {
      const dels = (delsOf.get(e.key) ?? []).filter((d) => d.invokeMs < e.op.completeMs! && !(d.outcome === 'ok' && d.completeMs! < m.invokeMs));
      return dels.length > 0 ? undefined : { instead: null, why: `${e.key} was nil, and no DEL of ${e.key} can fall between the MSET and that read` };
    }
    const w = writerOf.get(e.value);
    // A value nobody wrote on this key is the per-key search's to report.
    if (w === undefined || w === m || !w.keys.includes(e.key)) return undefined;
    return before(w, m, e.key) ? { instead: w, why: `${e.key} held ${e.value}, written before the MSET` } : undefined;
  };
  const out: FracturedRead[] = [];
  const reported = new Set<string>();
  const report = (e: Entry, m: HistoryOp, seen: Entry, v: { instead: HistoryOp | null; why: string }): void => {
    if (reported.has(m.value!)) return;
    reported.add(m.value!);
    out.push({ reader: e.op, mset: m, seenBy: seen.op, sawKey: seen.key, missKey: e.key, ...v });
  };
  for (const e of entries) {
    // The same MGET saw an MSET of this key on another key: one instant.
    if (e.op.kind === 'mget') {
      for (const other of entriesOf(e.op)) {
        const m = other.value === null ? undefined : writerOf.get(other.value);
        if (other.key === e.key || m?.kind !== 'mset' || !m.keys.includes(other.key) || !m.keys.includes(e.key)) continue;
        const v = missed(e, m);
        if (v !== undefined) report(e, m, other, v);
      }
    }
    // An MSET of this key whose value a read that completed before this one began had returned.
    for (const m of msetsOf.get(e.key) ?? []) {
      const seen = firstSeen.get(m.value!);
      if (seen === undefined || seen.op.completeMs! >= e.op.invokeMs) continue;
      const v = missed(e, m);
      if (v !== undefined) report(e, m, seen, v);
    }
  }
  return out;
}

const readKey = (key: string, value: string | null): string => `${key}\u0000${value ?? '\u0000nil'}`;

function push<T>(m: Map<string, T[]>, k: string, v: T): void {
  const list = m.get(k);
  if (list === undefined) m.set(k, [v]);
  else list.push(v);
}

export function formatFracturedRead(f: FracturedRead): string {
  const same = f.reader === f.seenBy;
  return [
    `fractured read: ${same ? 'an MGET' : 'a read'} saw the MSET on ${f.sawKey}${same ? '' : ' (earlier)'} but not on ${f.missKey}: ${f.why}`,
    `  ${describeOp(f.reader)}`,
    ...(same ? [] : [`  ${describeOp(f.seenBy)}`]),
    `  ${describeOp(f.mset)}`,
    ...(f.instead !== null ? [`  ${describeOp(f.instead)}`] : []),
  ].join('\n');
}
