import { addTotals, emptyTotals, runSeed, SimulationFailure } from './simulation.js';
import type { SimTotals } from './simulation.js';
import { formatTotals } from './totals-format.js';

/**
 * Runs seeds [from, from + count) for an ava test file; returns the totals or
 * the first failure's report (replay command + trace tail).
 */
export function runBatch(from: number, count: number, nodes: 3 | 5, ticks: number): { totals: SimTotals; summary: string; failure?: string } {
  const totals = emptyTotals();
  const started = Date.now();
  for (let seed = from; seed < from + count; seed++) {
    try {
      addTotals(totals, runSeed({ seed, nodes, ticks }).totals);
    } catch (err) {
      if (!(err instanceof SimulationFailure)) throw err;
      return { totals, summary: formatTotals(totals, (Date.now() - started) / 1000), failure: err.report() };
    }
  }
  return { totals, summary: formatTotals(totals, (Date.now() - started) / 1000) };
}
