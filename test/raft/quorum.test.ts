import test from 'ava';
import { majority, quorumMatchIndex, voteResult } from '../../raft/quorum.js';

test('quorum: a majority is more than half the voters', (t) => {
  t.deepEqual([1, 2, 3, 4, 5, 6, 7].map(majority), [1, 2, 2, 3, 3, 4, 4]);
});

test('quorum: the commit candidate is the highest index a majority of voters holds (§5.3)', (t) => {
  const match = new Map([
    [1, 9],
    [2, 5],
    [3, 7],
    [4, 2],
    [5, 5],
  ]);
  t.is(quorumMatchIndex([1, 2, 3, 4, 5], (id) => match.get(id) ?? 0), 5);
  t.is(quorumMatchIndex([1, 3], (id) => match.get(id) ?? 0), 7);
  t.is(quorumMatchIndex([1, 2, 3, 4], (id) => match.get(id) ?? 0), 5);
  t.is(quorumMatchIndex([1], (id) => match.get(id) ?? 0), 9);
  t.is(quorumMatchIndex([], () => 3), 0);
  // Only voters count: a learner's match (here 4's) is not asked for.
  const asked: number[] = [];
  quorumMatchIndex([1, 2, 3], (id) => (asked.push(id), 0));
  t.deepEqual(asked, [1, 2, 3]);
});

test('quorum: votes win with a majority of grants, lose once a majority is out of reach, else pend (§5.2)', (t) => {
  const v = (entries: [number, boolean][]): Map<number, boolean> => new Map(entries);
  t.is(voteResult([1, 2, 3], v([[1, true]])), 'pending');
  t.is(voteResult([1, 2, 3], v([[1, true], [2, true]])), 'won');
  t.is(voteResult([1, 2, 3], v([[1, true], [2, false]])), 'pending');
  t.is(voteResult([1, 2, 3], v([[1, true], [2, false], [3, false]])), 'lost');
  t.is(voteResult([1, 2, 3, 4], v([[1, true], [2, true]])), 'pending');
  t.is(voteResult([1, 2, 3, 4], v([[1, true], [2, false], [3, false]])), 'lost');
  // Votes from non-voters are ignored.
  t.is(voteResult([1, 2, 3], v([[1, true], [9, true], [8, true]])), 'pending');
  t.is(voteResult([1], v([[1, true]])), 'won');
});
