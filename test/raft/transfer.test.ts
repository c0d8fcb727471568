import test from 'ava';
import { TestCluster, bytes } from './helpers/cluster.js';
import { brief, ofType } from './helpers/msgs.js';

const cq = { preVote: true, checkQuorum: true } as const;

function settled(): TestCluster {
  const c = new TestCluster([1, 2, 3], cq);
  c.elect(1);
  c.deliverAll();
  return c;
}

test('leadership transfer: the leader sends TimeoutNow to an up-to-date target, which campaigns at once in term+1 and wins (dissertation §3.10)', (t) => {
  const c = settled();
  c.n(1).node.transferLeader(2);
  const out = c.n(1).take();
  t.deepEqual(out.map(brief), ['timeoutNow 1->2 t1']);
  c.deliver(out[0]!);
  // No PreVote round: a real vote, flagged as a transfer.
  const votes = ofType(c.n(2).take(), 'vote');
  t.deepEqual(votes.map((m) => [m.to, m.term, m.transfer]), [[1, 2, true], [3, 2, true]]);
  for (const m of votes) c.deliver(m);
  c.deliverAll();
  t.is(c.leader(), 2);
  t.is(c.n(2).status().term, 2);
  t.is(c.n(1).status().role, 'follower');
  t.is(c.n(1).status().leaderId, 2);
});

test('leadership transfer: a transfer vote is granted inside the leader lease that stops ordinary campaigns (§3.10, §4.2.3)', (t) => {
  const c = settled();
  // An ordinary campaign by n3 is ignored by voters that hear the leader.
  c.n(3).node.campaign();
  c.deliverAll();
  t.is(c.leader(), 1);
  t.is(c.n(1).status().term, 1);
  t.is(c.n(3).status().role, 'preCandidate');
  c.tick(1, 1); // the leader's heartbeat turns n3 back into a follower
  c.deliverAll();
  t.is(c.n(3).status().role, 'follower');
  c.n(1).node.transferLeader(3);
  c.deliverAll();
  t.is(c.leader(), 3);
});

test('leadership transfer: a target that lags is first brought up to date, then sent TimeoutNow (§3.10)', (t) => {
  const c = settled();
  c.isolate(3);
  c.n(1).node.propose(bytes('a'));
  c.n(1).node.propose(bytes('b'));
  c.deliverAll();
  c.heal();
  t.deepEqual(c.n(3).terms(), [1]);
  c.n(1).node.transferLeader(3);
  // Before it catches up: no TimeoutNow.
  const first = c.n(1).take();
  t.is(ofType(first, 'timeoutNow').length, 0);
  for (const m of first) c.deliver(m);
  c.tick(1, 1);
  const delivered = c.deliverAll();
  const tn = ofType(delivered, 'timeoutNow');
  t.deepEqual(tn.map(brief), ['timeoutNow 1->3 t1']);
  t.is(c.leader(), 3);
  t.deepEqual(c.n(3).terms(), [1, 1, 1, 2]);
});

test('leadership transfer: proposals are refused with "transferring" meanwhile, and again accepted once it is abandoned after an election timeout (§3.10)', (t) => {
  const c = settled();
  c.isolate(2);
  c.n(1).node.transferLeader(2);
  const res = c.n(1).node.propose(bytes('x'));
  t.deepEqual(res, { ok: false, code: 'transferring', leaderId: 1 });
  t.is(c.n(1).status().leadTransferee, 2);
  c.cut.clear();
  c.cutLink(1, 2); // n3 stays reachable so CheckQuorum keeps n1 leading
  for (let k = 0; k < 10; k++) {
    c.tick(1, 1);
    c.deliverAll();
  }
  t.is(c.n(1).status().role, 'leader');
  t.is(c.n(1).status().leadTransferee, 0);
  const ok = c.n(1).node.propose(bytes('y'));
  t.true(ok.ok);
});

test('leadership transfer to itself, to a learner or to a non-member is ignored', (t) => {
  const c = settled();
  c.n(1).node.transferLeader(1);
  c.n(1).node.transferLeader(9);
  t.is(c.n(1).status().leadTransferee, 0);
  t.deepEqual(c.n(1).take(), []);
  c.addNode(4);
  c.n(1).node.proposeConfChange({ type: 'addLearner', nodeId: 4 });
  c.deliverAll();
  c.n(1).node.transferLeader(4);
  t.is(c.n(1).status().leadTransferee, 0);
});

test('a follower that gets TimeoutNow while it may not campaign (a learner) does nothing', (t) => {
  const c = settled();
  c.addNode(4);
  c.n(1).node.proposeConfChange({ type: 'addLearner', nodeId: 4 });
  c.deliverAll();
  c.tick(1, 1);
  c.deliverAll();
  c.deliver({ type: 'timeoutNow', from: 1, to: 4, term: 1 });
  t.is(c.n(4).status().role, 'follower');
  t.is(c.n(4).status().term, 1);
  t.deepEqual(c.n(4).take(), []);
});
