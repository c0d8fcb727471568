import test from 'ava';
import { Progress } from '../../raft/progress.js';

test('progress: a new follower is probed, one message at a time', (t) => {
  const pr = new Progress(6, 4, false);
  t.deepEqual([pr.state, pr.match, pr.next], ['probe', 0, 6]);
  t.false(pr.isPaused());
  pr.probeSent = true;
  t.true(pr.isPaused());
  // An acknowledgement moves match and next and unpauses.
  t.true(pr.maybeUpdate(5));
  t.deepEqual([pr.match, pr.next, pr.isPaused()], [5, 6, false]);
});

test('progress: an older acknowledgement does not move match back, but next never falls below it', (t) => {
  const pr = new Progress(10, 4, false);
  pr.maybeUpdate(8);
  t.false(pr.maybeUpdate(3));
  t.deepEqual([pr.match, pr.next], [8, 10]);
});

test('progress: replicate sends optimistically, paused only when the in-flight window is full (§10.2.1)', (t) => {
  const pr = new Progress(2, 2, false);
  pr.maybeUpdate(1);
  pr.becomeReplicate();
  t.deepEqual([pr.state, pr.next], ['replicate', 2]);
  pr.optimisticUpdate(4);
  pr.inflights.add(4);
  t.false(pr.isPaused());
  pr.optimisticUpdate(6);
  pr.inflights.add(6);
  t.true(pr.isPaused());
  t.is(pr.next, 7);
});

test('progress: a rejection in replicate falls back to match+1; a stale one (at or below match) is ignored', (t) => {
  const pr = new Progress(2, 8, false);
  pr.maybeUpdate(5);
  pr.becomeReplicate();
  pr.optimisticUpdate(9);
  t.false(pr.maybeDecrTo(4, 0));
  t.is(pr.next, 10);
  t.true(pr.maybeDecrTo(7, 0));
  t.is(pr.next, 6);
});

test('progress: a rejection in probe jumps to the hint, never below match+1, and ignores answers to older probes (§5.3)', (t) => {
  const pr = new Progress(21, 8, false);
  pr.match = 3;
  // Answer to a probe at 17, but we last probed at 20: stale.
  t.false(pr.maybeDecrTo(17, 5));
  t.is(pr.next, 21);
  pr.probeSent = true;
  t.true(pr.maybeDecrTo(20, 12));
  t.deepEqual([pr.next, pr.probeSent], [13, false]);
  t.true(pr.maybeDecrTo(12, 0));
  t.is(pr.next, 4, 'not below match+1');
  // A hint above the rejected index does not move next forward.
  t.true(pr.maybeDecrTo(3, 50));
  t.is(pr.next, 4);
});

test('progress: a follower sent a snapshot is paused until it lands; probing resumes after the snapshot index', (t) => {
  const pr = new Progress(2, 8, false);
  pr.maybeUpdate(1);
  pr.becomeSnapshot(40);
  t.true(pr.isPaused());
  t.is(pr.pendingSnapshot, 40);
  pr.becomeProbe();
  t.deepEqual([pr.state, pr.next, pr.pendingSnapshot, pr.isPaused()], ['probe', 41, 0, false]);
  // From replicate, probing restarts at match+1.
  const q = new Progress(2, 8, false);
  q.maybeUpdate(7);
  q.becomeReplicate();
  q.optimisticUpdate(20);
  q.inflights.add(20);
  q.becomeProbe();
  t.deepEqual([q.next, q.inflights.size], [8, 0]);
});
