/**
 * `npm run bench:cluster` (after `npm run build`): the standard suite of
 * issue 7 against our cluster shapes (coordinator+3 with its default 3
 * groups and with `groups 1`, a kvstoreraftsystem leader), durable redis
 * and, for the c=1 row, the latency-floor skeleton, in one run on this
 * machine, with the same in-process load generator.
 *
 *   node dist/test/bench/bench-cluster.js [--seconds 5] [--rounds 3] [--systems 2pc,2pc1,raft,redis,floor] [--memory-keys 1000000] [--memory-only]
 *
 * Rows are interleaved across systems within each round, so slow drift of
 * the shared machine's load hits every system alike; the table shows the
 * median of the rounds. A system runs only the rows within its
 * concurrencyMax (the skeleton: c=1). Then a fresh 3-group coordinator+3
 * is filled with --memory-keys keys (0 skips it) for the memory and
 * restart targets, and every target is checked against the medians. Every process started here
 * is stopped at the end, on error and on Ctrl-C.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { DEFAULT_BENCH_OPTIONS } from '../../src/bench/bench-options.js';
import type { BenchOptions } from '../../src/bench/bench-options.js';
import { runBench } from '../../src/bench/run-bench.js';
import type { BenchResult } from '../../src/bench/run-bench.js';
import { ALL_SYSTEM_KEYS, COMPARISONS, SYSTEM_NAMES, selectStarters, startSystems, type SystemStarter } from './bench-systems.js';
import { start2pc } from './cluster-systems.js';
import type { RunningSystem } from './cluster-systems.js';
import { measureMemoryRestart, type MemoryRestartResult } from './memory-restart.js';
import { formatTable, type Measured, type SuiteRow } from './suite-table.js';
import { ProcessOwner } from './process-owner.js';
import { checkTargets, formatMemory, formatTargets } from './targets.js';

const args = new Command('bench:cluster')
  .description('the standard suite against every cluster shape, durable redis and the latency-floor skeleton, rounds interleaved; then memory and restart')
  .option('--seconds <s>', 'seconds per row per system', '5')
  .option('--rounds <n>', 'rounds (the table shows medians)', '3')
  .option('--systems <list>', `comma-separated, of ${ALL_SYSTEM_KEYS}`, ALL_SYSTEM_KEYS)
  .option('--memory-keys <n>', 'keys for the memory and restart phase (0 skips it)', '1000000')
  .option('--memory-only', 'only the memory and restart phase (no throughput rows, no other systems)', false)
  .showHelpAfterError()
  .parse(process.argv)
  .opts<{ seconds: string; rounds: string; systems: string; memoryKeys: string; memoryOnly: boolean }>();
const memoryKeys = Number(args.memoryKeys);
const seconds = Number(args.seconds);
const rounds = Number(args.rounds);
if (!(seconds > 0) || !Number.isSafeInteger(rounds) || rounds < 1 || !Number.isSafeInteger(memoryKeys) || memoryKeys < 0) {
  process.stderr.write('bench:cluster: --seconds must be > 0, --rounds a positive integer, --memory-keys an integer >= 0\n');
  process.exit(2);
}
let starters: SystemStarter[];
try {
  starters = selectStarters(args.systems);
} catch (err) {
  process.stderr.write(`bench:cluster: ${(err as Error).message}\n`);
  process.exit(2);
}

/** Systems whose MSET crosses groups (several groups behind one front door), and redis for scale. */
const TXN_SYSTEMS = [SYSTEM_NAMES.coordinator, SYSTEM_NAMES.redis];

/** The standard suite of issue 7, plus one pipelined row, plus the 2PC rows. */
const SUITE: SuiteRow[] = [
  { name: 'SET c=1', connections: 1, pipeline: 1, mix: { set: 1, get: 0, del: 0 } },
  { name: 'SET c=16', connections: 16, pipeline: 1, mix: { set: 1, get: 0, del: 0 } },
  { name: 'SET c=128', connections: 128, pipeline: 1, mix: { set: 1, get: 0, del: 0 } },
  { name: 'GET/SET 50/50 c=128', connections: 128, pipeline: 1, mix: { set: 1, get: 1, del: 0 } },
  { name: 'SET c=16 P=16 (pipelined)', connections: 16, pipeline: 16, mix: { set: 1, get: 0, del: 0 } },
  // The 2PC rows (issue 13): two keys of 100 bytes in two groups, in one group, and a SET of the same bytes.
  ...(['c=1', 'c=128'] as const).map((c): SuiteRow => ({ name: `MSET 2 keys 2 groups ${c}`, connections: c === 'c=1' ? 1 : 128, pipeline: 1, mix: { set: 0, get: 0, del: 0, mset: 1 }, systems: TXN_SYSTEMS })),
  { name: 'MSET 2 keys 1 group c=128', connections: 128, pipeline: 1, mix: { set: 0, get: 0, del: 0, mset1: 1 }, systems: TXN_SYSTEMS },
  { name: 'SET 200 B c=128', connections: 128, pipeline: 1, mix: { set: 1, get: 0, del: 0 }, valueBytes: 200, systems: TXN_SYSTEMS },
];

const owner = new ProcessOwner();
const dir = mkdtempSync(join(tmpdir(), 'kvstore-bench-'));
let cleaned = false;
async function cleanup(): Promise<void> {
  if (cleaned) return;
  cleaned = true;
  await owner.stopAll();
  rmSync(dir, { recursive: true, force: true });
}
process.on('exit', () => owner.killAllNow());
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    process.stderr.write(`\nbench:cluster: ${signal}, stopping everything it started\n`);
    void cleanup().finally(() => process.exit(130));
  });
}

const log = (s: string): void => {
  process.stderr.write(`${s}\n`);
};

function options(sys: RunningSystem, row: SuiteRow, seed: number): BenchOptions {
  return {
    ...DEFAULT_BENCH_OPTIONS,
    port: sys.port,
    connections: row.connections,
    pipeline: row.pipeline,
    mix: row.mix,
    ops: null,
    durationMs: Math.round(seconds * 1000),
    valueBytes: row.valueBytes ?? 100,
    keyspace: 10_000,
    pids: sys.pids,
    seed,
  };
}

/** Whether `sys` can take this row's load (the skeleton keeps one request in flight). */
const runs = (sys: RunningSystem, row: SuiteRow): boolean =>
  row.connections * row.pipeline <= (sys.concurrencyMax ?? Infinity) && (row.systems === undefined || row.systems.includes(sys.name));

/**
 * Fills the keyspace a little and lets each system reach steady state: a
 * second of every command mix it runs (SET, GET/SET, cross-group and
 * one-group MSET), at c=16 where it takes that many, so round 1's first
 * row of a mix does not measure the JIT compiling its path.
 */
async function warmUp(systems: readonly RunningSystem[]): Promise<void> {
  for (const sys of systems) {
    const mixes = new Map<string, SuiteRow>();
    for (const row of SUITE) if (runs(sys, { ...row, connections: 1, pipeline: 1 })) mixes.set(JSON.stringify([row.mix, row.valueBytes ?? 100]), row);
    for (const row of mixes.values()) {
      const connections = Math.min(16, sys.concurrencyMax ?? 16);
      await runBench({ ...options(sys, { ...row, connections, pipeline: 1 }, 7), durationMs: 1000, pids: [] });
    }
  }
}

/** `rounds` rounds of every row on every system that runs it, interleaved. */
async function measureRounds(systems: readonly RunningSystem[]): Promise<Measured[]> {
  const measured: Measured[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const row of SUITE) {
      for (const sys of systems.filter((s) => runs(s, row))) {
        const r: BenchResult = await runBench(options(sys, row, round * 1000 + measured.length));
        measured.push({ row: row.name, system: sys.name, result: r });
        const errs = r.errors.error + r.errors.otherError + r.errors.timeout + r.errors.connection;
        log(`round ${round}/${rounds}  ${row.name.padEnd(26)} ${sys.name.padEnd(24)} ${Math.round(r.opsPerSec).toString().padStart(7)} ops/s  p50 ${r.latencyUs.p50} µs  cpu ${r.cpu?.usPerOp.toFixed(0) ?? '-'} µs/op  calls ${r.cpu?.writeCallsPerOp?.toFixed(2) ?? '-'} w ${r.cpu?.readCallsPerOp?.toFixed(2) ?? '-'} r /op${errs > 0 ? `  errors ${errs}` : ''}`);
      }
    }
  }
  return measured;
}

/** The memory and restart phase on a fresh coordinator+3 with its default layout (3 groups). */
async function measureMemory(): Promise<MemoryRestartResult> {
  log(`starting a fresh ${SYSTEM_NAMES.coordinator} for the memory and restart phase ...`);
  // Snapshots during the load (1M keys make ~8,000 batch entries): the peak
  // must hold while a snapshot of the whole state is taken, not only before.
  const snapshotEntries = Math.max(100, Math.round(memoryKeys / 400));
  const sys = await start2pc(owner, join(dir, 'memory'), { participantLines: [`snapshot_entries ${snapshotEntries}`] });
  return measureMemoryRestart(owner, sys, memoryKeys, log);
}

/** `--memory-only`: the memory and restart phase alone, its targets checked. */
async function mainMemoryOnly(): Promise<void> {
  if (!(memoryKeys > 0)) throw new Error('--memory-only needs --memory-keys > 0');
  const memory = await measureMemory();
  process.stdout.write(`${formatMemory(memory)}\n`);
  process.stdout.write(`\n${formatTargets(checkTargets([], memory).filter((t) => t.met !== undefined))}\n`);
}

async function main(): Promise<void> {
  if (args.memoryOnly) return mainMemoryOnly();
  const started = Date.now();
  const { systems, unavailable } = await startSystems(owner, dir, starters, log);
  if (systems.length === 0) throw new Error('no system could be started');
  await warmUp(systems);
  const measured = await measureRounds(systems);
  process.stdout.write(`${formatTable(SUITE, systems.map((s) => s.name), measured, SYSTEM_NAMES.redis, COMPARISONS)}\n`);
  for (const u of unavailable) process.stdout.write(`${u.split('\n')[0]}\n`);

  let memory: MemoryRestartResult | undefined;
  if (memoryKeys > 0) {
    // The throughput systems are done: stop them so the memory phase has the machine.
    await owner.stopAll();
    memory = await measureMemory();
    process.stdout.write(`\n${formatMemory(memory)}\n`);
  }
  process.stdout.write(`\n${formatTargets(checkTargets(measured, memory))}\n`);
  process.stdout.write(`${rounds} rounds × ${seconds} s per measurement; medians shown; took ${Math.round((Date.now() - started) / 1000)} s\n`);
}

try {
  await main();
} catch (err) {
  process.stderr.write(`bench:cluster failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
