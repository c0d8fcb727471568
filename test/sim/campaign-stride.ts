import { addTotals, emptyTotals, runSeed, SimulationFailure } from './simulation.js';
import type { SimOptions, SimTotals } from './simulation.js';

/** Seeds first + offset, first + offset + stride, ... below first + count. */
export interface StrideSpec {
  readonly first: number;
  readonly count: number;
  readonly stride: number;
  readonly offset: number;
  /** Fixed cluster size, or undefined: 5 nodes for even seeds, 3 for odd. */
  readonly nodes: 3 | 5 | undefined;
  readonly ticks: number;
  readonly trace: boolean;
}

export interface StrideResult {
  readonly totals: SimTotals;
  readonly failure?: { readonly seed: number; readonly report: string; readonly replay: string };
}

/** Seeds between progress callbacks. */
const PROGRESS_EVERY_SEEDS = 50;

export function nodesFor(spec: Pick<StrideSpec, 'nodes'>, seed: number): 3 | 5 {
  return spec.nodes ?? (seed % 2 === 0 ? 5 : 3);
}

/** Runs one stride of a campaign, stopping at the first failing seed. */
export function runStride(spec: StrideSpec, progress: (seeds: number) => void): StrideResult {
  const totals = emptyTotals();
  let sinceProgress = 0;
  for (let seed = spec.first + spec.offset; seed < spec.first + spec.count; seed += spec.stride) {
    const opts: SimOptions = {
      seed,
      nodes: nodesFor(spec, seed),
      ticks: spec.ticks,
      ...(spec.trace ? { traceSink: (line: string) => console.log(line) } : {}),
    };
    try {
      addTotals(totals, runSeed(opts).totals);
    } catch (err) {
      if (!(err instanceof SimulationFailure)) throw err;
      return { totals, failure: { seed, report: err.report(), replay: err.replayCommand() } };
    }
    if (++sinceProgress === PROGRESS_EVERY_SEEDS) {
      progress(sinceProgress);
      sinceProgress = 0;
    }
  }
  progress(sinceProgress);
  return { totals };
}
