import test from 'ava';
import { MemoryStorage } from '../../raft/memory-storage.js';
import type { Entry } from '../../raft/types.js';
import {
  CheckFailure,
  SafetyState,
  checkAppendKeepsCommitted,
  checkApply,
  checkDiskKeptHardState,
  checkElectionSafety,
  checkHardStateTransition,
  checkLeaderCompleteness,
  checkLogMatching,
  checkRead,
} from './checkers.js';
import type { CheckName } from './checkers.js';
import { SimStateMachine, encodeCommand } from './sim-state-machine.js';

const ent = (index: number, term: number, op = index): Entry => ({ type: 'normal', index, term, data: encodeCommand(op, 0) });
const conf = { voters: [1, 2, 3], learners: [] };

function disk(entries: Entry[], commit = 0): MemoryStorage {
  const d = new MemoryStorage(conf);
  d.append(entries);
  d.setHardState({ term: entries.at(-1)?.term ?? 0, vote: 0, commit });
  return d;
}

function failsWith(t: import('ava').ExecutionContext, check: CheckName, fn: () => void): void {
  const err = t.throws(fn, { instanceOf: CheckFailure });
  t.is(err.check, check);
}

/** Applies entries on a fresh state machine, reporting each to the checker. */
function applyAll(s: SafetyState, node: number, entries: Entry[], term = 9): void {
  const sm = new SimStateMachine();
  for (const e of entries) checkApply(s, node, term, e, sm.apply(e), sm.chain, 0);
}

test('election safety: a second leader in one term fails', (t) => {
  const s = new SafetyState();
  checkElectionSafety(s, 1, 3);
  checkElectionSafety(s, 1, 3);
  checkElectionSafety(s, 2, 4);
  failsWith(t, 'electionSafety', () => checkElectionSafety(s, 3, 3));
});

test('state machine safety: a different entry at an applied index fails, the same one passes', (t) => {
  const s = new SafetyState();
  applyAll(s, 1, [ent(1, 1), ent(2, 1)]);
  applyAll(s, 2, [ent(1, 1), ent(2, 1)]);
  failsWith(t, 'stateMachineSafety', () => applyAll(s, 3, [ent(1, 1), ent(2, 2)]));
  failsWith(t, 'stateMachineSafety', () => applyAll(s, 3, [ent(1, 1), ent(2, 1, 77)]));
});

test('leader completeness: a leader missing an entry committed in an earlier term fails', (t) => {
  const s = new SafetyState();
  applyAll(s, 1, [ent(1, 1), ent(2, 1), ent(3, 2)], 2);
  checkLeaderCompleteness(s, 2, 3, disk([ent(1, 1), ent(2, 1), ent(3, 2), ent(4, 3)]));
  failsWith(t, 'leaderCompleteness', () => checkLeaderCompleteness(s, 3, 3, disk([ent(1, 1), ent(2, 1)])));
  failsWith(t, 'leaderCompleteness', () => checkLeaderCompleteness(s, 3, 3, disk([ent(1, 1), ent(2, 1), ent(3, 1)])));
  // A leader of a term not above the commit's term may legitimately lack it.
  checkLeaderCompleteness(s, 3, 2, disk([ent(1, 1)]));
});

test('log matching: equal (index, term) with a different prefix fails', (t) => {
  const a = disk([ent(1, 1), ent(2, 1), ent(3, 2)]);
  checkLogMatching(1, a, 2, disk([ent(1, 1), ent(2, 1), ent(3, 3)]));
  checkLogMatching(1, a, 2, disk([ent(1, 1), ent(2, 1), ent(3, 2), ent(4, 2)]));
  failsWith(t, 'logMatching', () => checkLogMatching(1, a, 2, disk([ent(1, 1), ent(2, 1, 99), ent(3, 2)])));
});

test('durability: committed entries are never overwritten and hard state never rolls back', (t) => {
  const s = new SafetyState();
  const d = disk([ent(1, 1), ent(2, 1), ent(3, 1)], 2);
  checkAppendKeepsCommitted(s, 1, d, [ent(3, 2)], 2);
  failsWith(t, 'committedDurability', () => checkAppendKeepsCommitted(s, 1, d, [ent(2, 2)], 2));
  checkHardStateTransition(1, { term: 2, vote: 0, commit: 3 }, { term: 2, vote: 3, commit: 3 });
  failsWith(t, 'electionSafety', () => checkHardStateTransition(1, { term: 2, vote: 1, commit: 3 }, { term: 2, vote: 3, commit: 3 }));
  failsWith(t, 'committedDurability', () => checkHardStateTransition(1, { term: 2, vote: 1, commit: 3 }, { term: 1, vote: 1, commit: 3 }));
  failsWith(t, 'committedDurability', () => checkHardStateTransition(1, { term: 2, vote: 1, commit: 3 }, { term: 2, vote: 1, commit: 2 }));
  failsWith(t, 'committedDurability', () => checkDiskKeptHardState(1, { term: 2, vote: 1, commit: 3 }, { term: 2, vote: 0, commit: 3 }));
});

test('reads: a read index below an acknowledged write fails', (t) => {
  const read = { ctx: 1, node: 1, startTick: 5, mustSeeIndex: 10 };
  checkRead(read, 10, 12, 6);
  failsWith(t, 'readLinearizability', () => checkRead(read, 9, 12, 6));
  failsWith(t, 'hostContract', () => checkRead(read, 11, 10, 6));
});

test('state machine snapshots carry the applied history', (t) => {
  const a = new SimStateMachine();
  for (let i = 1; i <= 5; i++) a.apply(ent(i, 1));
  const b = new SimStateMachine();
  b.restore({ meta: { index: 5, term: 1, conf }, data: a.encode() });
  t.is(b.chain, a.chain);
  a.apply(ent(6, 1));
  b.apply(ent(6, 1));
  t.is(b.chain, a.chain);
  t.is(b.writes, 6);
});
