import type { BankHistory, BankRead, BankTransfer } from './bank-history.js';
import { describeBankOp } from './bank-history.js';

/**
 * What a bank history must show when every transfer is one atomic
 * transaction over its two accounts (which live in different groups):
 *   - every answered read of all accounts (one MGET, itself atomic) sums to
 *     the total: a read that saw a transfer half applied, or an account
 *     lost, does not;
 *   - every such read is linearizable: its balances are the initial ones
 *     plus every transfer acknowledged before the read was sent plus some
 *     subset of those that may have applied by its answer (sent before it,
 *     acknowledged or indeterminate): a read missing an earlier
 *     acknowledged transfer (stale), or showing one sent after it, is not;
 *   - every acknowledged WATCHed transfer's EXEC replies are the balances
 *     its MGET under WATCH saw, moved by its amount: else EXEC ran although
 *     a watched key had changed;
 *   - the final read after healing sums to the total, and its balances are
 *     the initial ones plus every acknowledged transfer plus some subset of
 *     the indeterminate ones (each whole or not at all): a lost acknowledged
 *     transfer, one applied twice or one applied in part is unexplained.
 * The subset search is exact, pruned by what the remaining transfers can
 * still add to each account, and bounded: past SEARCH_STATES_MAX states the
 * balances are `unchecked` (reported, not proof either way; the cheap
 * necessary check, each account within what the indeterminate transfers
 * can move it by, still holds then).
 */
export const SEARCH_STATES_MAX = 1_000_000;
/** The bound for each read during the run (there are hundreds). */
export const READ_SEARCH_STATES_MAX = 50_000;

export type FinalVerdict = 'explained' | 'unexplained' | 'unchecked' | 'missing';

export interface BankReport {
  readonly total: number;
  /** Answered reads of all accounts during the run (final reads excluded). */
  readonly reads: number;
  /** Answered reads (final ones included) that did not sum to the total or missed an account. */
  readonly badReads: readonly BankRead[];
  /** Reads (summing right) whose balances no admissible set of transfers explains: stale or from the future. */
  readonly staleReads: readonly { readonly read: BankRead; readonly why: string }[];
  /** Reads whose search passed READ_SEARCH_STATES_MAX states (not proof either way). */
  readonly readsUnchecked: number;
  /** Acknowledged WATCHed transfers whose EXEC did not apply to the balances they saw. */
  readonly watchBroken: readonly BankTransfer[];
  readonly final: BankRead | undefined;
  readonly finalVerdict: FinalVerdict;
  /** Why the final balances are unexplained, for people. */
  readonly finalWhy: string | null;
  readonly acked: number;
  readonly indeterminate: number;
  /** EXECs answered nil: a watched key changed (definitely not applied). */
  readonly conflicts: number;
  /** Other attempts definitely not applied (broke off before EXEC, EXECABORT). */
  readonly failed: number;
  /** No violation: every read summing, WATCH honoured, a final read whose balances are explained or, past the search bound, unchecked. */
  readonly passed: boolean;
}

const sum = (xs: readonly (number | null)[]): number => xs.reduce<number>((a, b) => a + (b ?? 0), 0);

export function checkBank(h: BankHistory, searchStatesMax = SEARCH_STATES_MAX, readSearchStatesMax = READ_SEARCH_STATES_MAX): BankReport {
  const n = h.accounts.length;
  const total = h.initial * n;
  const reads = h.ops.filter((o): o is BankRead => o.kind === 'read' && o.outcome === 'ok');
  const transfers = h.ops.filter((o): o is BankTransfer => o.kind === 'transfer');
  const badReads = reads.filter((r) => r.balances === null || r.balances.length !== n || r.balances.some((b) => b === null) || sum(r.balances) !== total);
  const acked = transfers.filter((t) => t.outcome === 'ok');
  const unknown = transfers.filter((t) => t.outcome === 'info');
  const watchBroken = acked.filter(
    (t) => t.watched && (t.seen === null || t.after === null || t.after[0] !== t.seen[0] - t.amount || t.after[1] !== t.seen[1] + t.amount),
  );
  const staleReads: { read: BankRead; why: string }[] = [];
  let readsUnchecked = 0;
  const bad = new Set(badReads);
  for (const r of reads) {
    if (r.client < 0 || bad.has(r)) continue;
    const before = (t: BankTransfer): boolean => t.outcome === 'ok' && t.completeMs! < r.invokeMs;
    const maybe = transfers.filter((t) => (t.outcome === 'ok' || t.outcome === 'info') && !before(t) && t.invokeMs < r.completeMs!);
    const e = explainFinal(h, r, acked.filter(before), maybe, readSearchStatesMax);
    if (e.verdict === 'unexplained') staleReads.push({ read: r, why: e.why ?? '' });
    if (e.verdict === 'unchecked') readsUnchecked++;
  }
  const finals = reads.filter((r) => r.client < 0);
  const final = finals[finals.length - 1];
  let finalVerdict: FinalVerdict = 'missing';
  let finalWhy: string | null = null;
  if (final !== undefined) {
    const e = explainFinal(h, final, acked, unknown, searchStatesMax);
    finalVerdict = e.verdict;
    finalWhy = e.why;
  }
  return {
    total,
    reads: reads.length - finals.length,
    badReads,
    staleReads,
    readsUnchecked,
    watchBroken,
    final,
    finalVerdict,
    finalWhy,
    acked: acked.length,
    indeterminate: unknown.length,
    conflicts: transfers.filter((t) => t.outcome === 'fail' && t.conflict).length,
    failed: transfers.filter((t) => t.outcome === 'fail' && !t.conflict).length,
    passed: badReads.length === 0 && staleReads.length === 0 && watchBroken.length === 0 && (finalVerdict === 'explained' || finalVerdict === 'unchecked'),
  };
}

/** The read's balances = initial + every transfer of `acked` + a subset of `unknown`? (The final read: all acked, the indeterminate.) */
function explainFinal(
  h: BankHistory,
  final: BankRead,
  acked: readonly BankTransfer[],
  unknown: readonly BankTransfer[],
  searchStatesMax: number,
): { verdict: FinalVerdict; why: string | null } {
  const n = h.accounts.length;
  const index = new Map(h.accounts.map((a, i) => [a, i]));
  const at = (k: string): number => {
    const i = index.get(k);
    if (i === undefined) throw new Error(`bank checker: transfer names ${k}, not an account`);
    return i;
  };
  if (final.balances === null || final.balances.some((b) => b === null)) return { verdict: 'unexplained', why: 'the read misses an account' };
  // What the indeterminate transfers must add up to.
  const residual = final.balances.map((b) => b! - h.initial);
  for (const t of acked) {
    residual[at(t.from)]! += t.amount;
    residual[at(t.to)]! -= t.amount;
  }
  const moves = pairMoves(unknown.map((t) => ({ from: at(t.from), to: at(t.to), amount: t.amount })), n);
  // remLo[k][a] / remHi[k][a]: the least / most pair moves k.. can still add to account a.
  const remLo: number[][] = [new Array<number>(n).fill(0)];
  const remHi: number[][] = [new Array<number>(n).fill(0)];
  for (let k = moves.length - 1; k >= 0; k--) {
    const m = moves[k]!;
    const lo = [...remLo[0]!];
    const hi = [...remHi[0]!];
    lo[m.a]! -= m.max;
    hi[m.a]! -= m.min;
    lo[m.b]! += m.min;
    hi[m.b]! += m.max;
    remLo.unshift(lo);
    remHi.unshift(hi);
  }
  const reachable = (state: readonly number[], k: number): boolean =>
    state.every((s, a) => residual[a]! - s >= remLo[k]![a]! && residual[a]! - s <= remHi[k]![a]!);
  const zero = new Array<number>(n).fill(0);
  if (!reachable(zero, 0)) {
    const off = residual.map((r, a) => ({ a, r })).filter(({ a, r }) => r < remLo[0]![a]! || r > remHi[0]![a]!);
    const words = off.map(({ a, r }) => `${h.accounts[a]} is off by ${r} (the undecided transfers can move it by ${remLo[0]![a]}..${remHi[0]![a]})`);
    return { verdict: 'unexplained', why: `balances ${final.balances.join(' ')}: ${words.join('; ')}` };
  }
  let states = new Map<string, number[]>([[zero.join(','), zero]]);
  let visited = 1;
  for (let k = 0; k < moves.length; k++) {
    const m = moves[k]!;
    const next = new Map<string, number[]>();
    for (const s of states.values()) {
      for (const f of m.flows) {
        const c = [...s];
        c[m.a]! -= f;
        c[m.b]! += f;
        if (!reachable(c, k + 1)) continue;
        const key = c.join(',');
        if (!next.has(key)) next.set(key, c);
      }
    }
    visited += next.size;
    if (visited > searchStatesMax) return { verdict: 'unchecked', why: `subset search over ${unknown.length} undecided transfers passed ${searchStatesMax} states` };
    states = next;
    if (states.size === 0) break;
  }
  // Reachable at the end means equal to the residual (the remaining bounds are 0).
  if (states.size > 0) return { verdict: 'explained', why: null };
  return {
    verdict: 'unexplained',
    why: `balances ${final.balances.join(' ')} are no subset of the ${unknown.length} undecided transfers on top of the ${acked.length} acknowledged before (residual ${residual.join(' ')})`,
  };
}

/**
 * The indeterminate transfers between each pair of accounts a < b, merged:
 * every net flow from a to b some subset of them gives (a loses it, b gains
 * it). Ordered so each account's pairs come together (the account with the
 * fewest pairs left first): once all of an account's pairs are placed its
 * balance must match, which keeps the search's frontier narrow.
 */
interface PairMove {
  readonly a: number;
  readonly b: number;
  readonly flows: readonly number[];
  readonly min: number;
  readonly max: number;
}

function pairMoves(moves: readonly { from: number; to: number; amount: number }[], n: number): PairMove[] {
  const byPair = new Map<string, { a: number; b: number; flows: Set<number> }>();
  for (const m of moves) {
    const [a, b] = m.from < m.to ? [m.from, m.to] : [m.to, m.from];
    const signed = m.from === a ? m.amount : -m.amount;
    const key = `${a},${b}`;
    const p = byPair.get(key) ?? { a, b, flows: new Set([0]) };
    p.flows = new Set([...p.flows, ...[...p.flows].map((f) => f + signed)]);
    byPair.set(key, p);
  }
  const left = new Map([...byPair].map(([k, p]) => [k, p]));
  const out: PairMove[] = [];
  while (left.size > 0) {
    const degree = new Array<number>(n).fill(0);
    for (const p of left.values()) {
      degree[p.a]!++;
      degree[p.b]!++;
    }
    let pick = -1;
    for (let x = 0; x < n; x++) if (degree[x]! > 0 && (pick < 0 || degree[x]! < degree[pick]!)) pick = x;
    for (const [k, p] of [...left]) {
      if (p.a !== pick && p.b !== pick) continue;
      const flows = [...p.flows];
      out.push({ a: p.a, b: p.b, flows, min: Math.min(...flows), max: Math.max(...flows) });
      left.delete(k);
    }
  }
  return out;
}

/** The report's violations, for people. */
export function formatBankViolations(r: BankReport): string[] {
  const out: string[] = [];
  for (const b of r.badReads.slice(0, 10)) out.push(`  READ NOT SUMMING TO ${r.total} (sum ${b.balances === null ? '?' : sum(b.balances)}): ${describeBankOp(b)}`);
  for (const s of r.staleReads.slice(0, 10)) out.push(`  READ NOT LINEARIZABLE (stale, or showing a later transfer): ${describeBankOp(s.read)}: ${s.why}`);
  for (const t of r.watchBroken.slice(0, 10)) out.push(`  EXEC RAN PAST A CHANGED WATCHED KEY: ${describeBankOp(t)}`);
  if (r.finalVerdict === 'unexplained') out.push(`  FINAL BALANCES UNEXPLAINED: ${r.finalWhy ?? ''}`);
  if (r.finalVerdict === 'missing') out.push('  NO FINAL READ answered after healing');
  if (r.finalVerdict === 'unchecked') out.push(`  final balances unchecked: ${r.finalWhy ?? ''}`);
  return out;
}
