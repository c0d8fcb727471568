import test from 'ava';
import { describeFailure, runSim2pc } from './sim2pc.js';
import type { Sim2pcResult } from './sim2pc.js';

/** 1,200 seeds in four slices (ava runs them side by side). */
const SLICES = 4;
const PER_SLICE = 300;
const crashes: Record<string, number> = {};
const totals: Record<string, number> = {};

async function runSlice(first: number, n: number): Promise<Sim2pcResult[]> {
  const out: Sim2pcResult[] = [];
  for (let s = first; s < first + n; s++) {
    const r = await runSim2pc(s);
    out.push(r);
    for (const [k, v] of Object.entries(r.crashes)) crashes[k] = (crashes[k] ?? 0) + v;
    for (const [k, v] of Object.entries(r.stats)) totals[k] = (totals[k] ?? 0) + v;
  }
  return out;
}

for (let i = 0; i < SLICES; i++) {
  const first = 1 + i * PER_SLICE;
  test.serial(`2pc sim: seeds ${first}..${first + PER_SLICE - 1}: atomic, decided, isolated reads, no lock left, acknowledged writes committed`, async (t) => {
    const failed = (await runSlice(first, PER_SLICE)).filter((r) => r.error !== undefined);
    t.deepEqual(failed.map(describeFailure), []);
  });
}

test.serial('2pc sim: the seeds crashed front doors at every protocol step and before every kind of message', (t) => {
  const points = ['begin', 'prepare-sent', 'prepared', 'decide-sent', 'decided', 'resolve-sent', 'resolved', 'aborting', 'forgotten'].map((s) => `step:${s}`);
  const sends = ['tprepare', 'tdecide', 'tresolve', 'tforget', 'read', 'write1'].map((s) => `send:${s}`);
  for (const p of [...points, ...sends]) t.true((crashes[p] ?? 0) > 0, `no front door crashed at ${p}`);
  t.log('crashes by point', JSON.stringify(crashes));
  t.log('totals', JSON.stringify(totals));
  // The world is not vacuous: transactions committed, reads crossed groups, late copies of PREPAREs came back.
  t.true(totals['crossGroupMsets']! > 1_000 && totals['crossGroupMgets']! > 1_000 && totals['resurrectedPrepares']! > 50);
  // And outcomes were spread in batches (SPREAD entries: several transactions' steps in one).
  t.true(totals['appliedSpreads']! > 300, `only ${totals['appliedSpreads']} SPREAD entries applied`);
});

test.serial('2pc sim: a seed replays exactly', async (t) => {
  const a = await runSim2pc(77);
  const b = await runSim2pc(77);
  t.deepEqual(a.stats, b.stats);
  t.deepEqual(a.crashes, b.crashes);
});
