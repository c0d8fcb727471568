import test from 'ava';
import type { PreVoteMsg, VoteMsg } from '../../raft/messages.js';
import { TestCluster } from './helpers/cluster.js';
import { brief, ofType } from './helpers/msgs.js';

const cq = { preVote: false, checkQuorum: true } as const;

test('CheckQuorum: a leader that hears from no majority for an election timeout steps down, keeping its term (dissertation §6.2)', (t) => {
  const c = new TestCluster([1, 2, 3], cq);
  c.elect(1);
  c.deliverAll();
  c.isolate(1);
  // The first timeout ends after electionTicks (10) ticks; activity before the
  // partition counts for it, so the leader survives it, and falls at the second.
  c.tick(1, 10);
  t.is(c.n(1).status().role, 'leader');
  c.tick(1, 9);
  t.is(c.n(1).status().role, 'leader');
  c.tick(1, 1);
  const s = c.n(1).status();
  t.is(s.role, 'follower');
  t.is(s.term, 1);
  t.is(s.leaderId, 0);
});

test('CheckQuorum: a leader that hears from one follower of two (a majority with itself) stays leader (§6.2)', (t) => {
  const c = new TestCluster([1, 2, 3], cq);
  c.elect(1);
  c.deliverAll();
  c.cutLink(1, 3);
  for (let k = 0; k < 50; k++) {
    c.tick(1);
    c.deliverAll();
  }
  t.is(c.n(1).status().role, 'leader');
  t.deepEqual(
    c.n(1).status().peers.map((p) => [p.id, p.recentActive]),
    [
      [1, true],
      [2, true],
      [3, false],
    ],
  );
});

test('CheckQuorum without PreVote: followers in a leader lease ignore a vote request of a higher term (dissertation §4.2.3)', (t) => {
  const c = new TestCluster([1, 2, 3], cq);
  c.elect(1);
  c.deliverAll();
  const disrupt: VoteMsg = { type: 'vote', from: 3, to: 2, term: 5, lastLogIndex: 1, lastLogTerm: 1, transfer: false };
  c.deliver(disrupt);
  t.is(c.n(2).status().term, 1);
  t.deepEqual(c.n(2).take(), []);
  // Once the lease ran out (an election timeout without hearing the leader), the request is heard.
  c.tick(2, 10);
  c.n(2).take();
  c.deliver(disrupt);
  t.is(c.n(2).status().term, 5);
  t.deepEqual(c.n(2).take().map((m) => `${brief(m)} ${m.type === 'voteResp' ? m.reject : ''}`), ['voteResp 2->3 t5 false']);
});

test('CheckQuorum: a leader ignores a pre-vote of a higher term while its lease holds (§4.2.3)', (t) => {
  const c = new TestCluster([1, 2, 3], { preVote: true, checkQuorum: true });
  c.elect(1);
  c.deliverAll();
  const pv: PreVoteMsg = { type: 'preVote', from: 3, to: 1, term: 2, lastLogIndex: 1, lastLogTerm: 1 };
  c.deliver(pv);
  t.is(c.n(1).status().role, 'leader');
  t.is(c.n(1).status().term, 1);
  t.is(ofType(c.n(1).take(), 'preVoteResp').length, 0);
});

test('a deposed leader healed from a partition learns the new term from the answer to its stale AppendEntries and steps down (§5.1)', (t) => {
  const c = new TestCluster([1, 2, 3], { preVote: true, checkQuorum: false });
  c.elect(1);
  c.deliverAll();
  c.isolate(1);
  c.elect(2);
  c.deliverAll();
  t.is(c.n(2).status().term, 2);
  t.is(c.n(1).status().role, 'leader', 'without CheckQuorum the old leader does not notice');
  c.heal();
  c.tick(1, 1); // heartbeat of term 1
  const hb = c.flush(1);
  t.deepEqual(hb.map(brief), ['heartbeat 1->2 t1', 'heartbeat 1->3 t1']);
  const answers = ofType(c.n(2).take(), 'appResp');
  t.deepEqual(answers.map(brief), ['appResp 2->1 t2']);
  c.deliver(answers[0]!);
  t.is(c.n(1).status().role, 'follower');
  t.is(c.n(1).status().term, 2);
});
