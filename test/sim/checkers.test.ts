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
import type { ApplyObserver } from './sim-state-machine.js';

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

/** A state machine over `entries` (its log), reporting each apply to `onApply`. */
function machine(entries: Entry[], onApply: ApplyObserver['applied'] = () => {}): SimStateMachine {
  return new SimStateMachine((i) => entries.find((e) => e.index === i)?.term, { applied: onApply });
}

function applyEntry(sm: SimStateMachine, e: Entry): void {
  if (e.type === 'normal') sm.applyEntry(e.index, e.data);
  else sm.applyConfChange(e.index, e.change);
}

/** Applies entries on a fresh state machine, reporting each to the checker. */
function applyAll(s: SafetyState, node: number, entries: Entry[], term = 9): void {
  const sm = machine(entries, (index, eTerm, digest, chain) => checkApply(s, node, term, { index, term: eTerm, digest, chain }, 0));
  for (const e of entries) applyEntry(sm, e);
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

test('reads: a read answered from a state behind an acknowledged write fails', (t) => {
  const read = { ctx: 1, node: 1, startTick: 5, mustSeeIndex: 10 };
  checkRead(read, 10, 6);
  checkRead(read, 12, 6);
  failsWith(t, 'readLinearizability', () => checkRead(read, 9, 6));
});

test('state machine snapshots carry the applied history', (t) => {
  const log = [1, 2, 3, 4, 5, 6].map((i) => ent(i, 1));
  const a = machine(log);
  for (const e of log.slice(0, 5)) applyEntry(a, e);
  const b = machine(log);
  b.restore(a.snapshot());
  t.is(b.applied, 5);
  t.is(b.chain, a.chain);
  applyEntry(a, log[5]!);
  applyEntry(b, log[5]!);
  t.is(b.chain, a.chain);
  t.is(b.writes, 6);
});

test('a state machine whose restore keeps its state (the teeth seam) ends on another history', (t) => {
  const log = [1, 2, 3].map((i) => ent(i, 1));
  const a = machine(log);
  for (const e of log.slice(0, 2)) applyEntry(a, e);
  const b = new SimStateMachine((i) => log[i - 1]?.term, { applied: () => {} }, true);
  b.restore(a.snapshot());
  t.is(b.applied, 2);
  t.not(b.chain, a.chain);
});
