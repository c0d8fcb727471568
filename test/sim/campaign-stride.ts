import { addTotals, emptyTotals, replayCommand, runSeed, SimulationFailure } from './simulation.js';
import type { DiskKind } from './sim-disk.js';
import type { SimOptions, SimTotals } from './simulation.js';

/** Seeds first + offset, first + offset + stride, ... below first + count. */
export interface StrideSpec {
  readonly first: number;
  readonly count: number;
  readonly stride: number;
  readonly offset: number;
  /** Fixed cluster size, or undefined: 5 nodes for even seeds, 3 for odd. */
  readonly nodes: 3 | 5 | undefined;
  /** Raft groups per process (default 1). */
  readonly groups?: number;
  readonly ticks: number;
  readonly trace: boolean;
  /** Node disks: the in-memory model or real LevelDB stores (default memory). */
  readonly disk?: DiskKind;
}

export interface StrideResult {
  readonly totals: SimTotals;
  readonly failure?: { readonly seed: number; readonly report: string; readonly replay: string };
}

/** Seeds between progress callbacks (LevelDB seeds are slow: each one reports). */
const PROGRESS_EVERY_SEEDS = 50;
const PROGRESS_EVERY_SEEDS_LEVELDB = 1;

export function nodesFor(spec: Pick<StrideSpec, 'nodes'>, seed: number): 3 | 5 {
  return spec.nodes ?? (seed % 2 === 0 ? 5 : 3);
}

/**
 * Runs one stride of a campaign, stopping at the first failing seed. On
 * LevelDB disks every seed is also run on memory disks: the two traces must
 * have the same digest, or the store did not behave like the model.
 */
export async function runStride(spec: StrideSpec, progress: (seeds: number) => void): Promise<StrideResult> {
  const totals = emptyTotals();
  const progressEvery = spec.disk === 'leveldb' ? PROGRESS_EVERY_SEEDS_LEVELDB : PROGRESS_EVERY_SEEDS;
  let sinceProgress = 0;
  for (let seed = spec.first + spec.offset; seed < spec.first + spec.count; seed += spec.stride) {
    const opts: SimOptions = {
      seed,
      nodes: nodesFor(spec, seed),
      ...(spec.groups !== undefined ? { groups: spec.groups } : {}),
      ticks: spec.ticks,
      ...(spec.disk !== undefined ? { disk: spec.disk } : {}),
      ...(spec.trace ? { traceSink: (line: string) => console.log(line) } : {}),
    };
    try {
      const r = await runSeed(opts);
      addTotals(totals, r.totals);
      if (spec.disk === 'leveldb') {
        const { disk: _onDisk, traceSink: _sink, ...memory } = opts;
        const model = (await runSeed(memory)).digest;
        if (model !== r.digest) {
          const replay = `${replayCommand(memory)} --trace [--disk leveldb]`;
          const report = `seed ${seed}: the LevelDB run's trace digest ${r.digest} differs from the memory run's ${model}: the store did not behave like the model (diff the two traces)`;
          return { totals, failure: { seed, report, replay } };
        }
      }
    } catch (err) {
      if (!(err instanceof SimulationFailure)) throw err;
      return { totals, failure: { seed, report: err.report(), replay: err.replayCommand() } };
    }
    if (++sinceProgress === progressEvery) {
      progress(sinceProgress);
      sinceProgress = 0;
    }
  }
  progress(sinceProgress);
  return { totals };
}
