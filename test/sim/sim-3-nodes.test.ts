import test from 'ava';
import { runBatch } from './sim-batch.js';

/** Half of the `npm test` proof: 3-node clusters (the other half runs in parallel in sim-5-nodes). */
const SEEDS = 550;
const TICKS = 3000;

test(`${SEEDS} seeds of 3-node clusters under faults keep every safety property and recover`, async (t) => {
  const { totals, summary, failure } = await runBatch(1, SEEDS, 3, TICKS);
  t.log(`3 nodes:\n${summary}`);
  if (failure !== undefined) t.fail(failure);
  t.is(totals.seeds, SEEDS);
  t.true(totals.ticks >= SEEDS * TICKS);
  // The runs must actually have been hostile and busy, or the proof is empty.
  t.true(totals.faults > SEEDS * 10, 'faults injected');
  t.true(totals.crashes > SEEDS, 'crashes injected');
  t.true(totals.elections > SEEDS * 5, 'elections');
  t.true(totals.writesAcked > SEEDS * 100, 'writes acknowledged');
  t.true(totals.snapshotsSent > 0 && totals.confChanges > 0 && totals.transfers > 0, 'snapshots, membership, transfers');
});
