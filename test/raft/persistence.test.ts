import test from 'ava';
import { InvariantError } from '../../raft/assert.js';
import type { Message, VoteMsg } from '../../raft/messages.js';
import type { Ready } from '../../raft/ready.js';
import { SeededRng } from '../../raft/rng.js';
import { TestCluster, bytes } from './helpers/cluster.js';
import { ofType } from './helpers/msgs.js';

const plain = { preVote: false, checkQuorum: false } as const;

const vote = (from: number, to: number, term: number): VoteMsg => ({ type: 'vote', from, to, term, lastLogIndex: 0, lastLogTerm: 0, transfer: false });

/** The one Ready that carries a message of this type. */
function readyWith(readies: readonly Ready[], type: Message['type']): Ready {
  const found = readies.filter((rd) => [...rd.messages, ...rd.persistedMessages].some((m) => m.type === type));
  if (found.length !== 1) throw new Error(`${found.length} Readies carry ${type}`);
  return found[0]!;
}

test('a granted vote is in the hardState of the same Ready as the voteResp that depends on it, and that Ready must be synced (Figure 2: persist before responding)', (t) => {
  const c = new TestCluster([1, 2, 3], plain);
  c.deliver(vote(1, 2, 1));
  const rd = readyWith(c.n(2).drain(), 'voteResp');
  t.deepEqual(rd.hardState, { term: 1, vote: 1, commit: 0 });
  t.true(rd.mustSync);
  t.deepEqual(ofType(rd.persistedMessages, 'voteResp').map((m) => [m.to, m.term, m.reject]), [[1, 1, false]]);
  t.deepEqual(c.n(2).disk.hardState(), { term: 1, vote: 1, commit: 0 });
});

test('a candidate\'s new term and self-vote are in the Ready that carries its vote requests (§5.2)', (t) => {
  const c = new TestCluster([1, 2, 3], plain);
  c.n(1).node.campaign();
  const rd = readyWith(c.n(1).drain(), 'vote');
  t.deepEqual(rd.hardState, { term: 1, vote: 1, commit: 0 });
  t.true(rd.mustSync);
  t.deepEqual(rd.softState, { leaderId: 0, role: 'candidate' });
});

test('a follower\'s new entries are in the Ready whose message acknowledges them (persist before acknowledging, §5.3)', (t) => {
  const c = new TestCluster([1, 2, 3], plain);
  c.elect(1);
  c.deliverAll();
  c.n(1).node.proposeBatch([bytes('a'), bytes('b')]);
  c.flush(1);
  const rd = readyWith(c.n(2).drain(), 'appResp');
  t.deepEqual(rd.entries.map((e) => [e.index, e.term]), [[2, 1], [3, 1]]);
  t.true(rd.mustSync);
  t.deepEqual(ofType(rd.persistedMessages, 'appResp').map((m) => [m.index, m.reject]), [[3, false]]);
});

test('a Ready in which only the commit index changed need not be synced; one with no change carries no hardState', (t) => {
  const c = new TestCluster([1, 2, 3], plain);
  c.elect(1);
  c.deliverAll();
  c.n(1).node.propose(bytes('a'));
  c.deliverAll();
  c.heartbeat();
  c.n(1).drain();
  t.is(c.n(2).status().commit, 2);
  // n2 stores entry 3; the messages telling it entry 3 is committed are lost, then a heartbeat says so.
  c.n(1).node.propose(bytes('b'));
  c.flush(1);
  c.flush(2);
  c.n(1).take(); // the commit-carrying messages are lost
  c.tick(1, 1);
  c.flush(1, (m) => m.to === 2);
  const readies = c.n(2).drain();
  const withHard = readies.filter((rd) => rd.hardState !== undefined);
  t.is(withHard.length, 1);
  t.deepEqual(withHard[0]!.hardState, { term: 1, vote: 1, commit: 3 });
  t.false(withHard[0]!.mustSync);
  t.deepEqual(withHard[0]!.entries, []);
  // The same heartbeat again: nothing to persist.
  c.n(2).take();
  c.tick(1, 1);
  c.flush(1, (m) => m.to === 2);
  const again = c.n(2).drain();
  t.true(again.every((rd) => rd.hardState === undefined && !rd.mustSync));
});

test('between ready() and advance() the core accepts no input', (t) => {
  const c = new TestCluster([1, 2, 3], plain);
  c.n(1).node.campaign();
  const rd = c.n(1).node.ready();
  t.throws(() => c.n(1).node.tick(), { instanceOf: InvariantError });
  t.throws(() => c.n(1).node.step(vote(2, 1, 5)), { instanceOf: InvariantError });
  t.throws(() => c.n(1).node.propose(bytes('x')), { instanceOf: InvariantError });
  c.n(1).node.advance(rd);
  c.n(1).node.tick();
  t.pass();
});

test('restart from disk keeps term, vote, log and commit index (Figure 2 persistent state)', (t) => {
  const c = new TestCluster([1, 2, 3], plain);
  c.elect(1);
  c.deliverAll();
  c.n(1).node.proposeBatch([bytes('a'), bytes('b')]);
  c.deliverAll();
  c.tick(1, 1);
  c.deliverAll();
  const before = c.n(2).status();
  c.crash(2);
  c.restart(2);
  const after = c.n(2).status();
  t.deepEqual([after.term, after.vote, after.lastIndex, after.commit], [before.term, before.vote, 3, 3]);
  t.deepEqual([after.role, after.leaderId], ['follower', 0]);
  // Committed entries are applied again from the start (no snapshot yet).
  c.n(2).drain();
  t.deepEqual(c.n(2).appliedData(), ['a', 'b']);
  // And it rejoins.
  c.tick(1, 1);
  c.deliverAll();
  t.is(c.n(2).status().leaderId, 1);
});

test('a restarted node never votes twice in a term (§5.2, Figure 2 votedFor)', (t) => {
  const c = new TestCluster([1, 2, 3], plain);
  c.deliver(vote(1, 2, 1));
  c.n(2).take();
  c.crash(2);
  c.restart(2);
  t.is(c.n(2).status().vote, 1);
  c.deliver(vote(3, 2, 1));
  t.deepEqual(ofType(c.n(2).take(), 'voteResp').map((m) => [m.to, m.reject]), [[3, true]]);
  // The candidate it voted for may ask again (a lost answer) and gets the same answer.
  c.deliver(vote(1, 2, 1));
  t.deepEqual(ofType(c.n(2).take(), 'voteResp').map((m) => [m.to, m.reject]), [[1, false]]);
});

test('a vote whose Ready was never persisted was never given: after the crash the node may vote for another', (t) => {
  const c = new TestCluster([1, 2, 3], plain);
  c.deliver(vote(1, 2, 1));
  // Crash before the host handles the Ready: the voteResp never left, the vote is not on disk.
  c.crash(2);
  c.restart(2);
  t.deepEqual([c.n(2).status().term, c.n(2).status().vote], [0, 0]);
  c.deliver(vote(3, 2, 1));
  t.deepEqual(ofType(c.n(2).take(), 'voteResp').map((m) => [m.to, m.reject]), [[3, false]]);
});

test('a restarted leader comes back as a follower of its old term and is re-elected only through a new election', (t) => {
  const c = new TestCluster([1, 2, 3], plain);
  c.elect(1);
  c.deliverAll();
  c.crash(1);
  c.restart(1);
  t.deepEqual([c.n(1).status().role, c.n(1).status().term, c.n(1).status().vote], ['follower', 1, 1]);
  c.n(1).node.campaign();
  c.deliverAll();
  t.is(c.leader(), 1);
  t.is(c.n(1).status().term, 2);
});

// ---- determinism ------------------------------------------------------------

/** JSON of everything the core handed out, with bytes as arrays. */
const serialize = (x: unknown): string => JSON.stringify(x, (_k, v: unknown) => (v instanceof Uint8Array ? [...v] : v));

/** A seeded random schedule: ticks, proposals, deliveries, losses, a crash. Returns every Ready as JSON. */
function run(seed: number): string[] {
  const rng = new SeededRng(seed);
  const c = new TestCluster([1, 2, 3, 4, 5], { preVote: true, checkQuorum: true });
  const out: string[] = [];
  const pending: Message[] = [];
  const drain = (): void => {
    for (const [id, node] of c.nodes) {
      if (c.down.has(id)) continue;
      for (const rd of node.drain()) out.push(`${id} ${serialize(rd)}`);
      pending.push(...node.outbox);
      node.outbox = [];
    }
  };
  for (let step = 0; step < 600; step++) {
    const roll = rng.next();
    if (roll < 0.3) {
      c.tick(rng.intBetween(1, 6));
    } else if (roll < 0.35) {
      const leader = c.leader();
      if (leader !== undefined) c.n(leader).node.propose(bytes(`p${step}`));
    } else if (roll < 0.36 && c.down.size === 0) {
      c.crash(rng.intBetween(1, 6));
    } else if (roll < 0.38 && c.down.size > 0) {
      c.restart([...c.down][0]!);
    } else if (pending.length > 0) {
      const [m] = pending.splice(rng.intBetween(0, pending.length), 1);
      if (m !== undefined && !c.down.has(m.to) && !rng.chance(0.1)) c.deliver(m);
    }
    drain();
  }
  return out;
}

test('determinism: the same seed and inputs give an identical sequence of Readies', (t) => {
  const a = run(2024);
  const b = run(2024);
  t.true(a.length > 100, `${a.length} Readies`);
  t.true(a.some((r) => r.includes('"role":"leader"')), 'someone was elected');
  t.deepEqual(a, b);
  t.notDeepEqual(run(2025), a, 'another schedule gives another history');
});

test('Ready.softState is present exactly when the role or the known leader changed', (t) => {
  const c = new TestCluster([1, 2, 3], plain);
  c.n(1).node.campaign();
  c.deliverAll();
  c.heartbeat();
  c.n(1).take();
  // Every Ready n1 handled so far was drained; a heartbeat changes neither role nor leader.
  c.tick(1, 1);
  const quiet = c.n(1).drain();
  t.true(quiet.length > 0);
  t.true(quiet.every((rd) => rd.softState === undefined));
  // n2 learned its leader from the first AppendEntries; stepping down to a higher term reports it.
  c.n(2).take();
  c.deliver(vote(3, 2, 5));
  const rds = c.n(2).drain();
  t.deepEqual(rds.map((rd) => rd.softState).filter((s) => s !== undefined), [{ leaderId: 0, role: 'follower' }]);
  t.deepEqual(rds.map((rd) => rd.hardState).filter((h) => h !== undefined), [{ term: 5, vote: 0, commit: 1 }]);
});
