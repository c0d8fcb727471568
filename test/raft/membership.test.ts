import test from 'ava';
import { TestCluster, bytes } from './helpers/cluster.js';
import { brief, ofType } from './helpers/msgs.js';

const plain = { preVote: false, checkQuorum: false } as const;

/** n1 leads 1,2,3 and has added n4 as a learner; n4 caught up from a snapshot. */
function withLearner(): TestCluster {
  const c = new TestCluster([1, 2, 3], plain);
  c.elect(1);
  c.deliverAll();
  c.addNode(4);
  const res = c.n(1).node.proposeConfChange({ type: 'addLearner', nodeId: 4 });
  if (!res.ok) throw new Error('setup: addLearner refused');
  c.deliverAll();
  // A joiner replays nothing from index 1: it starts from a snapshot (which holds the membership).
  c.n(1).snapshotAt(c.n(1).status().applied);
  c.tick(1, 1);
  c.deliverAll();
  return c;
}

test('a new server joins as a learner: it gets the log from a snapshot and entries, but neither votes nor counts toward commit (dissertation §4.2.1)', (t) => {
  const c = withLearner();
  t.deepEqual(c.n(1).status().conf, { voters: [1, 2, 3], learners: [4] });
  t.is(c.n(4).status().snapshotIndex, 2);
  t.deepEqual(c.n(4).status().conf, { voters: [1, 2, 3], learners: [4] });
  c.n(1).node.propose(bytes('x'));
  c.deliverAll();
  c.heartbeat();
  t.deepEqual(c.n(4).terms().slice(-1), [1]);
  t.is(c.n(4).status().lastIndex, 3);
  t.deepEqual(c.n(4).appliedData(), ['x']);
  // With n2 and n3 cut off, n1 + learner n4 commit nothing.
  c.isolate(2);
  c.isolate(3);
  c.n(1).node.propose(bytes('y'));
  c.deliverAll();
  t.is(c.n(4).status().lastIndex, 4, 'the learner stores it');
  t.is(c.n(1).status().commit, 3, 'but does not count');
  // The learner is asked for no vote.
  c.heal();
  c.n(2).node.campaign();
  t.deepEqual(ofType(c.n(2).take(), 'vote').map((m) => m.to), [1, 3]);
});

test('a learner never campaigns, however long it hears nothing (§4.2.1)', (t) => {
  const c = withLearner();
  c.isolate(4);
  c.tick(4, 200);
  t.is(c.n(4).status().role, 'follower');
  t.is(c.n(4).status().term, 1);
  t.deepEqual(c.n(4).take(), []);
});

test('promote: a caught-up learner becomes a voter and counts toward the quorum (§4.2.1)', (t) => {
  const c = withLearner();
  const res = c.n(1).node.proposeConfChange({ type: 'promote', nodeId: 4 });
  t.true(res.ok);
  c.deliverAll();
  c.tick(1, 1);
  c.deliverAll();
  for (const id of [1, 2, 3, 4]) t.deepEqual(c.n(id).status().conf, { voters: [1, 2, 3, 4], learners: [] }, `n${id}`);
  // Four voters: a majority is 3. n1, n2, n4 commit only because n4 counts now.
  c.isolate(3);
  c.n(1).node.propose(bytes('z'));
  c.deliverAll();
  t.is(c.n(1).status().commit, 4);
  // n1 and n4 alone (2 of 4) commit nothing.
  c.heal();
  c.isolate(2);
  c.isolate(3);
  c.n(1).node.propose(bytes('w'));
  c.deliverAll();
  t.is(c.n(1).status().commit, 4);
  // The new voter may campaign: it does after its election timeout.
  c.heal();
  c.isolate(1);
  c.tick(4, 40);
  t.true(c.n(4).status().term > 1);
});

test('only one membership change at a time: another is refused with confChangePending until the first is applied (§4.1)', (t) => {
  const c = new TestCluster([1, 2, 3], plain);
  c.elect(1);
  c.deliverAll();
  c.addNode(4);
  c.addNode(5);
  c.isolate(2);
  c.isolate(3);
  const first = c.n(1).node.proposeConfChange({ type: 'addLearner', nodeId: 4 });
  t.deepEqual(first, { ok: true, index: 2, term: 1 });
  const second = c.n(1).node.proposeConfChange({ type: 'addLearner', nodeId: 5 });
  t.deepEqual(second, { ok: false, code: 'confChangePending', leaderId: 1 });
  c.heal();
  c.deliverAll();
  t.deepEqual(c.n(1).status().conf.learners, [4]);
  const third = c.n(1).node.proposeConfChange({ type: 'addLearner', nodeId: 5 });
  t.true(third.ok);
});

test('a membership change that does not apply is refused with invalidConfChange', (t) => {
  const c = new TestCluster([1, 2], plain);
  c.elect(1);
  c.deliverAll();
  const refused = { ok: false, code: 'invalidConfChange', leaderId: 1 };
  t.deepEqual(c.n(1).node.proposeConfChange({ type: 'promote', nodeId: 2 }), refused, 'promote a voter');
  t.deepEqual(c.n(1).node.proposeConfChange({ type: 'promote', nodeId: 7 }), refused, 'promote a stranger');
  t.deepEqual(c.n(1).node.proposeConfChange({ type: 'addLearner', nodeId: 2 }), refused, 'add a member');
  t.deepEqual(c.n(1).node.proposeConfChange({ type: 'remove', nodeId: 7 }), refused, 'remove a stranger');
  t.deepEqual(c.n(1).node.proposeConfChange({ type: 'addLearner', nodeId: 0 }), refused, 'bad id');
  t.is(c.n(1).status().lastIndex, 1, 'nothing appended');
  // The last voter cannot be removed.
  const solo = new TestCluster([1], plain);
  solo.n(1).node.campaign();
  solo.n(1).drain();
  t.deepEqual(solo.n(1).node.proposeConfChange({ type: 'remove', nodeId: 1 }), refused);
});

test('removing a follower shrinks the quorum and the leader stops replicating to it (§4.1)', (t) => {
  const c = new TestCluster([1, 2, 3], plain);
  c.elect(1);
  c.deliverAll();
  t.true(c.n(1).node.proposeConfChange({ type: 'remove', nodeId: 3 }).ok);
  c.deliverAll();
  t.deepEqual(c.n(1).status().conf, { voters: [1, 2], learners: [] });
  t.deepEqual(c.n(1).status().peers.map((p) => p.id), [1, 2]);
  c.n(1).node.propose(bytes('a'));
  const out = c.n(1).take();
  t.deepEqual(out.filter((m) => m.to === 3), []);
  for (const m of out) c.deliver(m);
  c.flush(2);
  // Two voters: both needed, and both have it.
  t.is(c.n(1).status().commit, 3);
  c.isolate(2);
  c.n(1).node.propose(bytes('b'));
  c.deliverAll();
  t.is(c.n(1).status().commit, 3, '1 of 2 is no majority');
});

test('a leader that removes itself steps down once the removal is applied, and the others elect a leader (§4.2.2)', (t) => {
  const c = new TestCluster([1, 2, 3], plain);
  c.elect(1);
  c.deliverAll();
  t.true(c.n(1).node.proposeConfChange({ type: 'remove', nodeId: 1 }).ok);
  c.deliverAll();
  t.is(c.n(1).status().role, 'follower');
  t.deepEqual(c.n(1).status().conf, { voters: [2, 3], learners: [] });
  t.is(c.n(2).status().commit, 2, 'the followers learned the removal is committed');
  t.deepEqual(c.n(2).status().conf, { voters: [2, 3], learners: [] });
  // The removed node never campaigns again.
  c.tick(1, 100);
  t.is(c.n(1).status().role, 'follower');
  t.deepEqual(c.n(1).take().map(brief), []);
  const leader = c.elect();
  t.true(leader === 2 || leader === 3);
  t.is(c.n(leader).status().term, 2);
});

test('a new leader refuses membership changes until it has applied everything from earlier terms (§4.1)', (t) => {
  const c = new TestCluster([1, 2, 3], plain);
  c.elect(1);
  c.deliverAll();
  // Entry 2 reaches n2, but n2 never learns it is committed (its ack is lost).
  c.n(1).node.propose(bytes('a'));
  c.flush(1, (m) => m.to === 2);
  c.n(2).take();
  c.n(2).node.campaign();
  c.deliverAll(1000, (m) => m.type !== 'app');
  t.is(c.leader(), 2);
  t.is(c.n(2).status().applied, 1);
  c.addNode(4);
  // Entry 2 (term 1) might be a membership change n2 has not applied yet.
  t.deepEqual(c.n(2).node.proposeConfChange({ type: 'addLearner', nodeId: 4 }), { ok: false, code: 'confChangePending', leaderId: 2 });
  c.tick(2, 1);
  c.deliverAll();
  t.is(c.n(2).status().applied, 3);
  t.deepEqual(c.n(2).node.proposeConfChange({ type: 'addLearner', nodeId: 4 }), { ok: true, index: 4, term: 2 });
});

test('a leader that removes itself fails the reads it still held (Ready.droppedReads)', (t) => {
  const c = new TestCluster([1, 2, 3], plain);
  c.elect(1);
  c.deliverAll();
  t.true(c.n(1).node.proposeConfChange({ type: 'remove', nodeId: 1 }).ok);
  // The read's heartbeats are lost, so it is still pending when the removal applies.
  t.true(c.n(1).node.readIndex(71));
  c.deliverAll(1000, (m) => m.type !== 'heartbeat');
  t.is(c.n(1).status().role, 'follower');
  t.deepEqual(c.n(1).dropped, [71]);
  t.deepEqual(c.n(1).readStates, []);
});
