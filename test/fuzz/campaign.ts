import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { Command, InvalidArgumentError } from 'commander';
import type { BatchTask } from './campaign-worker.js';
import { FUZZ_TARGETS, propertyOf, runBatch, targetNamed, type BatchResult } from './targets.js';

/**
 * The long fuzz campaign: `npm run fuzz -- --inputs 1000000` feeds that many
 * generated inputs (split evenly over the targets, in seeded batches, on
 * --jobs worker threads) to the RESP parser, the inline splitter, the config
 * parser and the peer frame decoder, and prints throughput per target.
 * A failure prints the shrunk input and a one-line replay command; a batch
 * that does not finish within --batch-timeout-ms is a hang, reported with
 * the command that reruns exactly that batch. Exit status 1 on any failure.
 */

const PROGRESS_EVERY_MS = 10_000;
const JOBS_MAX = 64;

interface CliOptions {
  inputs: number;
  seed: number;
  target?: string;
  jobs: number;
  batch: number;
  batchTimeoutMs: number;
  replay?: string;
  batchSeed?: number;
}

function int(name: string, min = 0): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
    return n;
  };
}

function parse(argv: readonly string[]): CliOptions {
  return new Command()
    .name('fuzz')
    .description(`fuzz campaign over: ${[...FUZZ_TARGETS.keys()].join(', ')}`)
    .option('--inputs <n>', 'generated inputs in all (split evenly over the targets)', int('--inputs', 1), 100_000)
    .option('--seed <s>', 'base seed (default: from the clock, printed)', int('--seed'), Date.now() % 2_147_483_647)
    .option('--target <name>', 'only this target')
    .option('--jobs <n>', 'worker threads', int('--jobs', 1), Math.min(2, availableParallelism()))
    .option('--batch <n>', 'inputs per batch (one seed each)', int('--batch', 1), 2_000)
    .option('--batch-timeout-ms <ms>', 'a batch running longer is reported as a hang', int('--batch-timeout-ms', 1), 60_000)
    .option('--replay <seed:path>', 'replay one failure (with --target), as printed by a failed run')
    .option('--batch-seed <s>', 'run exactly one batch of --inputs inputs with this seed (with --target), as printed for a hang', int('--batch-seed'))
    .parse(argv, { from: 'user' })
    .opts<CliOptions>();
}

/** Batch seeds: a pure function of base seed, target and batch number, so any batch can be rerun alone. */
function batchSeed(base: number, targetIndex: number, batch: number): number {
  return (base + targetIndex * 104_729 + batch * 7_919) % 2_147_483_647;
}

interface Failure {
  readonly target: string;
  readonly report: string;
  readonly replay: string;
}

function failureOf(target: string, r: BatchResult): Failure {
  return {
    target,
    report: [`FAILED ${target}: ${r.error ?? '(no message)'}`, `  input (shrunk): ${r.counterexample ?? '?'}`].join('\n'),
    replay: `npm run fuzz -- --target ${target} --replay ${r.seed}:${r.path ?? ''}`,
  };
}

/** Runs every task on `jobs` worker threads, each one batch at a time, with a watchdog per batch. */
function runTasks(tasks: BatchTask[], o: CliOptions, onDone: (task: BatchTask, r: BatchResult, ms: number) => void, onHang: (task: BatchTask) => void): Promise<void> {
  const queue = [...tasks];
  const stopped = new Set<string>();
  let running = 0;
  return new Promise((resolve, reject) => {
    const startWorker = (): void => {
      const w = new Worker(new URL('./campaign-worker.js', import.meta.url));
      let current: BatchTask | undefined;
      let watchdog: NodeJS.Timeout | undefined;
      const next = (): void => {
        let task = queue.shift();
        while (task !== undefined && stopped.has(task.target)) task = queue.shift();
        if (task === undefined) {
          void w.terminate();
          running--;
          if (running === 0) resolve();
          return;
        }
        current = task;
        watchdog = setTimeout(() => {
          // A hang: this worker is lost; report, stop the target, go on with a fresh worker.
          stopped.add(task.target);
          onHang(task);
          current = undefined;
          void w.terminate();
          startWorker();
        }, o.batchTimeoutMs);
        w.postMessage(task);
      };
      w.on('message', (m: { task: BatchTask; result: BatchResult; ms: number }) => {
        clearTimeout(watchdog);
        current = undefined;
        if (m.result.failed) stopped.add(m.task.target);
        onDone(m.task, m.result, m.ms);
        next();
      });
      w.on('error', (err) => {
        clearTimeout(watchdog);
        reject(new Error(`fuzz worker failed${current !== undefined ? ` on ${current.target} batch seed ${current.seed}` : ''}: ${err.message}`));
      });
      next();
    };
    running = Math.max(1, Math.min(o.jobs, JOBS_MAX, tasks.length));
    for (let k = 0; k < running; k++) startWorker();
  });
}

function replayOne(o: CliOptions): number {
  if (o.target === undefined) throw new InvalidArgumentError('--replay and --batch-seed need --target');
  const t = targetNamed(o.target);
  if (o.replay !== undefined) {
    const colon = o.replay.indexOf(':');
    const seed = Number(colon < 0 ? o.replay : o.replay.slice(0, colon));
    const path = colon < 0 ? undefined : o.replay.slice(colon + 1);
    console.log(`replaying ${t.name} seed ${seed}${path !== undefined ? ` path ${path}` : ''}`);
    try {
      fc.assert(propertyOf(t), { seed, ...(path !== undefined && path !== '' ? { path } : {}), numRuns: path !== undefined && path !== '' ? 1 : o.inputs, verbose: true });
    } catch (err) {
      console.log((err as Error).message);
      return 1;
    }
    console.log('passed: the failure does not reproduce');
    return 0;
  }
  const r = runBatch(t, o.batchSeed!, o.inputs);
  if (!r.failed) {
    console.log(`${t.name}: batch seed ${o.batchSeed} passed ${r.runs} inputs`);
    return 0;
  }
  const f = failureOf(t.name, r);
  console.log(`${f.report}\nreplay: ${f.replay}`);
  return 1;
}

async function main(argv: readonly string[]): Promise<number> {
  const o = parse(argv);
  if (o.replay !== undefined || o.batchSeed !== undefined) return replayOne(o);
  const names = o.target !== undefined ? [targetNamed(o.target).name] : [...FUZZ_TARGETS.keys()];
  const allNames = [...FUZZ_TARGETS.keys()];
  const perTarget = Math.ceil(o.inputs / names.length);
  const tasks: BatchTask[] = [];
  // Interleaved, so every target makes progress from the start.
  const batches = Math.ceil(perTarget / o.batch);
  for (let b = 0; b < batches; b++) {
    for (const name of names) {
      const runs = Math.min(o.batch, perTarget - b * o.batch);
      if (runs > 0) tasks.push({ target: name, seed: batchSeed(o.seed, allNames.indexOf(name), b), runs });
    }
  }
  console.log(`fuzz: ${perTarget * names.length} inputs over ${names.join(', ')}; base seed ${o.seed}; ${o.jobs} jobs; batches of ${o.batch}`);
  for (const name of names) console.log(`  ${name}: ${targetNamed(name).about}`);
  const started = Date.now();
  let lastProgress = started;
  let done = 0;
  const per = new Map(names.map((n) => [n, { inputs: 0, ms: 0 }]));
  const failures: Failure[] = [];
  await runTasks(
    tasks,
    o,
    (task, r, ms) => {
      const p = per.get(task.target)!;
      p.inputs += r.runs;
      p.ms += ms;
      done += r.runs;
      if (r.failed) {
        const f = failureOf(task.target, r);
        failures.push(f);
        console.log(`${f.report}\n  replay: ${f.replay}`);
      }
      const now = Date.now();
      if (now - lastProgress >= PROGRESS_EVERY_MS) {
        lastProgress = now;
        console.log(`... ${done}/${perTarget * names.length} inputs, ${((now - started) / 1000).toFixed(0)} s, ${Math.round(done / ((now - started) / 1000))} inputs/s`);
      }
    },
    (task) => {
      const f = {
        target: task.target,
        report: `HANG ${task.target}: a batch of ${task.runs} inputs ran longer than ${o.batchTimeoutMs} ms`,
        replay: `npm run fuzz -- --target ${task.target} --batch-seed ${task.seed} --inputs ${task.runs}`,
      };
      failures.push(f);
      console.log(`${f.report}\n  replay: ${f.replay}`);
    },
  );
  const wallS = (Date.now() - started) / 1000;
  console.log('\ntarget    inputs      cpu s   inputs/s (one thread)');
  for (const [name, p] of per) {
    console.log(`${name.padEnd(8)}  ${String(p.inputs).padStart(9)}  ${(p.ms / 1000).toFixed(1).padStart(7)}  ${String(Math.round(p.inputs / Math.max(p.ms / 1000, 1e-9))).padStart(9)}`);
  }
  console.log(`total     ${String(done).padStart(9)} inputs in ${wallS.toFixed(1)} s wall, ${Math.round(done / wallS)} inputs/s on ${o.jobs} jobs`);
  if (failures.length === 0) {
    console.log('no failures');
    return 0;
  }
  console.log(`\n${failures.length} failure(s):`);
  for (const f of failures) console.log(`  ${f.target}: ${f.replay}`);
  return 1;
}

process.exitCode = await main(process.argv.slice(2));
