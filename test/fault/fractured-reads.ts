import type { HistoryOp } from './history.js';
import { describeOp } from './history.js';

/**
 * No fractured read: an MGET that returned an MSET's (unique) value on one
 * key a must see that MSET on every other key b the two share, unless a
 * later write on b replaced it. So the MGET's entry for b is the MSET's
 * value, or was left by a write that may follow the MSET on b. It was not
 * if that write is known to precede the MSET on b:
 *   - it completed before the MSET was invoked (real time), or
 *   - an ok read of b returned its value and completed before another ok
 *     read of b that returned the MSET's value was invoked (with unique
 *     values a register cannot go back, so its write came first);
 * and an entry nil needs a DEL of b that may fall between the MSET and the
 * MGET's end. Both rules only use facts every linearization of b shares,
 * so a verdict is never a false alarm (given b's own history is
 * linearizable, which the per-key search checks).
 * Cost: O(MGET entries x keys shared x writes of the key): no search.
 */
export interface FracturedRead {
  readonly mget: HistoryOp;
  readonly mset: HistoryOp;
  /** The key where the MGET saw the MSET's value. */
  readonly sawKey: string;
  /** A key of both where it did not. */
  readonly missKey: string;
  /** The write whose value (or, for a nil, the absence of any DEL) it saw instead. */
  readonly instead: HistoryOp | null;
  readonly why: string;
}

/** Over the ok reads of one key that returned one value: the earliest completion and the latest invocation. */
interface ReadSpan {
  firstCompleteMs: number;
  lastInvokeMs: number;
}

export function checkFracturedReads(ops: readonly HistoryOp[]): FracturedRead[] {
  const writerOf = new Map<string, HistoryOp>();
  const delsOf = new Map<string, HistoryOp[]>();
  const readsOf = new Map<string, ReadSpan>();
  const sawAt = (k: string, invokeMs: number, completeMs: number): void => {
    const r = readsOf.get(k);
    if (r === undefined) readsOf.set(k, { firstCompleteMs: completeMs, lastInvokeMs: invokeMs });
    else {
      r.firstCompleteMs = Math.min(r.firstCompleteMs, completeMs);
      r.lastInvokeMs = Math.max(r.lastInvokeMs, invokeMs);
    }
  };
  for (const op of ops) {
    if ((op.kind === 'set' || op.kind === 'mset') && op.value !== null) writerOf.set(op.value, op);
    if (op.kind === 'del') for (const k of op.keys) push(delsOf, k, op);
    if (op.outcome !== 'ok' || op.completeMs === null) continue;
    if (op.kind === 'get') sawAt(readKey(op.key, op.read), op.invokeMs, op.completeMs);
    if (op.kind === 'mget') op.keys.forEach((k, i) => sawAt(readKey(k, op.reads?.[i] ?? null), op.invokeMs, op.completeMs!));
  }
  /** w is known to precede m on key b. */
  const before = (w: HistoryOp, m: HistoryOp, b: string): boolean => {
    if (w.outcome === 'ok' && w.completeMs !== null && w.completeMs < m.invokeMs) return true;
    const sawW = readsOf.get(readKey(b, w.value));
    const sawM = readsOf.get(readKey(b, m.value));
    return sawW !== undefined && sawM !== undefined && sawW.firstCompleteMs < sawM.lastInvokeMs;
  };
  const out: FracturedRead[] = [];
  for (const g of ops) {
    if (g.kind !== 'mget' || g.outcome !== 'ok' || g.reads === null || g.completeMs === null) continue;
    const reads = g.reads;
    const found = new Set<string>();
    g.keys.forEach((a, i) => {
      const m = reads[i] === null ? undefined : writerOf.get(reads[i]!);
      if (m === undefined || m.kind !== 'mset' || !m.keys.includes(a) || found.has(m.value!)) return;
      g.keys.forEach((b, j) => {
        if (j === i || !m.keys.includes(b) || reads[j] === m.value || found.has(m.value!)) return;
        const verdict = (instead: HistoryOp | null, why: string): void => {
          found.add(m.value!);
          out.push({ mget: g, mset: m, sawKey: a, missKey: b, instead, why });
        };
        const r = reads[j]!;
        if (r === null) {
          const dels = (delsOf.get(b) ?? []).filter((d) => d.invokeMs < g.completeMs! && !(d.outcome === 'ok' && d.completeMs! < m.invokeMs));
          if (dels.length === 0) verdict(null, `${b} was nil, and no DEL of ${b} can fall between the MSET and the MGET`);
          return;
        }
        const w = writerOf.get(r);
        // A value nobody wrote on b is the per-key search's to report.
        if (w === undefined || !w.keys.includes(b)) return;
        if (before(w, m, b)) verdict(w, `${b} held ${r}, written before the MSET`);
      });
    });
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
  return [
    `fractured read: the MGET saw the MSET on ${f.sawKey} but not on ${f.missKey}: ${f.why}`,
    `  ${describeOp(f.mget)}`,
    `  ${describeOp(f.mset)}`,
    ...(f.instead !== null ? [`  ${describeOp(f.instead)}`] : []),
  ].join('\n');
}
