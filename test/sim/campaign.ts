import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { Command, InvalidArgumentError } from 'commander';
import { runStride } from './campaign-stride.js';
import { DISK_KINDS } from './sim-disk.js';
import type { DiskKind } from './sim-disk.js';
import type { StrideResult, StrideSpec } from './campaign-stride.js';
import { addTotals, emptyTotals, GROUPS_MAX } from './simulation.js';
import { formatTotals } from './totals-format.js';

/**
 * The long campaign: `npm run sim -- --seeds 100000` runs seeds (on --jobs
 * worker threads) and prints totals; `--seed S` replays exactly one seed
 * (add `--trace` for every step). `--groups G` gives every process a
 * replica of G Raft groups driven by one host loop over one store (the
 * multi-group shape). `--disk leveldb` runs every replica on a real
 * RaftStore (each seed must print the digest it has on memory disks). A
 * failure prints the one-line replay command and the last steps of its
 * trace, and exits 1.
 */

/** Progress lines at most this often. */
const PROGRESS_EVERY_MS = 10_000;
/** Worker threads at most. */
const JOBS_MAX = 64;

function int(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer`);
    return n;
  };
}

function diskKind(v: string): DiskKind {
  const kind = DISK_KINDS.find((k) => k === v);
  if (kind === undefined) throw new InvalidArgumentError(`--disk must be one of ${DISK_KINDS.join(', ')}`);
  return kind;
}

function nodeCount(v: string): 3 | 5 {
  if (v === '3') return 3;
  if (v === '5') return 5;
  throw new InvalidArgumentError('--nodes must be 3 or 5');
}

function groupCount(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > GROUPS_MAX) throw new InvalidArgumentError(`--groups must be 1..${GROUPS_MAX}`);
  return n;
}

interface CliOptions {
  seeds: number;
  from: number;
  seed?: number;
  ticks: number;
  nodes?: 3 | 5;
  groups: number;
  trace: boolean;
  jobs: number;
  disk: DiskKind;
}

function parse(argv: readonly string[]): CliOptions {
  return new Command()
    .name('sim')
    .description('deterministic Raft cluster simulator')
    .option('--seeds <n>', 'number of seeds to run', int('--seeds'), 1000)
    .option('--from <s>', 'first seed', int('--from'), 1)
    .option('--seed <s>', 'replay exactly this seed', int('--seed'))
    .option('--ticks <t>', 'fault-phase ticks per seed', int('--ticks'), 3000)
    .option('--nodes <n>', 'processes: 3 or 5 (default: 5 for even seeds, 3 for odd)', nodeCount)
    .option('--groups <g>', `Raft groups per process, 1..${GROUPS_MAX} (one host loop and one store per process)`, groupCount, 1)
    .option('--trace', 'print every trace line (with --seed)', false)
    .option('--disk <kind>', 'node disks: memory (the model) or leveldb (a RaftStore per node in a temp dir)', diskKind, 'memory')
    .option('--jobs <n>', 'worker threads', int('--jobs'), Math.min(2, availableParallelism()))
    .parse(argv, { from: 'user' })
    .opts<CliOptions>();
}

/** Runs every stride on its own worker thread; resolves with each stride's result. */
function runWorkers(specs: readonly StrideSpec[], onProgress: (seeds: number) => void): Promise<StrideResult[]> {
  return Promise.all(
    specs.map(
      (spec) =>
        new Promise<StrideResult>((resolve, reject) => {
          const w = new Worker(new URL('./campaign-worker.js', import.meta.url), { workerData: spec });
          w.on('message', (m: { type: 'progress'; seeds: number } | { type: 'done'; result: StrideResult }) => {
            if (m.type === 'progress') onProgress(m.seeds);
            else resolve(m.result);
          });
          w.on('error', reject);
          w.on('exit', (code) => {
            if (code !== 0) reject(new Error(`campaign worker exited with ${code}`));
          });
        }),
    ),
  );
}

async function main(argv: readonly string[]): Promise<number> {
  const o = parse(argv);
  const first = o.seed ?? o.from;
  const count = o.seed !== undefined ? 1 : o.seeds;
  const jobs = Math.max(1, Math.min(o.jobs, JOBS_MAX, count));
  const started = Date.now();
  let done = 0;
  let lastProgress = started;
  const onProgress = (seeds: number): void => {
    done += seeds;
    const now = Date.now();
    if (now - lastProgress < PROGRESS_EVERY_MS) return;
    lastProgress = now;
    console.log(`... ${done}/${count} seeds, ${((now - started) / 1000).toFixed(0)} s`);
  };
  const base = { first, count, stride: jobs, nodes: o.nodes, groups: o.groups, ticks: o.ticks, trace: o.trace, disk: o.disk };
  const specs = Array.from({ length: jobs }, (_, offset): StrideSpec => ({ ...base, offset }));
  // A single job (and every replay) runs in this thread, so --trace output stays in order.
  const results = jobs === 1 ? [await runStride(specs[0]!, onProgress)] : await runWorkers(specs, onProgress);
  const totals = emptyTotals();
  for (const r of results) addTotals(totals, r.totals);
  const failures = results.flatMap((r) => (r.failure === undefined ? [] : [r.failure])).sort((a, b) => a.seed - b.seed);
  const failure = failures[0];
  if (failure !== undefined) console.log(failure.report);
  console.log(formatTotals(totals, (Date.now() - started) / 1000));
  if (failure === undefined) return 0;
  console.log(`FAILED seed ${failure.seed}; replay: ${failure.replay}`);
  return 1;
}

process.exitCode = await main(process.argv.slice(2));
