import test from 'ava';
import { runSeed, SimulationFailure } from './simulation.js';

test('the same seed replays identically (same trace digest and totals)', (t) => {
  for (const [seed, nodes] of [[7, 3], [8, 5]] as const) {
    const a = runSeed({ seed, nodes, ticks: 1500 });
    const b = runSeed({ seed, nodes, ticks: 1500 });
    t.is(a.digest, b.digest, `seed ${seed}`);
    t.deepEqual(a.totals, b.totals, `seed ${seed}`);
  }
});

test('different seeds give different runs', (t) => {
  const a = runSeed({ seed: 11, nodes: 3, ticks: 1000 });
  const b = runSeed({ seed: 12, nodes: 3, ticks: 1000 });
  t.not(a.digest, b.digest);
});

test('--trace sees every line, and the digest does not depend on it', (t) => {
  const lines: string[] = [];
  const traced = runSeed({ seed: 5, nodes: 3, ticks: 600, traceSink: (l) => lines.push(l) });
  const plain = runSeed({ seed: 5, nodes: 3, ticks: 600 });
  t.is(traced.digest, plain.digest);
  t.true(lines.length > 1000);
  t.regex(lines.find((l) => l.includes(' app ')) ?? '', /^t=\d+ n\d+ -> n\d+ app term=\d+ prev=\(\d+,\d+\) n=\d+/);
});

test('a failing seed reports a one-line replay command and the last steps', (t) => {
  const err = t.throws(() => runSeed({ seed: 3, nodes: 5, ticks: 3000, seam: 'staleFollowerReads' }), {
    instanceOf: SimulationFailure,
  });
  t.is(err.replayCommand(), 'npm run sim -- --seed 3 --nodes 5 --ticks 3000');
  const report = err.report();
  t.true(report.includes('replay: npm run sim -- --seed 3 --nodes 5 --ticks 3000'));
  t.true(err.traceTail.length > 10 && err.traceTail.length <= 60);
  t.regex(err.traceTail[err.traceTail.length - 1] ?? '', /^t=\d+ /);
});
