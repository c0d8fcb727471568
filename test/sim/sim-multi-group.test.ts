import test from 'ava';
import { runBatch } from './sim-batch.js';
import { runSeed, SimulationFailure } from './simulation.js';

/**
 * Several groups per process, as production runs them (ARCHITECTURE.md
 * "Several groups"): every process hosts a replica of each group, ONE
 * shipped HostLoop drives them all over ONE store, and a crash kills every
 * group of its process. Every group's safety properties are checked (each
 * has its own history), and the host's group commit is measured: each
 * loop turn with a write makes exactly one disk batch, however many
 * groups wrote in it.
 */
const SHAPES = [
  { nodes: 3, groups: 3, from: 200_001, seeds: 40, ticks: 3000 },
  { nodes: 5, groups: 4, from: 300_001, seeds: 16, ticks: 3000 },
] as const;

for (const { nodes, groups, from, seeds, ticks } of SHAPES) {
  test(`${seeds} seeds of ${nodes} processes x ${groups} groups under faults keep every group safe, one disk batch per loop turn`, async (t) => {
    const { totals, summary, failure } = await runBatch(from, seeds, nodes, ticks, groups);
    t.log(`${nodes} processes x ${groups} groups:\n${summary}`);
    if (failure !== undefined) return t.fail(failure);
    t.is(totals.seeds, seeds);
    // One batch per turn that wrote: the turn's writes of every group shared it.
    t.is(totals.loopBatches, totals.writeTurns, 'disk batches holding Readies = loop turns with a write');
    t.true(totals.groupsPerWriteTurnMax > 1, 'some turn wrote for several groups');
    t.is(totals.groupsPerBatchMax, totals.groupsPerWriteTurnMax, 'and those groups shared one batch');
    t.true(totals.batches >= totals.loopBatches, 'snapshot saves and compactions may need batches of their own');
    // The runs must actually have been hostile and busy, or the proof is empty.
    t.true(totals.crashes > seeds && totals.crashLanded > 0 && totals.crashLost > 0, 'crashes, some with a batch in flight');
    t.true(totals.faults > seeds * 10, 'faults injected');
    t.true(totals.elections > seeds * groups * 5, 'elections in every group');
    t.true(totals.writesAcked > seeds * groups * 100, 'writes acknowledged');
    t.true(totals.snapshotsSent > 0 && totals.confChanges > 0 && totals.transfers > 0, 'snapshots, membership, transfers');
  });
}

test('a store that acknowledges writes before they are durable is caught in a multi-group run', async (t) => {
  for (let seed = 1; seed <= 20; seed++) {
    try {
      await runSeed({ seed, nodes: 3, groups: 3, ticks: 3000, seam: 'ackBeforeDurable' });
    } catch (err) {
      if (!(err instanceof SimulationFailure)) throw err;
      t.log(`caught at seed ${seed}: ${err.message}`);
      t.true(['raftInvariant', 'committedDurability', 'stateMachineSafety', 'leaderCompleteness', 'logMatching', 'electionSafety'].includes(err.check));
      t.regex(err.replayCommand(), / --groups 3 /);
      return;
    }
  }
  t.fail('not caught within 20 seeds');
});
