import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { MemoryStorage } from '../../raft/memory-storage.js';
import { LevelDbDisk, leveldbDiskCalls, logDiff } from './leveldb-disk.js';
import { addTotals, emptyTotals, runSeed } from './simulation.js';
import type { SimTotals } from './simulation.js';
import { formatTotals } from './totals-format.js';

/**
 * The simulator on real LevelDB: every replica's durable image is a
 * RaftStore in a temp dir, written (synced) when the simulated store lands
 * a batch, each crash RaftStore.crash() then a reopen that must read back
 * exactly what was synced. Time is virtual, so the run must make the same
 * decisions as on memory disks: equal trace digests show the store behaved
 * like the model.
 */
/** Seed, processes and groups per process: mostly 3 single-group nodes, some 5, one multi-group run (a RaftStore per replica). */
const SEEDS: readonly (readonly [number, 3 | 5, number])[] = [[1, 3, 1], [2, 3, 1], [3, 3, 1], [4, 5, 1], [5, 3, 2]];
/** Alone about 10 s in all; beside a LevelDB campaign (fsyncs contend) about 3x that. */
const TICKS = 1500;

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function leftoverDirs(seed: number): string[] {
  return fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith(`kvstore-sim-${seed}-`));
}

test(`${SEEDS.length} seeds of 3 and 5 nodes (one with 2 groups each) under faults run on LevelDB exactly as on memory disks`, async (t) => {
  const started = Date.now();
  const callsBefore = leveldbDiskCalls();
  const totals: SimTotals = emptyTotals();
  for (const [seed, nodes, groups] of SEEDS) {
    const onDisk = await runSeed({ seed, nodes, groups, ticks: TICKS, disk: 'leveldb' });
    const model = await runSeed({ seed, nodes, groups, ticks: TICKS });
    t.is(onDisk.digest, model.digest, `seed ${seed}: the LevelDB run diverged from the memory run`);
    t.deepEqual(onDisk.totals, model.totals, `seed ${seed}: totals`);
    t.deepEqual(leftoverDirs(seed), [], `seed ${seed}: temp dirs removed`);
    addTotals(totals, onDisk.totals);
  }
  const calls = leveldbDiskCalls() - callsBefore;
  t.log(`LevelDB runs (+ memory runs to compare), ${calls} disk calls:\n${formatTotals(totals, (Date.now() - started) / 1000)}`);
  // The runs must have exercised the store: many synced writes, crashes and reopens, snapshots both ways.
  t.true(calls > (SEEDS.length * TICKS) / 4, 'synced writes');
  t.true(totals.crashes >= SEEDS.length * 3, 'crashes (each one a reopen from disk)');
  t.true(totals.snapshots > 0 && totals.snapshotsSent > 0, 'snapshots taken and installed');
  t.true(totals.writesAcked > SEEDS.length * 100, 'writes acknowledged');
});

test('a LevelDB disk reads back after a crash exactly what was synced, snapshot and compaction included', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kvstore-simdisk-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const conf = { voters: [1, 2, 3], learners: [] };
  const disk = new LevelDbDisk(path.join(dir, 'n1'), conf);
  t.teardown(() => disk.close());
  const entries = [1, 2, 3, 4, 5].map((index) => ({ type: 'normal' as const, term: 1, index, data: enc(`e${index}`) }));
  disk.persist({ entries, hardState: { term: 1, vote: 2, commit: 4 } });
  disk.saveSnapshot(3, conf, enc('state@3'));
  disk.compact(2);
  // A conflicting suffix from a new leader replaces entry 5 (Raft §5.3).
  disk.persist({ entries: [{ type: 'normal', term: 2, index: 5, data: enc('x5') }], hardState: { term: 2, vote: 3, commit: 4 } });
  const before = disk.log;
  disk.crash();
  t.not(disk.log, before, 'the log was rebuilt from LevelDB');
  t.is(logDiff(before, disk.log), undefined);
  t.deepEqual(disk.log.hardState(), { term: 2, vote: 3, commit: 4 });
  t.is(disk.log.snapshot().meta.index, 3);
  t.deepEqual(disk.log.snapshot().data, enc('state@3'));
  t.is(disk.log.firstIndex(), 3);
  t.is(disk.log.term(5), 2);
});

test('logDiff names the first difference between two logs', (t) => {
  const a = new MemoryStorage();
  const b = new MemoryStorage();
  a.append([{ type: 'normal', term: 1, index: 1, data: enc('a') }]);
  b.append([{ type: 'normal', term: 1, index: 1, data: enc('b') }]);
  t.is(logDiff(a, b), 'entry 1: data differs');
  b.append([{ type: 'normal', term: 1, index: 1, data: enc('a') }, { type: 'normal', term: 1, index: 2, data: enc('c') }]);
  t.regex(logDiff(a, b) ?? '', /^shape /);
  a.append([{ type: 'normal', term: 1, index: 2, data: enc('c') }]);
  t.is(logDiff(a, b), undefined);
});
