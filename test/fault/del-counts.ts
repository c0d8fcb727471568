import type { HistoryOp } from './history.js';
import { describeOp } from './history.js';
import { toModelOps } from './register-model.js';
import { searchLinearization } from './wgl-search.js';

/**
 * Exact DEL counts over several keys: an ok `DEL k1 … kn` answered N, and N
 * must be the number of its keys that existed at its instant. Each key's
 * share is projected with its result open (key-projection.ts); here, for
 * each key, we ask its own search whether the DEL can have found it there
 * (count 1) and whether absent (count 0). N must lie between the sums of the
 * least and the most each key allows (any sum between is reachable, as each
 * key allows a contiguous {0}, {1} or {0, 1}). A DEL of unknown outcome is
 * either done or not, and has no count to check.
 *
 * Bounded: two searches per key of each ok multi-key DEL, each capped at
 * `stepsMax`; past `budgetMs` the remaining DELs are counted as unchecked.
 * A capped search allows both answers (never a false alarm) and is counted.
 */
export interface DelCountViolation {
  readonly del: HistoryOp;
  /** The least and the most keys that can have existed at its instant. */
  readonly least: number;
  readonly most: number;
  /** Per key: which answers its own history allows. */
  readonly allowed: ReadonlyMap<string, readonly number[]>;
}

export interface DelCountReport {
  readonly checked: number;
  readonly violations: readonly DelCountViolation[];
  /** Searches that hit their step bound. */
  readonly capped: number;
  /** DELs left unchecked because the time budget ran out. */
  readonly unchecked: number;
  readonly ms: number;
}

export const DEL_COUNT_STEPS_MAX = 500_000;
export const DEL_COUNT_BUDGET_MS = 20_000;

export function checkDelCounts(
  ops: readonly HistoryOp[],
  perKey: ReadonlyMap<string, readonly HistoryOp[]>,
  /** Keys whose own search failed: their shares prove nothing more. */
  brokenKeys: ReadonlySet<string>,
  limits: { readonly stepsMax: number; readonly budgetMs: number } = { stepsMax: DEL_COUNT_STEPS_MAX, budgetMs: DEL_COUNT_BUDGET_MS },
): DelCountReport {
  const started = performance.now();
  const violations: DelCountViolation[] = [];
  let checked = 0;
  let capped = 0;
  let unchecked = 0;
  for (const d of ops) {
    if (d.kind !== 'del' || d.keys.length < 2 || d.outcome !== 'ok' || d.count === null) continue;
    if (d.keys.some((k) => brokenKeys.has(k))) continue;
    if (performance.now() - started > limits.budgetMs) {
      unchecked++;
      continue;
    }
    checked++;
    const allowed = new Map<string, number[]>();
    for (const k of d.keys) {
      const list = perKey.get(k) ?? [];
      const answers: number[] = [];
      for (const found of [0, 1]) {
        const model = toModelOps(list.map((o) => (o.id === d.id ? { ...o, count: found } : o)));
        const r = searchLinearization(model, null, limits.stepsMax);
        if (r.kind === 'inconclusive') capped++;
        if (r.kind !== 'violation') answers.push(found);
      }
      allowed.set(k, answers);
    }
    const sets = [...allowed.values()];
    // A key allowing neither answer failed its own search (reported there) or is capped: no verdict here.
    if (sets.some((a) => a.length === 0)) continue;
    const least = sets.reduce((s, a) => s + Math.min(...a), 0);
    const most = sets.reduce((s, a) => s + Math.max(...a), 0);
    if (d.count < least || d.count > most) violations.push({ del: d, least, most, allowed });
  }
  return { checked, violations, capped, unchecked, ms: performance.now() - started };
}

export function formatDelCount(v: DelCountViolation): string {
  const per = [...v.allowed].map(([k, a]) => `${k}: ${a.length === 2 ? 'either' : a[0] === 1 ? 'present' : 'absent'}`).join(', ');
  const range = v.least === v.most ? `${v.least}` : `${v.least}..${v.most}`;
  return `wrong DEL count: answered ${v.del.count}, but ${range} of its keys can have existed at its instant (${per}):\n  ${describeOp(v.del)}`;
}
