import test from 'ava';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatRun, runOnce } from './fault-run.js';
import type { RunOptions } from './fault-run.js';

/**
 * The CI campaign: a handful of seeded runs of real clusters under every
 * nemesis, both cluster shapes, each checked for linearizability and lost
 * writes; then the teeth: the test-only stale-read node must be caught.
 * Serial, so at most one cluster loads this 2-core machine at a time.
 */
const RUN_MS = 25_000;
const outDir = join(tmpdir(), 'kvstore-jepsen-ci');

// The single-key runs: the classic three (kill-coordinator aims at transactions, which this workload has none of).
const base = (mode: RunOptions['mode'], seed: number): RunOptions => ({ mode, seed, timeMs: RUN_MS, nemeses: ['kill', 'pause', 'partition'], outDir });

// 2pc runs the lab's default shape: 3 participants, 3 groups; one raft run has every peer host 3 groups.
for (const [mode, seed, groups] of [
  ['raft', 11, undefined],
  ['2pc', 12, undefined],
  ['raft', 13, 3],
  ['2pc', 14, undefined],
] as const) {
  const shape = groups === undefined ? '' : ` x ${groups} groups`;
  test.serial(`${mode} cluster${shape}, seed ${seed}: ${RUN_MS / 1_000} s of kill -9, pauses and partitions stay linearizable and lose no acknowledged write`, async (t) => {
    const r = await runOnce({ ...base(mode, seed), ...(groups !== undefined ? { groups } : {}) });
    const report = formatRun(r);
    t.log(report);
    t.true(r.faults.length >= 4, `too few faults to mean anything:\n${report}`);
    t.true(r.stats.ok >= 200, `too few ok ops to mean anything:\n${report}`);
    t.is(r.finalReads.ok, r.finalReads.keys, `a final read never answered:\n${report}`);
    t.deepEqual(r.anomalies, []);
    t.deepEqual(r.crashes, [], 'no process may exit unless the nemesis killed it');
    t.false(r.check.inconclusive, report);
    t.true(r.check.linearizable, report);
    t.true(r.passed, report);
  });
}

test.serial('teeth: raft peers answering GET from local state without ReadIndex are caught within three seeds', async (t) => {
  const tried: number[] = [];
  let caught: string | undefined;
  for (const seed of [21, 22, 23]) {
    tried.push(seed);
    const r = await runOnce({ ...base('raft', seed), timeMs: 15_000, unsafe: true });
    if (!r.check.linearizable) {
      caught = formatRun(r);
      break;
    }
  }
  t.not(caught, undefined, `stale reads went unnoticed for seeds ${tried.join(', ')}`);
  t.log(`caught at seed ${tried[tried.length - 1]}:\n${(caught ?? '').split('\n').slice(0, 24).join('\n')}`);
});
