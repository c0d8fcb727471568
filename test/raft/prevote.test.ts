import test from 'ava';
import { TestCluster, seededDisk } from './helpers/cluster.js';
import { brief, ofType } from './helpers/msgs.js';

const preVoteOnly = { preVote: true, checkQuorum: false } as const;

test('with PreVote a timed-out follower asks for pre-votes at term+1 without changing its term or vote (dissertation §9.6)', (t) => {
  const c = new TestCluster([1, 2, 3], preVoteOnly);
  c.tick(1, 30);
  const s = c.n(1).status();
  t.is(s.role, 'preCandidate');
  t.is(s.term, 0);
  t.is(s.vote, 0);
  const msgs = c.n(1).take();
  t.deepEqual(msgs.map(brief), ['preVote 1->2 t1', 'preVote 1->3 t1']);
  // No hard state change: nothing to persist yet.
  t.is(c.n(1).disk.hardState().term, 0);
});

test('a pre-vote is granted without the voter changing its term or vote, then the pre-candidate runs a real election (§9.6)', (t) => {
  const c = new TestCluster([1, 2, 3], preVoteOnly);
  c.n(1).node.campaign();
  c.flush(1);
  t.is(c.n(2).status().term, 0);
  t.is(c.n(2).status().vote, 0);
  const grants = ofType(c.n(2).take(), 'preVoteResp');
  t.deepEqual(grants.map((m) => [m.term, m.reject]), [[1, false]]);
  c.deliver(grants[0]!);
  // A majority of pre-votes: now a real candidate in term 1.
  t.is(c.n(1).status().role, 'candidate');
  t.is(c.n(1).status().term, 1);
  t.deepEqual(c.n(1).take().map(brief), ['vote 1->2 t1', 'vote 1->3 t1']);
});

test('a pre-vote is refused to a node whose log is less up-to-date (§9.6, §5.4.1)', (t) => {
  const conf = { voters: [1, 2, 3], learners: [] };
  const disks = new Map([
    [1, seededDisk(conf, [1], { term: 1 })],
    [2, seededDisk(conf, [1, 1], { term: 1 })],
    [3, seededDisk(conf, [1, 1], { term: 1 })],
  ]);
  const c = new TestCluster([1, 2, 3], preVoteOnly, disks);
  c.n(1).node.campaign();
  c.deliverAll();
  t.is(c.n(1).status().role, 'follower', 'lost the pre-vote');
  // Nobody's term moved: the failed pre-election disturbed no one.
  t.deepEqual([1, 2, 3].map((id) => c.n(id).status().term), [1, 1, 1]);
});

test('a partitioned node with PreVote keeps its term and does not depose the leader when it returns (§9.6)', (t) => {
  const c = new TestCluster([1, 2, 3], preVoteOnly);
  c.elect(1);
  c.deliverAll();
  c.isolate(3);
  for (let k = 0; k < 100; k++) {
    c.tickAll();
    c.deliverAll();
  }
  t.is(c.n(3).status().term, 1, 'pre-elections never succeed, so the term never grows');
  t.is(c.n(3).status().role, 'preCandidate');
  c.heal();
  for (let k = 0; k < 5; k++) {
    c.tickAll();
    c.deliverAll();
  }
  t.is(c.leader(), 1);
  t.deepEqual([1, 2, 3].map((id) => c.n(id).status().term), [1, 1, 1]);
  t.is(c.n(3).status().leaderId, 1);
});

test('without PreVote the same partitioned node comes back with a higher term and deposes the leader (why §9.6 exists)', (t) => {
  const c = new TestCluster([1, 2, 3], { preVote: false, checkQuorum: false });
  c.elect(1);
  c.deliverAll();
  c.isolate(3);
  for (let k = 0; k < 100; k++) {
    c.tickAll();
    c.deliverAll();
  }
  const t3 = c.n(3).status().term;
  t.true(t3 > 3, `n3 ran up to term ${t3}`);
  c.heal();
  for (let k = 0; k < 40 && c.n(1).status().term === 1; k++) {
    c.tickAll();
    c.deliverAll();
  }
  t.true(c.n(1).status().term > 1, 'the old leader was forced into a new term');
});
