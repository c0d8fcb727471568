import test from 'ava';
import { TestCluster, bytes } from './helpers/cluster.js';
import { ofType } from './helpers/msgs.js';

const plain = { preVote: false, checkQuorum: false } as const;

/** A settled 3-node cluster led by n1, everything committed and applied. */
function settled(overrides = {}): TestCluster {
  const c = new TestCluster([1, 2, 3], { ...plain, ...overrides });
  c.elect(1);
  c.deliverAll();
  c.n(1).node.propose(bytes('a'));
  c.deliverAll();
  c.heartbeat();
  return c;
}

test('ReadIndex: the leader answers a read only after a majority acknowledged a heartbeat sent after it, at the commit index it had (dissertation §6.4)', (t) => {
  const c = settled();
  t.is(c.n(1).status().commit, 2);
  t.true(c.n(1).node.readIndex(7));
  const hbs = ofType(c.n(1).take(), 'heartbeat');
  t.deepEqual(hbs.map((m) => [m.to, m.readRound]), [[2, 1], [3, 1]]);
  t.deepEqual(c.n(1).readStates, [], 'not before any acknowledgement');
  // A write arriving meanwhile does not change the index the read must observe.
  c.n(1).node.propose(bytes('b'));
  c.n(1).take();
  c.deliver(hbs[0]!);
  c.flush(2);
  c.n(1).drain();
  t.deepEqual(c.n(1).readStates, [{ index: 2, ctx: 7 }]);
});

test('ReadIndex: acknowledgements of a heartbeat sent before the read do not confirm it (§6.4)', (t) => {
  const c = settled();
  c.tick(1, 1); // a periodic heartbeat, round 0
  const early = ofType(c.n(1).take(), 'heartbeat');
  t.deepEqual(early.map((m) => m.readRound), [0, 0]);
  t.true(c.n(1).node.readIndex(8));
  c.n(1).take(); // the read's own heartbeats are lost
  for (const m of early) c.deliver(m);
  c.flush(2);
  c.flush(3);
  c.n(1).drain();
  t.deepEqual(c.n(1).readStates, []);
  // The next periodic heartbeat carries the read's round and confirms it.
  c.tick(1, 1);
  c.deliverAll();
  t.deepEqual(c.n(1).readStates, [{ index: 2, ctx: 8 }]);
});

test('ReadIndex: a leader that cannot reach a majority never answers the read (§6.4)', (t) => {
  const c = settled();
  c.isolate(1);
  t.true(c.n(1).node.readIndex(9));
  for (let k = 0; k < 30; k++) {
    c.tick(1, 1);
    c.deliverAll();
  }
  t.deepEqual(c.n(1).readStates, []);
});

test('ReadIndex: a new leader serves reads only after committing an entry of its term (§6.4 step 1)', (t) => {
  const c = settled();
  // n2 takes over in term 2; its no-op is held back.
  c.n(2).node.campaign();
  c.deliverAll(1000, (m) => m.type !== 'app');
  t.is(c.n(2).status().role, 'leader');
  t.is(c.n(2).status().commit, 2, 'commit index of the old term');
  t.true(c.n(2).node.readIndex(11));
  t.deepEqual(ofType(c.n(2).take(), 'heartbeat'), [], 'no read round until its no-op commits');
  c.tick(2, 1);
  c.deliverAll();
  t.is(c.n(2).status().commit, 3);
  t.deepEqual(c.n(2).readStates, [{ index: 3, ctx: 11 }], 'answered at the commit index that includes its no-op');
});

test('ReadIndex: a follower refuses the read (the host forwards to the leader)', (t) => {
  const c = settled();
  t.false(c.n(2).node.readIndex(1));
  c.n(2).drain();
  t.deepEqual(c.n(2).readStates, []);
});

test('ReadIndex: a sole voter answers at once', (t) => {
  const c = new TestCluster([1], plain);
  c.n(1).node.campaign();
  c.n(1).drain();
  t.true(c.n(1).node.readIndex(3));
  c.n(1).drain();
  t.deepEqual(c.n(1).readStates, [{ index: 1, ctx: 3 }]);
});

test('ReadIndex: reads pending when leadership is lost to a higher term are reported in Ready.droppedReads', (t) => {
  const c = settled();
  t.true(c.n(1).node.readIndex(21));
  t.true(c.n(1).node.readIndex(22));
  c.n(1).take();
  c.n(3).node.campaign();
  const v = ofType(c.n(3).take(), 'vote').find((m) => m.to === 1)!;
  c.deliver(v);
  const readies = c.n(1).drain();
  t.is(c.n(1).status().role, 'follower');
  t.deepEqual(readies.flatMap((rd) => rd.droppedReads), [21, 22]);
  t.deepEqual(c.n(1).readStates, []);
});

test('ReadIndex: reads waiting for the first commit of a leader are dropped too when it steps down (CheckQuorum)', (t) => {
  const c = settled({ checkQuorum: true });
  // Followers in the leader's lease ignore campaigns: hand leadership over instead.
  c.n(1).node.transferLeader(2);
  c.deliverAll(1000, (m) => m.type !== 'app');
  t.is(c.n(2).status().role, 'leader');
  t.true(c.n(2).node.readIndex(31));
  c.isolate(2);
  c.tick(2, 20);
  t.is(c.n(2).status().role, 'follower');
  c.n(2).drain();
  t.deepEqual(c.n(2).dropped, [31]);
  t.deepEqual(c.n(2).readStates, []);
});

test('ReadIndex: a learner acknowledging the heartbeat does not count toward the quorum', (t) => {
  const c = settled();
  const learner = c.addNode(4);
  t.is(learner.id, 4);
  t.true(c.n(1).node.proposeConfChange({ type: 'addLearner', nodeId: 4 }).ok);
  c.deliverAll();
  c.tick(1, 1);
  c.deliverAll();
  t.deepEqual(c.n(1).status().conf, { voters: [1, 2, 3], learners: [4] });
  t.true(c.n(1).node.readIndex(41));
  // Only the learner answers: 1 of 3 voters (the leader) is no majority.
  c.flush(1, (m) => m.to === 4);
  c.flush(4);
  c.n(1).drain();
  t.deepEqual(c.n(1).readStates, []);
  // The next heartbeat (same round) reaches the voters.
  c.tick(1, 1);
  c.deliverAll();
  t.deepEqual(c.n(1).readStates, [{ index: 3, ctx: 41 }]);
});

test('ReadIndex: one acknowledgement in a five-node group is not enough; the second (a majority with the leader) releases the read (§6.4)', (t) => {
  const c = new TestCluster([1, 2, 3, 4, 5], plain);
  c.elect(1);
  c.deliverAll();
  t.true(c.n(1).node.readIndex(51));
  const hbs = ofType(c.n(1).take(), 'heartbeat');
  t.is(hbs.length, 4);
  c.deliver(hbs[0]!);
  c.flush(2);
  c.n(1).drain();
  t.deepEqual(c.n(1).readStates, [], '2 of 5');
  c.deliver(hbs[1]!);
  c.flush(3);
  c.n(1).drain();
  t.deepEqual(c.n(1).readStates, [{ index: 1, ctx: 51 }], '3 of 5');
});

test('ReadIndex: a late acknowledgement of an earlier read round does not confirm a later read (§6.4)', (t) => {
  const c = settled();
  t.true(c.n(1).node.readIndex(61));
  const round1 = ofType(c.n(1).take(), 'heartbeat');
  t.true(c.n(1).node.readIndex(62));
  const round2 = ofType(c.n(1).take(), 'heartbeat');
  t.deepEqual([round1[0]!.readRound, round2[0]!.readRound], [1, 2]);
  // Round 1's heartbeat comes back from n2: it confirms read 61 only.
  c.deliver(round1[0]!);
  c.flush(2);
  c.n(1).drain();
  t.deepEqual(c.n(1).readStates, [{ index: 2, ctx: 61 }]);
  c.deliver(round2[1]!);
  c.flush(3);
  c.n(1).drain();
  t.deepEqual(c.n(1).readStates, [
    { index: 2, ctx: 61 },
    { index: 2, ctx: 62 },
  ]);
});
