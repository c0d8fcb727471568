import test from 'ava';
import type { CheckName } from './checkers.js';
import type { SimSeam } from './sim-cluster.js';
import { runSeed, SimulationFailure } from './simulation.js';

/**
 * The checkers have teeth: plant one defect in the simulated host or network
 * (never in raft/) and the campaign must fail, naming the right property.
 */
const SEEDS_MAX = 20;

function firstFailure(seam: SimSeam, nodes: 3 | 5): SimulationFailure | undefined {
  for (let seed = 1; seed <= SEEDS_MAX; seed++) {
    try {
      runSeed({ seed, nodes, ticks: 3000, seam });
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
  ['skipSnapshotRestore', 'a host that skips restoring a snapshot breaks state machine safety', ['stateMachineSafety']],
  [
    'sendBeforePersist',
    'a host that sends before persisting loses promised state in crashes',
    ['raftInvariant', 'committedDurability', 'stateMachineSafety', 'leaderCompleteness', 'logMatching', 'electionSafety'],
  ],
  ['staleFollowerReads', 'reads served from local state without ReadIndex are stale', ['readLinearizability']],
];

for (const [seam, title, checks] of cases) {
  for (const nodes of [3, 5] as const) {
    test(`${title} (${nodes} nodes)`, (t) => {
      const failure = firstFailure(seam, nodes);
      if (failure === undefined) return t.fail(`${seam} not caught within ${SEEDS_MAX} seeds`);
      t.log(`caught at seed ${failure.opts.seed} t=${failure.tick}: ${failure.message}`);
      t.true(checks.includes(failure.check), `expected one of ${checks.join(', ')}, got ${failure.check}`);
    });
  }
}
