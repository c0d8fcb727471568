import { Command, InvalidArgumentError } from 'commander';
import { describeFailure, runSim2pc } from './sim2pc.js';

/**
 * The long 2PC campaign: `npm run sim:2pc -- --seeds 20000` runs seeds and
 * prints totals (crashes by protocol point included); `--seed S` replays
 * one. A failure prints its replay command and exits 1.
 */
function int(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer`);
    return n;
  };
}

const program = new Command('sim:2pc')
  .option('--seeds <n>', 'seeds to run', int('--seeds'), 1_000)
  .option('--from <n>', 'first seed', int('--from'), 1)
  .option('--seed <n>', 'replay exactly this seed (prints its stats)', int('--seed'))
  .parse();
const o = program.opts<{ seeds: number; from: number; seed?: number }>();

const first = o.seed ?? o.from;
const count = o.seed !== undefined ? 1 : o.seeds;
const totals: Record<string, number> = {};
const crashes: Record<string, number> = {};
const started = Date.now();
let failed = 0;
for (let s = first; s < first + count; s++) {
  const r = await runSim2pc(s);
  for (const [k, v] of Object.entries(r.stats)) totals[k] = (totals[k] ?? 0) + v;
  for (const [k, v] of Object.entries(r.crashes)) crashes[k] = (crashes[k] ?? 0) + v;
  if (r.error !== undefined) {
    failed++;
    console.log(describeFailure(r));
    if (o.seed === undefined) break;
  }
  if (o.seed !== undefined) console.log(JSON.stringify({ stats: r.stats, crashes: r.crashes }));
}
console.log(`${count} seed(s) from ${first} in ${((Date.now() - started) / 1000).toFixed(1)} s, ${failed} failed`);
console.log('totals', JSON.stringify(totals));
console.log('front-door crashes by point', JSON.stringify(Object.fromEntries(Object.entries(crashes).sort())));
process.exit(failed > 0 ? 1 : 0);
