import test from 'ava';
import { InvariantError } from '../../raft/assert.js';
import { UnstableLog } from '../../raft/log-unstable.js';
import type { Snapshot } from '../../raft/types.js';
import { entriesOfTerms } from './helpers/cluster.js';

const snap = (index: number, term: number): Snapshot => ({ meta: { index, term, conf: { voters: [1], learners: [] } }, data: new Uint8Array(0) });

test('unstable log: indexes and terms of what is not yet persisted', (t) => {
  const u = new UnstableLog(5);
  t.is(u.maybeLastIndex(), undefined);
  t.is(u.maybeFirstIndex(), undefined);
  u.truncateAndAppend(entriesOfTerms([2, 2, 3], 5));
  t.is(u.maybeLastIndex(), 7);
  t.deepEqual([4, 5, 6, 7, 8].map((i) => u.maybeTerm(i)), [undefined, 2, 2, 3, undefined]);
  t.is(u.maybeFirstIndex(), undefined, 'only a snapshot fixes the first index');
});

test('unstable log: with a pending snapshot, first index follows it and its last entry\'s term is known', (t) => {
  const u = new UnstableLog(3);
  u.restore(snap(10, 4));
  t.deepEqual([u.maybeFirstIndex(), u.maybeLastIndex(), u.maybeTerm(10), u.maybeTerm(9), u.offset], [11, 10, 4, undefined, 11]);
  u.truncateAndAppend(entriesOfTerms([5], 11));
  t.deepEqual([u.maybeLastIndex(), u.maybeTerm(11)], [11, 5]);
  u.stableSnapTo(9);
  t.truthy(u.snapshot, 'another index: kept');
  u.stableSnapTo(10);
  t.is(u.snapshot, undefined);
});

test('unstable log: appending after, replacing all, or truncating in the middle (§5.3)', (t) => {
  const u = new UnstableLog(5);
  u.truncateAndAppend(entriesOfTerms([1, 1, 1], 5));
  u.truncateAndAppend(entriesOfTerms([1], 8));
  t.deepEqual(u.entries.map((e) => [e.index, e.term]), [[5, 1], [6, 1], [7, 1], [8, 1]]);
  u.truncateAndAppend(entriesOfTerms([2, 2], 7));
  t.deepEqual(u.entries.map((e) => [e.index, e.term]), [[5, 1], [6, 1], [7, 2], [8, 2]]);
  // Starting at or before the offset replaces everything unstable (the host truncates its own copy).
  u.truncateAndAppend(entriesOfTerms([3], 4));
  t.is(u.offset, 4);
  t.deepEqual(u.entries.map((e) => [e.index, e.term]), [[4, 3]]);
});

test('unstable log: stableTo drops what was persisted, unless the entry was replaced meanwhile', (t) => {
  const u = new UnstableLog(5);
  u.truncateAndAppend(entriesOfTerms([1, 1, 1], 5));
  u.stableTo(6, 1);
  t.deepEqual([u.offset, u.entries.map((e) => e.index)], [7, [7]]);
  // The persisted (6, term 2) is not what we hold: nothing dropped.
  u.truncateAndAppend(entriesOfTerms([2], 7));
  u.stableTo(7, 1);
  t.deepEqual([u.offset, u.entries.length], [7, 1]);
  u.stableTo(7, 2);
  t.deepEqual([u.offset, u.entries.length], [8, 0]);
});

test('unstable log: slicing outside what it holds is a programmer error', (t) => {
  const u = new UnstableLog(5);
  u.truncateAndAppend(entriesOfTerms([1, 1], 5));
  t.deepEqual(u.slice(5, 7).map((e) => e.index), [5, 6]);
  t.throws(() => u.slice(4, 6), { instanceOf: InvariantError });
  t.throws(() => u.slice(5, 8), { instanceOf: InvariantError });
});
