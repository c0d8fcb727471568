import test from 'ava';
import type { VoteMsg } from '../../raft/messages.js';
import { MemoryStorage } from '../../raft/memory-storage.js';
import { RawNode } from '../../raft/raw-node.js';
import { DEFAULT_RAFT_LIMITS } from '../../raft/config.js';
import { SeededRng } from '../../raft/rng.js';
import { TestCluster, seededDisk } from './helpers/cluster.js';
import { ofType as of } from './helpers/msgs.js';

/** Plain Raft of the paper: no PreVote, no CheckQuorum (they get their own files). */
const plain = { preVote: false, checkQuorum: false } as const;

/** Ticks a lone node until it campaigns; returns how many ticks that took. */
function ticksUntilCampaign(seed: number): number {
  const disk = new MemoryStorage({ voters: [1, 2, 3], learners: [] });
  const node = new RawNode({ ...DEFAULT_RAFT_LIMITS, ...plain, id: 1, rng: new SeededRng(seed), applied: 0 }, disk);
  for (let k = 1; k <= 100; k++) {
    node.tick();
    if (node.status().role === 'candidate') return k;
  }
  throw new Error('never campaigned');
}

test('follower that hears nothing for its election timeout becomes candidate: term+1, votes for itself, asks every voter (§5.2)', (t) => {
  const c = new TestCluster([1, 2, 3], plain);
  c.tick(1, 30);
  const msgs = c.n(1).take();
  const s = c.n(1).status();
  t.is(s.role, 'candidate');
  t.is(s.term, 1);
  t.is(s.vote, 1);
  const votes = of(msgs, 'vote');
  t.deepEqual(votes.map((m) => m.to), [2, 3]);
  for (const m of votes) {
    t.is(m.term, 1);
    t.is(m.lastLogIndex, 0);
    t.is(m.lastLogTerm, 0);
    t.false(m.transfer);
  }
});

test('election timeouts are drawn from the seeded generator in [electionTicks, 2*electionTicks) (§5.2, §9.3)', (t) => {
  const seen = new Set<number>();
  for (let seed = 1; seed <= 40; seed++) {
    const ticks = ticksUntilCampaign(seed);
    t.true(ticks >= 10 && ticks < 20, `seed ${seed}: ${ticks} ticks`);
    seen.add(ticks);
    // Same seed, same timeout: a run replays from its seed.
    t.is(ticksUntilCampaign(seed), ticks);
  }
  // Randomized: 40 seeds spread over the 10 possible values.
  t.true(seen.size >= 6, `only ${seen.size} distinct timeouts`);
});

test('candidate that receives votes from a majority becomes leader and at once sends AppendEntries with a no-op of its term (§5.2, §8)', (t) => {
  const c = new TestCluster([1, 2, 3], plain);
  c.n(1).node.campaign();
  const votes = of(c.n(1).take(), 'vote');
  t.is(votes.length, 2);
  // Only node 2 answers: 2 of 3 is a majority.
  c.deliver(votes[0]!);
  const resp = of(c.n(2).take(), 'voteResp');
  t.is(resp.length, 1);
  t.false(resp[0]!.reject);
  c.deliver(resp[0]!);
  t.is(c.n(1).status().role, 'leader');
  t.is(c.n(1).status().leaderId, 1);
  const apps = of(c.n(1).take(), 'app');
  t.deepEqual(apps.map((m) => m.to), [2, 3]);
  for (const m of apps) {
    t.is(m.term, 1);
    t.is(m.entries.length, 1);
    t.is(m.entries[0]!.term, 1);
    t.is(m.entries[0]!.index, 1);
  }
});

test('a server grants at most one vote per term, first come first served (§5.2)', (t) => {
  const c = new TestCluster([1, 2, 3], plain);
  c.n(1).node.campaign();
  c.n(3).node.campaign();
  const from1 = of(c.n(1).take(), 'vote').find((m) => m.to === 2)!;
  const from3 = of(c.n(3).take(), 'vote').find((m) => m.to === 2)!;
  c.deliver(from1);
  c.deliver(from3);
  const resps = of(c.n(2).take(), 'voteResp');
  t.deepEqual(
    resps.map((m) => [m.to, m.term, m.reject]),
    [
      [1, 1, false],
      [3, 1, true],
    ],
  );
  t.is(c.n(2).status().vote, 1);
  // Asking again (a retransmission) from the one it voted for is granted again.
  c.deliver(from1);
  t.false(of(c.n(2).take(), 'voteResp')[0]!.reject);
});

test('voter denies a candidate whose log is less up-to-date: lower last term, or same term and shorter (§5.4.1)', (t) => {
  const conf = { voters: [1, 2, 3], learners: [] };
  // n1: [1,1,1]  n2: [1,2]  n3: [1,1]
  const disks = new Map([
    [1, seededDisk(conf, [1, 1, 1], { term: 2 })],
    [2, seededDisk(conf, [1, 2], { term: 2 })],
    [3, seededDisk(conf, [1, 1], { term: 2 })],
  ]);
  const c = new TestCluster([1, 2, 3], plain, disks);
  c.n(1).node.campaign();
  c.flush(1);
  const resp2 = of(c.n(2).take(), 'voteResp')[0]!;
  const resp3 = of(c.n(3).take(), 'voteResp')[0]!;
  t.true(resp2.reject, 'n2 has a higher last term (2 > 1)');
  t.false(resp3.reject, 'n3 has the same last term and a shorter log');
  // n3 (same last term, shorter log) is refused by n1 and n2 alike.
  const c2 = new TestCluster([1, 2, 3], plain, new Map([
    [1, seededDisk(conf, [1, 1, 1], { term: 2 })],
    [2, seededDisk(conf, [1, 2], { term: 2 })],
    [3, seededDisk(conf, [1, 1], { term: 2 })],
  ]));
  c2.n(3).node.campaign();
  c2.flush(3);
  t.deepEqual(of(c2.n(1).take(), 'voteResp').map((m) => m.reject), [true]);
  t.deepEqual(of(c2.n(2).take(), 'voteResp').map((m) => m.reject), [true]);
  // n2 (higher last term, shorter log) wins both.
  const c3 = new TestCluster([1, 2, 3], plain, new Map([
    [1, seededDisk(conf, [1, 1, 1], { term: 2 })],
    [2, seededDisk(conf, [1, 2], { term: 2 })],
    [3, seededDisk(conf, [1, 1], { term: 2 })],
  ]));
  c3.n(2).node.campaign();
  c3.deliverAll();
  t.is(c3.n(2).status().role, 'leader');
  t.is(c3.n(2).status().term, 3);
});

test('a server that sees a higher term adopts it and reverts to follower, even as leader (§5.1)', (t) => {
  const c = new TestCluster([1, 2, 3], plain);
  c.elect(1);
  c.deliverAll();
  t.is(c.n(1).status().term, 1);
  // n3 misses entry 2.
  c.isolate(3);
  c.n(1).node.propose(new Uint8Array([7]));
  c.deliverAll();
  c.heal();
  // n3 campaigns in term 2 and its request reaches the leader.
  c.n(3).node.campaign();
  const toLeader = of(c.n(3).take(), 'vote').find((m) => m.to === 1)!;
  c.deliver(toLeader);
  const s = c.n(1).status();
  t.is(s.role, 'follower');
  t.is(s.term, 2);
  // n3 lacks entry 2, so its log is less up-to-date and the vote is refused.
  const resp = of(c.n(1).take(), 'voteResp')[0]!;
  t.true(resp.reject);
  t.is(resp.term, 2);
});

test('a vote request from a stale term is not granted and changes nothing (§5.1)', (t) => {
  const c = new TestCluster([1, 2, 3], plain);
  c.elect(1);
  c.deliverAll();
  c.n(1).node.campaign(); // no-op: already leader
  c.isolate(2);
  // Make n3 move on to term 3 alone.
  c.n(3).node.campaign();
  c.n(3).take();
  c.n(3).node.campaign();
  c.n(3).take();
  t.is(c.n(3).status().term, 3);
  const stale: VoteMsg = { type: 'vote', from: 2, to: 3, term: 2, lastLogIndex: 9, lastLogTerm: 9, transfer: false };
  c.deliver(stale);
  const out = c.n(3).take();
  t.is(of(out, 'voteResp').filter((m) => !m.reject).length, 0);
  t.is(c.n(3).status().term, 3);
  t.is(c.n(3).status().vote, 3);
});

test('candidate that receives AppendEntries from a leader of its term steps down to follower (§5.2)', (t) => {
  const c = new TestCluster([1, 2, 3], plain);
  c.elect(1);
  c.deliverAll();
  // n2 and n3 both time out in term 2; n2 wins with n1's vote, n3 stays candidate.
  c.cutLink(2, 3);
  c.n(3).node.campaign();
  c.n(3).take();
  c.n(2).node.campaign();
  c.deliverAll();
  t.is(c.n(2).status().role, 'leader');
  t.is(c.n(3).status().role, 'candidate');
  t.is(c.n(3).status().term, 2);
  c.heal();
  // The next heartbeat (term 2) reaches n3.
  c.tick(2, 1);
  c.deliverAll();
  t.is(c.n(3).status().role, 'follower');
  t.is(c.n(3).status().leaderId, 2);
  t.is(c.n(3).status().term, 2);
  t.is(c.n(3).status().vote, 3, 'its own vote in term 2 is kept');
});

test('candidate refused by a majority returns to follower; a split vote is retried in a new term after a timeout (§5.2)', (t) => {
  const c = new TestCluster([1, 2, 3, 4], plain);
  // Split: 1 and 3 campaign at once in term 1; 2 votes for 1, 4 for 3.
  c.n(1).node.campaign();
  c.n(3).node.campaign();
  const v1 = of(c.n(1).take(), 'vote');
  const v3 = of(c.n(3).take(), 'vote');
  c.deliver(v1.find((m) => m.to === 2)!);
  c.deliver(v3.find((m) => m.to === 4)!);
  c.deliver(v1.find((m) => m.to === 4)!);
  c.deliver(v3.find((m) => m.to === 2)!);
  c.deliver(v1.find((m) => m.to === 3)!);
  c.deliver(v3.find((m) => m.to === 1)!);
  for (const id of [2, 4, 3, 1]) for (const m of c.n(id).take()) c.deliver(m);
  // 1 got n2's yes, n3 and n4's no: 3 of 4 refused, so it lost.
  t.is(c.n(1).status().role, 'follower');
  t.is(c.n(3).status().role, 'follower');
  t.is(c.leader(), undefined);
  // Nobody leads; the next timeout starts a new election in term 2.
  c.tick(1, 20);
  t.is(c.n(1).status().role, 'candidate');
  t.is(c.n(1).status().term, 2);
  c.deliverAll();
  t.is(c.leader(), 1);
});

test('leader sends heartbeats every heartbeatTicks so followers do not time out (§5.2)', (t) => {
  const c = new TestCluster([1, 2, 3], { ...plain, heartbeatTicks: 2 });
  c.elect(1);
  c.deliverAll();
  c.tick(1, 1);
  t.is(of(c.n(1).take(), 'heartbeat').length, 0);
  c.tick(1, 1);
  const hbs = of(c.n(1).take(), 'heartbeat');
  t.deepEqual(hbs.map((m) => [m.to, m.term, m.commit]), [[2, 1, 1], [3, 1, 1]]);
  // 100 ticks with heartbeats delivered: nobody campaigns.
  for (let k = 0; k < 100; k++) {
    c.tickAll();
    c.deliverAll();
  }
  t.is(c.leader(), 1);
  t.is(c.n(2).status().term, 1);
  t.is(c.n(3).status().term, 1);
});

/**
 * n1 leads term 1; then n2 hears nothing more. Returns the cluster and how many
 * ticks n2 needs to time out from here (measured on an identical twin).
 */
function leaderThenSilence(): { c: TestCluster; timeout: number } {
  const build = (): TestCluster => {
    const c = new TestCluster([1, 2, 3], plain);
    c.elect(1);
    c.deliverAll();
    c.isolate(2);
    return c;
  };
  const twin = build();
  let timeout = 0;
  while (twin.n(2).status().role === 'follower') {
    twin.tick(2);
    timeout++;
  }
  return { c: build(), timeout };
}

test('a follower\'s election timer restarts whenever it hears from the current leader (Figure 2 followers, §5.2)', (t) => {
  const { c, timeout } = leaderThenSilence();
  t.true(timeout >= 10 && timeout < 20, `timeout ${timeout}`);
  c.tick(2, timeout - 1);
  c.heal();
  c.tick(1, 1); // one heartbeat reaches n2
  c.deliverAll();
  c.isolate(2);
  c.tick(2, timeout - 1);
  t.is(c.n(2).status().role, 'follower', `${2 * timeout - 2} ticks in all, but never ${timeout} in a row`);
  c.tick(2, 1);
  t.is(c.n(2).status().role, 'candidate');
});

test('a follower\'s election timer restarts when it grants a vote (Figure 2 followers, §5.2)', (t) => {
  const conf = { voters: [1, 2, 3], learners: [] };
  // n3's log is behind: n2 refuses it, which moves n2 to term 1 without a vote.
  const build = (): TestCluster =>
    new TestCluster(
      [1, 2, 3],
      plain,
      new Map([
        [1, seededDisk(conf, [1], { term: 1 })],
        [2, seededDisk(conf, [1], { term: 1 })],
        [3, seededDisk(conf, [], { term: 1 })],
      ]),
    );
  const start = (c: TestCluster): void => {
    c.deliver({ type: 'vote', from: 3, to: 2, term: 2, lastLogIndex: 0, lastLogTerm: 0, transfer: false });
    c.n(2).take();
  };
  const twin = build();
  start(twin);
  let timeout = 0;
  while (twin.n(2).status().role === 'follower') {
    twin.tick(2);
    timeout++;
  }
  const c = build();
  start(c);
  t.deepEqual([c.n(2).status().term, c.n(2).status().vote], [2, 0]);
  c.tick(2, timeout - 1);
  c.deliver({ type: 'vote', from: 1, to: 2, term: 2, lastLogIndex: 1, lastLogTerm: 1, transfer: false });
  t.false(of(c.n(2).take(), 'voteResp')[0]!.reject);
  c.tick(2, timeout - 1);
  t.is(c.n(2).status().role, 'follower');
  c.tick(2, 1);
  t.is(c.n(2).status().role, 'candidate');
});

test('a candidate that receives AppendEntries of a higher term adopts the term and follows that leader (§5.1, §5.2)', (t) => {
  const c = new TestCluster([1, 2, 3], plain);
  c.n(3).node.campaign();
  c.n(3).take();
  t.deepEqual([c.n(3).status().role, c.n(3).status().term], ['candidate', 1]);
  c.deliver({ type: 'app', from: 1, to: 3, term: 4, prevLogIndex: 0, prevLogTerm: 0, entries: [], commit: 0 });
  const s = c.n(3).status();
  t.deepEqual([s.role, s.term, s.leaderId, s.vote], ['follower', 4, 1, 0]);
  t.deepEqual(of(c.n(3).take(), 'appResp').map((m) => [m.term, m.reject, m.index]), [[4, false, 0]]);
});

test('status counts the elections a node started: each timeout as candidate is one, a node that never campaigns has none', (t) => {
  const c = new TestCluster([1, 2, 3], plain);
  t.is(c.n(2).status().electionsStarted, 0);
  c.tick(1, 30);
  t.is(c.n(1).status().role, 'candidate');
  t.is(c.n(1).status().electionsStarted, 1);
  c.n(1).take();
  // No votes arrive: every later timeout starts one more election, each in a new term (§5.2).
  c.tick(1, 60);
  const s = c.n(1).status();
  t.true(s.term >= 2);
  t.is(s.electionsStarted, s.term);
  t.is(c.n(2).status().electionsStarted, 0);
});
