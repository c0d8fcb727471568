import test from 'ava';
import { runSeed, SimulationFailure } from './simulation.js';

test('the same seed replays identically (same trace digest and totals)', async (t) => {
  for (const [seed, nodes, groups] of [[7, 3, 1], [8, 5, 1], [9, 3, 3]] as const) {
    const a = await runSeed({ seed, nodes, groups, ticks: 1500 });
    const b = await runSeed({ seed, nodes, groups, ticks: 1500 });
    t.is(a.digest, b.digest, `seed ${seed}`);
    t.deepEqual(a.totals, b.totals, `seed ${seed}`);
  }
});

test('different seeds give different runs', async (t) => {
  const a = await runSeed({ seed: 11, nodes: 3, ticks: 1000 });
  const b = await runSeed({ seed: 12, nodes: 3, ticks: 1000 });
  t.not(a.digest, b.digest);
});

test('replays of two seeds run side by side give the same digests as run alone', async (t) => {
  // Promise continuations of one run must not leak into another's order.
  const [a, b] = await Promise.all([runSeed({ seed: 21, nodes: 3, ticks: 500 }), runSeed({ seed: 22, nodes: 5, groups: 2, ticks: 500 })]);
  t.is(a.digest, (await runSeed({ seed: 21, nodes: 3, ticks: 500 })).digest);
  t.is(b.digest, (await runSeed({ seed: 22, nodes: 5, groups: 2, ticks: 500 })).digest);
});

test('--trace sees every line, and the digest does not depend on it', async (t) => {
  const lines: string[] = [];
  const traced = await runSeed({ seed: 5, nodes: 3, ticks: 600, traceSink: (l) => lines.push(l) });
  const plain = await runSeed({ seed: 5, nodes: 3, ticks: 600 });
  t.is(traced.digest, plain.digest);
  t.true(lines.length > 1000);
  t.regex(lines.find((l) => l.includes(' app ')) ?? '', /^t=\d+ n\d+ -> n\d+ app term=\d+ prev=\(\d+,\d+\) n=\d+/);
});

test('a failing seed reports a one-line replay command and the last steps', async (t) => {
  const err = await t.throwsAsync(runSeed({ seed: 3, nodes: 5, ticks: 3000, seam: 'staleFollowerReads' }), {
    instanceOf: SimulationFailure,
  });
  t.is(err.replayCommand(), 'npm run sim -- --seed 3 --nodes 5 --ticks 3000');
  const report = err.report();
  t.true(report.includes('replay: npm run sim -- --seed 3 --nodes 5 --ticks 3000'));
  t.true(err.traceTail.length > 10 && err.traceTail.length <= 60);
  t.regex(err.traceTail[err.traceTail.length - 1] ?? '', /^t=\d+ /);
});

test('a failing multi-group seed names its groups in the replay command', async (t) => {
  const err = await t.throwsAsync(runSeed({ seed: 4, nodes: 3, groups: 3, ticks: 3000, seam: 'staleFollowerReads' }), {
    instanceOf: SimulationFailure,
  });
  t.is(err.replayCommand(), 'npm run sim -- --seed 4 --nodes 3 --groups 3 --ticks 3000');
});
