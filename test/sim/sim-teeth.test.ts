import test from 'ava';
import type { CheckName } from './checkers.js';
import type { SimSeam } from './sim-cluster.js';
import { runSeed, SimulationFailure } from './simulation.js';

/**
 * The checkers have teeth: plant one defect in a piece the simulation
 * injects into the shipped host (network, store, state machine, client;
 * never in raft/ or src/) and the campaign must fail, naming the right
 * property.
 */
const SEEDS_MAX = 20;

async function firstFailure(seam: SimSeam, nodes: 3 | 5): Promise<SimulationFailure | undefined> {
  for (let seed = 1; seed <= SEEDS_MAX; seed++) {
    try {
      await runSeed({ seed, nodes, ticks: 3000, seam });
    } catch (err) {
      if (err instanceof SimulationFailure) return err;
      throw err;
    }
  }
  return undefined;
}

const cases: [SimSeam, string, readonly (CheckName | 'crash')[]][] = [
  // A leader that meets another leader of its own term asserts it (raftInvariant) before the checker may see it.
  ['forgeVoteGrants', 'a network that forges vote grants breaks election safety', ['electionSafety', 'raftInvariant']],
  ['forgetVoteOnCrash', 'a disk that forgets the vote across a crash is caught', ['committedDurability', 'electionSafety']],
  ['skipSnapshotRestore', 'a state machine whose restore keeps its old state breaks state machine safety', ['stateMachineSafety']],
  [
    'ackBeforeDurable',
    'a store that acknowledges writes before they are durable loses promised state in crashes',
    ['raftInvariant', 'committedDurability', 'stateMachineSafety', 'leaderCompleteness', 'logMatching', 'electionSafety'],
  ],
  ['staleFollowerReads', 'reads served from local state without a read barrier are stale', ['readLinearizability']],
];

for (const [seam, title, checks] of cases) {
  for (const nodes of [3, 5] as const) {
    test(`${title} (${nodes} nodes)`, async (t) => {
      const failure = await firstFailure(seam, nodes);
      if (failure === undefined) return t.fail(`${seam} not caught within ${SEEDS_MAX} seeds`);
      t.log(`caught at seed ${failure.opts.seed} t=${failure.tick}: ${failure.message}`);
      t.true(checks.includes(failure.check), `expected one of ${checks.join(', ')}, got ${failure.check}`);
    });
  }
}
