import test from 'ava';
import { InvariantError } from '../../raft/assert.js';
import { RaftLog } from '../../raft/log.js';
import { MemoryStorage } from '../../raft/memory-storage.js';
import { entriesOfTerms, seededDisk } from './helpers/cluster.js';

const conf = { voters: [1, 2, 3], learners: [] };

/** A log whose disk holds `terms` (commit 0) and nothing unstable. */
const logOf = (terms: number[], commit = 0): RaftLog => new RaftLog(seededDisk(conf, terms, { commit }), 0);

test('log: "at least as up-to-date" compares last terms, then lengths (§5.4.1)', (t) => {
  const log = logOf([1, 2, 2]);
  t.true(log.isUpToDate(1, 3), 'higher last term, shorter log');
  t.true(log.isUpToDate(3, 2), 'same term, same length');
  t.true(log.isUpToDate(4, 2), 'same term, longer');
  t.false(log.isUpToDate(2, 2), 'same term, shorter');
  t.false(log.isUpToDate(9, 1), 'lower last term, longer log');
});

test('log: term() is known from the entry before the first through the last, and unknown outside', (t) => {
  const disk = seededDisk(conf, [1, 1, 2, 2], { commit: 4 });
  disk.createSnapshot(2, conf, new Uint8Array(0));
  disk.compact(2);
  const log = new RaftLog(disk, 2);
  t.deepEqual([1, 2, 3, 4, 5].map((i) => log.term(i)), [undefined, 1, 2, 2, undefined]);
  t.deepEqual([log.firstIndex(), log.lastIndex(), log.lastTerm()], [3, 4, 2]);
});

test('log: findConflict names the first entry that is new or of another term', (t) => {
  const log = logOf([1, 1, 2]);
  t.is(log.findConflict(entriesOfTerms([1, 2], 2)), 0);
  t.is(log.findConflict(entriesOfTerms([1, 2, 3], 2)), 4);
  t.is(log.findConflict(entriesOfTerms([3, 3], 2)), 2);
  t.is(log.findConflict([]), 0);
});

test('log: findConflictByTerm gives the last index at or before i whose term is <= the given term (fast backtracking, §5.3)', (t) => {
  const log = logOf([1, 1, 3, 3, 3, 5, 5]);
  t.is(log.findConflictByTerm(7, 4), 5);
  t.is(log.findConflictByTerm(7, 2), 2);
  t.is(log.findConflictByTerm(7, 5), 7);
  t.is(log.findConflictByTerm(4, 0), 0);
});

test('log: maybeAppend applies AppendEntries receiver rules 2-5 (Figure 2)', (t) => {
  const log = logOf([1, 1, 2, 2]);
  t.is(log.maybeAppend(4, 3, 4, entriesOfTerms([3], 5)), undefined, 'rule 2: prev term mismatch');
  t.is(log.maybeAppend(2, 1, 9, entriesOfTerms([3, 3], 3)), 4, 'index of the last new entry');
  t.deepEqual([1, 2, 3, 4].map((i) => log.term(i)), [1, 1, 3, 3], 'rule 3: conflicting suffix replaced');
  t.is(log.committed, 4, 'rule 5: min(leaderCommit 9, last new 4)');
  t.is(log.maybeAppend(4, 3, 4, entriesOfTerms([3], 5)), 5, 'rule 4: new entries appended');
  t.is(log.lastIndex(), 5);
});

test('log: a conflict at or below the commit index is a broken invariant, never a truncation (§5.4 State Machine Safety)', (t) => {
  const log = logOf([1, 1, 1], 2);
  t.throws(() => log.maybeAppend(1, 1, 2, entriesOfTerms([2], 2)), { instanceOf: InvariantError });
  t.throws(() => log.commitTo(9), { instanceOf: InvariantError });
  log.commitTo(1);
  t.is(log.committed, 2, 'commit never moves back');
});

test('log: slice spans disk and unstable entries, bounded by bytes but always one; undefined when compacted', (t) => {
  const disk = seededDisk(conf, [1, 1, 1], { commit: 3 });
  const log = new RaftLog(disk, 0);
  log.append(entriesOfTerms([2, 2], 4));
  t.deepEqual(log.slice(2, 6, Infinity)?.map((e) => e.index), [2, 3, 4, 5]);
  // Each entry "i/t" counts 3 + 16 = 19 bytes.
  t.deepEqual(log.slice(2, 6, 40)?.map((e) => e.index), [2, 3]);
  t.deepEqual(log.slice(3, 6, 40)?.map((e) => e.index), [3, 4]);
  t.deepEqual(log.slice(2, 6, 1)?.map((e) => e.index), [2]);
  t.deepEqual(log.slice(4, 4, 1), []);
  disk.createSnapshot(2, conf, new Uint8Array(0));
  disk.compact(2);
  t.is(log.slice(2, 4, Infinity), undefined);
});

test('log: committed entries go to the host once, in order, from applied+1', (t) => {
  const log = logOf([1, 1, 1, 1], 3);
  t.true(log.hasNextCommittedEntries());
  t.deepEqual(log.nextCommittedEntries(Infinity).map((e) => e.index), [1, 2, 3]);
  log.appliedTo(2);
  t.deepEqual(log.nextCommittedEntries(Infinity).map((e) => e.index), [3]);
  log.appliedTo(3);
  t.false(log.hasNextCommittedEntries());
  t.throws(() => log.appliedTo(4), { instanceOf: InvariantError });
});

test('log: restoring a snapshot replaces the log and commits through it (§7)', (t) => {
  const log = logOf([1, 1, 1]);
  log.restore({ meta: { index: 9, term: 3, conf }, data: new Uint8Array(0) });
  t.deepEqual([log.firstIndex(), log.lastIndex(), log.lastTerm(), log.committed], [10, 9, 3, 9]);
  t.is(log.term(3), undefined);
  t.deepEqual(log.nextCommittedEntries(Infinity), [], 'the snapshot, not entries, brings the state');
});

test('log: a fresh node starts with an empty log at index 0, term 0', (t) => {
  const log = new RaftLog(new MemoryStorage(conf), 0);
  t.deepEqual([log.firstIndex(), log.lastIndex(), log.lastTerm(), log.committed, log.applied], [1, 0, 0, 0, 0]);
});
