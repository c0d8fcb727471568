import { runStride } from './campaign-stride.js';
import type { SimTotals } from './simulation.js';
import { formatTotals } from './totals-format.js';

/**
 * Runs seeds [from, from + count) of one shape for an ava test file;
 * returns the totals and, on failure, its report (replay command + trace tail).
 */
export async function runBatch(
  from: number,
  count: number,
  nodes: 3 | 5,
  ticks: number,
  groups = 1,
): Promise<{ totals: SimTotals; summary: string; failure?: string }> {
  const started = Date.now();
  const r = await runStride({ first: from, count, stride: 1, offset: 0, nodes, groups, ticks, trace: false }, () => {});
  const summary = formatTotals(r.totals, (Date.now() - started) / 1000);
  return r.failure === undefined ? { totals: r.totals, summary } : { totals: r.totals, summary, failure: r.failure.report };
}
