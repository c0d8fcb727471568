import test from 'ava';
import { PROPOSE_ERRORS } from '../../raft/ready.js';
import type { ProposeResult } from '../../raft/ready.js';
import { TestCluster, bytes } from './helpers/cluster.js';

const plain = { preVote: false, checkQuorum: false } as const;

test('a proposal to the leader is appended at the next index of its term and replicated', (t) => {
  const c = new TestCluster([1, 2, 3], plain);
  c.elect(1);
  c.deliverAll();
  t.deepEqual(c.n(1).node.propose(bytes('a')), { ok: true, index: 2, term: 1 });
  t.deepEqual(c.n(1).node.proposeBatch([bytes('b'), bytes('c')]), { ok: true, index: 3, term: 1 });
  c.deliverAll();
  c.tick(1, 1);
  c.deliverAll();
  t.deepEqual(c.n(3).appliedData(), ['a', 'b', 'c']);
});

test('a follower refuses proposals with notLeader and names the leader it knows; a candidate names nobody', (t) => {
  const c = new TestCluster([1, 2, 3], plain);
  c.elect(1);
  c.deliverAll();
  t.deepEqual(c.n(2).node.propose(bytes('a')), { ok: false, code: 'notLeader', leaderId: 1 });
  t.deepEqual(c.n(2).node.proposeConfChange({ type: 'addLearner', nodeId: 4 }), { ok: false, code: 'notLeader', leaderId: 1 });
  c.n(3).node.campaign();
  t.deepEqual(c.n(3).node.propose(bytes('a')), { ok: false, code: 'notLeader', leaderId: 0 });
  t.is(c.n(2).status().lastIndex, 1);
});

test('a leader refuses proposals with tooManyUncommitted once maxUncommittedEntries are not committed', (t) => {
  const c = new TestCluster([1, 2, 3], { ...plain, maxUncommittedEntries: 3 });
  c.elect(1);
  c.deliverAll();
  c.isolate(1);
  t.true(c.n(1).node.propose(bytes('a')).ok);
  t.true(c.n(1).node.propose(bytes('b')).ok);
  // A batch of 2 would make 4 uncommitted: refused whole.
  t.deepEqual(c.n(1).node.proposeBatch([bytes('c'), bytes('d')]), { ok: false, code: 'tooManyUncommitted', leaderId: 1 });
  t.true(c.n(1).node.propose(bytes('c')).ok);
  t.deepEqual(c.n(1).node.propose(bytes('d')), { ok: false, code: 'tooManyUncommitted', leaderId: 1 });
  t.is(c.n(1).status().lastIndex, 4);
  // Once they commit there is room again.
  c.heal();
  c.tick(1, 1);
  c.deliverAll();
  t.is(c.n(1).status().commit, 4);
  t.deepEqual(c.n(1).node.propose(bytes('d')), { ok: true, index: 5, term: 1 });
});

test('each refusal has its own code: notLeader, invalidConfChange, confChangePending, transferring, tooManyUncommitted', (t) => {
  const seen = new Set<string>();
  const c = new TestCluster([1, 2, 3], plain);
  c.elect(1);
  c.deliverAll();
  const record = (r: ProposeResult): void => {
    if (!r.ok) seen.add(r.code);
  };
  record(c.n(2).node.propose(bytes('x')));
  c.isolate(2);
  c.isolate(3);
  record(c.n(1).node.proposeConfChange({ type: 'promote', nodeId: 2 }));
  c.addNode(4);
  t.true(c.n(1).node.proposeConfChange({ type: 'addLearner', nodeId: 4 }).ok);
  record(c.n(1).node.proposeConfChange({ type: 'remove', nodeId: 3 }));
  c.n(1).node.transferLeader(2);
  record(c.n(1).node.propose(bytes('y')));
  const small = new TestCluster([1], { ...plain, maxUncommittedEntries: 1 });
  small.n(1).node.campaign();
  small.n(1).drain();
  small.n(1).node.propose(bytes('a'));
  small.n(1).drain();
  t.true(small.n(1).node.propose(bytes('b')).ok, 'a sole voter commits once its entry is persisted, so nothing stays uncommitted');
  const stuck = new TestCluster([1, 2], { ...plain, maxUncommittedEntries: 1 });
  stuck.elect(1);
  stuck.deliverAll();
  stuck.isolate(1);
  stuck.n(1).node.propose(bytes('a'));
  record(stuck.n(1).node.propose(bytes('b')));
  t.deepEqual([...seen].sort(), [...PROPOSE_ERRORS].sort());
});
