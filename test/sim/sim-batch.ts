import { runStride } from './campaign-stride.js';
import type { SimTotals } from './simulation.js';
import { formatTotals } from './totals-format.js';

/**
 * Runs seeds [from, from + count) of one cluster size for an ava test file;
 * returns the totals and, on failure, its report (replay command + trace tail).
 */
export function runBatch(from: number, count: number, nodes: 3 | 5, ticks: number): { totals: SimTotals; summary: string; failure?: string } {
  const started = Date.now();
  const r = runStride({ first: from, count, stride: 1, offset: 0, nodes, ticks, trace: false }, () => {});
  const summary = formatTotals(r.totals, (Date.now() - started) / 1000);
  return r.failure === undefined ? { totals: r.totals, summary } : { totals: r.totals, summary, failure: r.failure.report };
}
