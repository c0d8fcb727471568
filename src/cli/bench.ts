import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { addressProblem, parseEndpoint } from '../config/address.js';
import { BenchOptionError, DEFAULT_BENCH_OPTIONS, parseMix, parsePids, validateBenchOptions } from '../bench/bench-options.js';
import type { BenchOptions } from '../bench/bench-options.js';
import { formatResult, formatResultJson } from '../bench/format-result.js';
import { BenchUnreachableError, runBench } from '../bench/run-bench.js';
import type { BenchProgress } from '../bench/run-bench.js';

interface BenchFlags {
  host?: string;
  port?: string;
  address?: string;
  connections: string;
  pipeline: string;
  ops?: string;
  duration?: string;
  keyspace: string;
  keyPattern: string;
  valueSize: string;
  mix: string;
  pids?: string;
  json?: boolean;
  seed: string;
  timeoutMs: string;
  progress: boolean;
}

const int = (name: string, text: string): number => {
  if (!/^\d{1,15}$/.test(text.trim())) throw new BenchOptionError(`${name}: "${text}" is not a non-negative integer`);
  return Number(text);
};

/** Turns the command line into options; throws BenchOptionError on any bad value. */
export function benchOptionsFromFlags(f: BenchFlags): BenchOptions {
  let host = f.host ?? DEFAULT_BENCH_OPTIONS.host;
  let port = f.port !== undefined ? int('--port', f.port) : DEFAULT_BENCH_OPTIONS.port;
  if (f.address !== undefined) {
    if (f.host !== undefined || f.port !== undefined) throw new BenchOptionError('give --address or --host/--port, not both');
    const problem = addressProblem(f.address);
    if (problem !== null) throw new BenchOptionError(`--address: ${problem}`);
    ({ host, port } = parseEndpoint(f.address));
  }
  if (f.ops !== undefined && f.duration !== undefined) throw new BenchOptionError('give --ops or --duration, not both');
  let durationMs: number | null = null;
  if (f.ops === undefined) {
    const seconds = f.duration === undefined ? DEFAULT_BENCH_OPTIONS.durationMs! / 1000 : Number(f.duration);
    if (!Number.isFinite(seconds) || seconds <= 0) throw new BenchOptionError(`--duration: "${f.duration}" is not a positive number of seconds`);
    durationMs = Math.max(1, Math.round(seconds * 1000));
  }
  const options: BenchOptions = {
    host,
    port,
    connections: int('--connections', f.connections),
    pipeline: int('--pipeline', f.pipeline),
    ops: f.ops === undefined ? null : int('--ops', f.ops),
    durationMs,
    keyspace: int('--keyspace', f.keyspace),
    keyPattern: f.keyPattern as BenchOptions['keyPattern'],
    valueBytes: int('--value-size', f.valueSize),
    mix: parseMix(f.mix),
    pids: f.pids === undefined ? [] : parsePids(f.pids),
    seed: int('--seed', f.seed),
    timeoutMs: int('--timeout-ms', f.timeoutMs),
  };
  validateBenchOptions(options);
  return options;
}

/** A progress bar on stderr, or nothing when stderr is not a terminal. */
function progressBar(o: BenchOptions, enabled: boolean): { update: (p: BenchProgress) => void; stop: () => void } {
  if (!enabled || process.stderr.isTTY !== true) return { update: () => {}, stop: () => {} };
  const byOps = o.ops !== null;
  const total = byOps ? o.ops! : Math.ceil(o.durationMs! / 100) / 10;
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `{bar} {percentage}% | ${byOps ? '{value}/{total} ops' : '{value}/{total} s'} | {rate} ops/s | errors {errors}`,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { rate: 0, errors: 0 });
  return {
    update: (p) => {
      const value = byOps ? p.done : Math.min(total, Math.round(p.elapsedMs / 100) / 10);
      bar.update(value, { rate: Math.round(p.opsPerSec), errors: p.errors });
    },
    stop: () => bar.stop(),
  };
}

/** Adds `kvstore bench` to the umbrella CLI. */
export function addBenchCommand(program: Command): void {
  program
    .command('bench')
    .description('load generator for any RESP endpoint: ops/s, latency percentiles, errors, server CPU per op')
    .option('--host <ip>', `server host (default ${DEFAULT_BENCH_OPTIONS.host})`)
    .option('--port <n>', `server port (default ${DEFAULT_BENCH_OPTIONS.port})`)
    .option('--address <ip:port>', 'server address, instead of --host/--port')
    .option('-c, --connections <n>', 'concurrent connections', String(DEFAULT_BENCH_OPTIONS.connections))
    .option('-P, --pipeline <n>', 'requests in flight per connection', String(DEFAULT_BENCH_OPTIONS.pipeline))
    .option('-n, --ops <n>', 'stop after exactly this many requests')
    .option('-d, --duration <s>', `send for this many seconds (default ${DEFAULT_BENCH_OPTIONS.durationMs! / 1000} unless --ops)`)
    .option('--keyspace <n>', 'keys are key:<0..n-1>', String(DEFAULT_BENCH_OPTIONS.keyspace))
    .option('--key-pattern <p>', 'random (uniform) or sequential (key:0, key:1, ... across all connections, wrapping; --ops = --keyspace fills every key once)', DEFAULT_BENCH_OPTIONS.keyPattern)
    .option('--value-size <bytes>', 'bytes of each SET value', String(DEFAULT_BENCH_OPTIONS.valueBytes))
    .option('--mix <weights>', 'command weights, e.g. set=50,get=50,del=0; mset = MSET of two keys in two groups, mset1 = of two keys in one group', 'set=100,get=0,del=0')
    .option('--pids <list>', 'server PIDs (comma-separated) whose CPU time (and the kernel\'s share) and read/write system calls per op are reported')
    .option('--json', 'print one JSON line instead of the summary (no progress bar)')
    .option('--seed <n>', 'seed of the key and command choices', String(DEFAULT_BENCH_OPTIONS.seed))
    .option('--timeout-ms <n>', 'a request unanswered this long counts as a timeout', String(DEFAULT_BENCH_OPTIONS.timeoutMs))
    .option('--no-progress', 'no progress bar')
    .action(async (f: BenchFlags) => {
      let options: BenchOptions;
      try {
        options = benchOptionsFromFlags(f);
      } catch (err) {
        if (!(err instanceof BenchOptionError)) throw err;
        process.stderr.write(`kvstore bench: ${err.message}\n`);
        process.exitCode = 2;
        return;
      }
      const json = f.json === true;
      const bar = progressBar(options, f.progress && !json);
      try {
        const result = await runBench(options, bar.update);
        bar.stop();
        process.stdout.write(`${json ? formatResultJson(result) : formatResult(result)}\n`);
      } catch (err) {
        bar.stop();
        if (!(err instanceof BenchUnreachableError)) throw err;
        process.stderr.write(`kvstore bench: ${err.message}\n`);
        process.exitCode = 1;
      }
    });
}
