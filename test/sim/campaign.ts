import { Command, InvalidArgumentError } from 'commander';
import { addTotals, emptyTotals, runSeed, SimulationFailure } from './simulation.js';
import type { SimOptions } from './simulation.js';
import { formatTotals } from './totals-format.js';

/**
 * The long campaign: `npm run sim -- --seeds 100000` runs seeds in order and
 * prints totals; `--seed S` replays exactly one seed (add `--trace` for
 * every step). A failure prints the one-line replay command and the last
 * steps of its trace, and exits 1.
 */

/** Progress lines at most this often. */
const PROGRESS_EVERY_MS = 10_000;

function int(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer`);
    return n;
  };
}

function nodeCount(v: string): 3 | 5 {
  if (v === '3') return 3;
  if (v === '5') return 5;
  throw new InvalidArgumentError('--nodes must be 3 or 5');
}

function main(argv: readonly string[]): number {
  const program = new Command()
    .name('sim')
    .description('deterministic Raft cluster simulator')
    .option('--seeds <n>', 'number of seeds to run', int('--seeds'), 1000)
    .option('--from <s>', 'first seed', int('--from'), 1)
    .option('--seed <s>', 'replay exactly this seed', int('--seed'))
    .option('--ticks <t>', 'fault-phase ticks per seed', int('--ticks'), 3000)
    .option('--nodes <n>', '3 or 5; default: alternate by seed', nodeCount)
    .option('--trace', 'print every trace line (with --seed)', false)
    .parse(argv, { from: 'user' });
  const o = program.opts<{ seeds: number; from: number; seed?: number; ticks: number; nodes?: 3 | 5; trace: boolean }>();
  const first = o.seed ?? o.from;
  const count = o.seed !== undefined ? 1 : o.seeds;
  const totals = emptyTotals();
  const started = Date.now();
  let lastProgress = started;
  for (let seed = first; seed < first + count; seed++) {
    const opts: SimOptions = {
      seed,
      nodes: o.nodes ?? (seed % 2 === 0 ? 5 : 3),
      ticks: o.ticks,
      ...(o.trace ? { traceSink: (line: string) => console.log(line) } : {}),
    };
    try {
      addTotals(totals, runSeed(opts).totals);
    } catch (err) {
      if (!(err instanceof SimulationFailure)) throw err;
      console.log(err.report());
      console.log(formatTotals(totals, (Date.now() - started) / 1000));
      console.log(`FAILED seed ${seed}; replay: ${err.replayCommand()}`);
      return 1;
    }
    const now = Date.now();
    if (now - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = now;
      console.log(`... ${totals.seeds}/${count} seeds, ${((now - started) / 1000).toFixed(0)} s`);
    }
  }
  console.log(formatTotals(totals, (Date.now() - started) / 1000));
  return 0;
}

process.exitCode = main(process.argv.slice(2));
