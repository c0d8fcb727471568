import test from 'ava';
import type { ExecutionContext } from 'ava';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatRun, runOnce } from './fault-run.js';
import type { RunOptions, RunResult } from './fault-run.js';
import { NEMESES } from './nemesis.js';
import type { NemesisTiming } from './nemesis.js';

/**
 * The CI campaign of the multi-key workload: MSET / MGET / DEL over keys of
 * three groups (the front doors' 2PC) mixed with single-key ops, under every
 * nemesis including kill -9 of the coordinator mid-transaction, for both
 * shapes; then the teeth: a test-only build with a planted 2PC bug must be
 * caught, and the same seed without it must pass. Serial, one cluster at a time.
 */
const RUN_MS = 20_000;
const outDir = join(tmpdir(), 'kvstore-jepsen-ci');

function assertClean(t: ExecutionContext, r: RunResult): void {
  const report = formatRun(r);
  t.log(report);
  t.true(r.faults.some((f) => f.kind === 'kill-coordinator' && f.what.includes('mid-transaction')), `no kill landed mid-transaction:\n${report}`);
  t.true(r.stats.multiKey >= 100, `too few multi-key ops to mean anything:\n${report}`);
  t.true(r.check.delCounts.checked >= 5, `too few DELs of several keys checked:\n${report}`);
  t.is(r.finalReads.ok, r.finalReads.keys, `a final read never answered:\n${report}`);
  t.deepEqual(r.anomalies, []);
  t.deepEqual(r.crashes, [], 'no process may exit unless the nemesis killed it');
  t.false(r.check.inconclusive, report);
  t.true(r.check.linearizable, report);
  t.true(r.passed, report);
}

for (const [mode, seed, groups] of [
  ['2pc', 31, undefined],
  ['raft', 32, 3],
] as const) {
  const shape = mode === '2pc' ? 'coordinator + 3 participants, 3 groups' : '5 peers x 3 groups';
  test.serial(`multi-key ${mode} (${shape}), seed ${seed}: ${RUN_MS / 1_000} s of MSET/MGET/DEL under coordinator kills mid-transaction, kills, pauses and partitions: no fractured read, no lost MSET, exact DEL counts`, async (t) => {
    const r = await runOnce({ mode, seed, timeMs: RUN_MS, nemeses: NEMESES, outDir, multiKey: true, ...(groups !== undefined ? { groups } : {}) });
    assertClean(t, r);
  });
}

/**
 * Faults often, coordinator kills twice as likely as the others: many
 * transactions are cut between their PREPAREs, and their locks outlive them.
 */
const FAULTS_OFTEN: NemesisTiming = { quietMsMin: 400, quietMsMax: 1_000, holdMsMin: 600, holdMsMax: 1_500 };
const teeth = (seed: number, failpoint: boolean): RunOptions => ({
  mode: '2pc',
  seed,
  timeMs: RUN_MS,
  nemeses: ['kill-coordinator', 'kill-coordinator', 'kill', 'partition'],
  timing: FAULTS_OFTEN,
  outDir,
  multiKey: true,
  ...(failpoint ? { failpoint: 'resolverCommitsWithoutPrimary' as const } : {}),
});

/**
 * Measured here: about half the 20 s runs catch it (by a torn read, a lost
 * or half-applied MSET, or a wrong DEL count); six seeds miss all with odds
 * near 1.5 %. A miss fails this test: the checker has lost its teeth.
 */
const TEETH_SEEDS = [41, 42, 43, 44, 45, 46];

/**
 * Real processes make the catch probabilistic (a seed fixes the schedule,
 * not the timing), and a run that missed on a loaded machine would fail CI
 * with nothing wrong: the teeth run on demand, KVSTORE_FAULT_TEETH=1
 * (npm run jepsen -- --workload multi --failpoint ... is the campaign form).
 * The 2PC simulator's teeth, which are deterministic, run in every npm test.
 */
const teethTest = process.env['KVSTORE_FAULT_TEETH'] === '1' ? test.serial : test.serial.skip;

teethTest('teeth: a build whose lock resolver commits without asking the primary is caught within six seeds, and the same seed without it passes', async (t) => {
  const tried: number[] = [];
  let caught: RunResult | undefined;
  for (const seed of TEETH_SEEDS) {
    tried.push(seed);
    const r = await runOnce(teeth(seed, true));
    if (!r.check.linearizable) {
      caught = r;
      break;
    }
    t.log(`seed ${seed}: not caught`);
  }
  t.not(caught, undefined, `half-applied transactions went unnoticed for seeds ${tried.join(', ')}`);
  t.log(`caught at seed ${caught!.seed}:\n${formatRun(caught!).split('\n').slice(0, 30).join('\n')}`);
  const off = await runOnce(teeth(caught!.seed, false));
  t.log(`the same seed, shipped build:\n${formatRun(off)}`);
  t.true(off.passed, formatRun(off));
});
