import type { HistoryOp } from './history.js';
import { describeOp } from './history.js';
import { checkDelCounts, formatDelCount } from './del-counts.js';
import type { DelCountReport } from './del-counts.js';
import { checkFracturedReads, formatFracturedRead } from './fractured-reads.js';
import type { FracturedRead } from './fractured-reads.js';
import { projectByKey } from './key-projection.js';
import type { ModelOp, RegisterState } from './register-model.js';
import { toModelOps } from './register-model.js';
import { searchLinearization } from './wgl-search.js';
import type { SearchResult } from './wgl-search.js';

/**
 * Linearizability of a whole history, key by key (P-compositionality: a
 * history of independent registers is linearizable iff each key's is).
 * Multi-key ops are projected onto their keys (key-projection.ts: an MSET is
 * a SET on each key, with its atomic effect folded in; an MGET a GET of
 * each), and what one key cannot show is checked across keys: no fractured
 * read (fractured-reads.ts) and exact DEL counts (del-counts.ts). On a
 * violation of a key, the smallest contiguous window of that key's
 * operations that cannot be ordered on its own.
 */
export interface KeyVerdict {
  readonly key: string;
  readonly ops: number;
  readonly result: SearchResult['kind'];
  /** On a violation: the ops of the smallest window found, in call order (the original ops: an MSET, not its share). */
  readonly window: readonly HistoryOp[];
  /** Context for people: the writes (outside the window) of the values its reads returned. */
  readonly sources: readonly HistoryOp[];
  readonly ms: number;
}

export interface CheckReport {
  /** Every check passed: each key linearizable, no fractured read, every DEL count exact. */
  readonly linearizable: boolean;
  /** True when some key's search hit its bound: not proved either way. */
  readonly inconclusive: boolean;
  readonly keys: readonly KeyVerdict[];
  readonly fractured: readonly FracturedRead[];
  readonly delCounts: DelCountReport;
}

export function checkHistory(ops: readonly HistoryOp[]): CheckReport {
  const original = new Map(ops.map((o) => [o.id, o]));
  const perKey = projectByKey(ops);
  const keys: KeyVerdict[] = [];
  for (const [key, list] of [...perKey].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const started = performance.now();
    const model = toModelOps(list);
    const r = searchLinearization(model, null);
    const window = r.kind === 'violation' ? smallestWindow(list, model).map((id) => list.find((o) => o.id === id)!) : [];
    const readValues = new Set(window.filter((o) => o.kind === 'get' && o.outcome === 'ok').map((o) => o.read));
    const sources = list.filter((o) => o.kind === 'set' && readValues.has(o.value) && !window.includes(o));
    const orig = (o: HistoryOp): HistoryOp => original.get(o.id)!;
    keys.push({ key, ops: list.length, result: r.kind, window: window.map(orig), sources: sources.map(orig), ms: performance.now() - started });
  }
  const fractured = checkFracturedReads(ops);
  const broken = new Set(keys.filter((k) => k.result !== 'linearizable').map((k) => k.key));
  const delCounts = checkDelCounts(ops, perKey, broken);
  return {
    linearizable: keys.every((k) => k.result === 'linearizable') && fractured.length === 0 && delCounts.violations.length === 0,
    inconclusive: keys.some((k) => k.result === 'inconclusive'),
    keys,
    fractured,
    delCounts,
  };
}

/** Every violation the report holds, for people. */
export function formatViolations(r: CheckReport): string[] {
  return [
    ...r.keys.filter((v) => v.result === 'violation').map(formatViolation),
    ...r.fractured.map(formatFracturedRead),
    ...r.delCounts.violations.map(formatDelCount),
  ];
}

/**
 * The window spanned by `anchors` (ok ops, sorted by call): those anchors,
 * every write whose interval meets the span, and every info write called
 * before the span ends (it may take effect inside it). Writes that completed
 * before the span precede all of it in real time and are summarized by the
 * initial state; ops called after it follow all of it. So if no initial
 * state lets the window be ordered, the whole history cannot be.
 */
function windowOps(all: readonly ModelOp[], anchors: readonly ModelOp[]): ModelOp[] {
  const from = Math.min(...anchors.map((o) => o.invokeMs));
  const to = Math.max(...anchors.map((o) => o.completeMs));
  const chosen = new Set(anchors.map((o) => o.id));
  return all.filter((o) => chosen.has(o.id) || (o.kind !== 'get' && o.invokeMs <= to && o.completeMs >= from));
}

/** Initial states to try for a window starting mid-history: absent, or any value written before its end. */
function initialStates(all: readonly ModelOp[], window: readonly ModelOp[]): RegisterState[] {
  const first = Math.min(...window.map((o) => o.invokeMs));
  // Nothing can have happened before the first op of the history.
  if (all.every((o) => o.invokeMs >= first)) return [null];
  const values = new Set<RegisterState>([null]);
  const to = Math.max(...window.filter((o) => !o.info).map((o) => o.completeMs));
  for (const o of all) if (o.kind === 'set' && o.invokeMs <= to) values.add(o.value);
  return [...values];
}

function windowFails(all: readonly ModelOp[], anchors: readonly ModelOp[]): boolean {
  if (anchors.length === 0) return false;
  const w = windowOps(all, anchors);
  // A window we cannot decide is not shown as proof.
  return initialStates(all, w).every((s) => searchLinearization(w, s, 2_000_000).kind === 'violation');
}

/**
 * Shrinks the failing history to a short contiguous run of ok ops (by call
 * time) whose window still cannot be ordered: first the shortest failing
 * prefix, then the latest start that still fails, by binary search plus a
 * final linear tightening. Returns the window's op ids in call order.
 */
export function smallestWindow(list: readonly HistoryOp[], all: readonly ModelOp[]): number[] {
  const oks = all.filter((o) => !o.info).sort((a, b) => a.invokeMs - b.invokeMs || a.id - b.id);
  const fails = (lo: number, hi: number): boolean => windowFails(all, oks.slice(lo, hi));
  let hi = oks.length;
  if (!fails(0, hi)) return list.map((o) => o.id);
  // Shortest failing prefix [0, hi).
  let a = 1;
  let b = hi;
  while (a < b) {
    const mid = (a + b) >>> 1;
    if (fails(0, mid)) b = mid;
    else a = mid + 1;
  }
  hi = a;
  // Latest start lo with [lo, hi) failing.
  a = 0;
  b = hi - 1;
  while (a < b) {
    const mid = (a + b + 1) >>> 1;
    if (fails(mid, hi)) a = mid;
    else b = mid - 1;
  }
  let lo = a;
  // Binary search assumes monotonicity; tighten linearly in case it does not hold.
  while (lo + 1 < hi && fails(lo + 1, hi)) lo++;
  while (hi - 1 > lo && fails(lo, hi - 1)) hi--;
  return windowOps(all, oks.slice(lo, hi))
    .sort((x, y) => x.invokeMs - y.invokeMs || x.id - y.id)
    .map((o) => o.id);
}

/** The window's ops, except unknown writes called before its first definite op: those are counted (they stay in the saved history). */
export function formatViolation(v: KeyVerdict): string {
  const from = Math.min(...v.window.filter((o) => o.outcome === 'ok').map((o) => o.invokeMs));
  const earlier = v.window.filter((o) => o.outcome === 'info' && o.invokeMs < from);
  const shown = v.window.filter((o) => !earlier.includes(o));
  return [
    `key ${v.key}: not linearizable; the smallest window that cannot be ordered (${shown.length} ops` +
      `${earlier.length > 0 ? `, plus ${earlier.length} unknown-outcome writes called earlier that might land inside it` : ''}):`,
    ...shown.map((o) => `  ${describeOp(o)}`),
    ...(v.sources.length > 0 ? ['  where the values read were written by:', ...v.sources.map((o) => `    ${describeOp(o)}`)] : []),
  ].join('\n');
}
