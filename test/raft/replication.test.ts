import test from 'ava';
import { InvariantError } from '../../raft/assert.js';
import type { AppMsg } from '../../raft/messages.js';
import { TestCluster, bytes, entriesOfTerms, seededDisk } from './helpers/cluster.js';
import { brief, ofType } from './helpers/msgs.js';

const plain = { preVote: false, checkQuorum: false } as const;
const conf3 = { voters: [1, 2, 3], learners: [] };

/** A hand-made AppendEntries from leader 1 in `term`. */
function app(to: number, term: number, prevLogIndex: number, prevLogTerm: number, entryTerms: number[], commit: number): AppMsg {
  return { type: 'app', from: 1, to, term, prevLogIndex, prevLogTerm, entries: entriesOfTerms(entryTerms, prevLogIndex + 1), commit };
}

/** A follower (node 2) whose disk holds `terms`, in a cluster where nobody leads. */
function follower(terms: number[], term: number, commit = 0): TestCluster {
  return new TestCluster([1, 2, 3], plain, new Map([[2, seededDisk(conf3, terms, { term, commit })]]));
}

test('follower rejects AppendEntries whose prevLogIndex/prevLogTerm it does not hold, appending nothing (Figure 2 receiver rule 2, §5.3)', (t) => {
  const c = follower([1, 1, 2], 3);
  c.deliver(app(2, 3, 3, 3, [3], 0));
  const [resp] = ofType(c.n(2).take(), 'appResp');
  t.truthy(resp);
  t.true(resp!.reject);
  t.is(resp!.index, 3);
  t.is(resp!.term, 3);
  t.deepEqual(c.n(2).terms(), [1, 1, 2]);
  // prev beyond its log: also refused.
  c.deliver(app(2, 3, 7, 3, [3], 0));
  const [resp2] = ofType(c.n(2).take(), 'appResp');
  t.true(resp2!.reject);
  t.is(resp2!.index, 7);
  t.deepEqual(c.n(2).terms(), [1, 1, 2]);
});

test('follower rejects AppendEntries from a stale term and tells the sender its term (§5.1)', (t) => {
  const c = new TestCluster([1, 2, 3], { preVote: true, checkQuorum: true }, new Map([[2, seededDisk(conf3, [1, 1], { term: 4 })]]));
  c.deliver(app(2, 3, 2, 1, [3], 0));
  const out = c.n(2).take();
  t.deepEqual(out.map(brief), ['appResp 2->1 t4']);
  t.deepEqual(c.n(2).terms(), [1, 1], 'nothing appended');
  t.is(c.n(2).status().term, 4);
  t.is(c.n(2).status().leaderId, 0);
});

test('follower deletes a conflicting entry and all that follow it, then appends the new ones (Figure 2 receiver rules 3-4, §5.3)', (t) => {
  const c = follower([1, 1, 2, 2, 2], 3);
  c.deliver(app(2, 3, 2, 1, [3, 3], 0));
  const [resp] = ofType(c.n(2).take(), 'appResp');
  t.false(resp!.reject);
  t.is(resp!.index, 4);
  t.deepEqual(c.n(2).terms(), [1, 1, 3, 3]);
  t.is(c.n(2).status().lastIndex, 4);
});

test('follower keeps entries that follow a matching but shorter (reordered, stale) AppendEntries (Figure 2 receiver rule 3: only on conflict)', (t) => {
  const c = follower([1], 2);
  c.deliver(app(2, 2, 1, 1, [2, 2, 2], 0));
  c.n(2).take();
  // An older message of the same leader arrives late: it carries only entry 2.
  c.deliver(app(2, 2, 1, 1, [2], 0));
  const [resp] = ofType(c.n(2).take(), 'appResp');
  t.false(resp!.reject);
  t.is(resp!.index, 2, 'acknowledges what this message covered');
  t.deepEqual(c.n(2).terms(), [1, 2, 2, 2], 'entries 3-4 survive');
});

test('follower sets commitIndex to min(leaderCommit, index of last new entry) (Figure 2 receiver rule 5)', (t) => {
  const c = follower([1, 1, 1, 1, 1], 2);
  // leaderCommit 5 but this message only vouches for entries through 3.
  c.deliver(app(2, 2, 2, 1, [1], 5));
  c.drainAll();
  t.is(c.n(2).status().commit, 3);
  t.is(c.n(2).disk.hardState().commit, 3);
  t.deepEqual(c.n(2).applied.map((e) => e.index), [1, 2, 3]);
  c.deliver(app(2, 2, 5, 1, [], 4));
  c.drainAll();
  t.is(c.n(2).status().commit, 4);
});

test('leader, on success, sets matchIndex and nextIndex of the follower (Figure 2 leader rules)', (t) => {
  const c = new TestCluster([1, 2, 3], plain);
  c.elect(1);
  c.deliverAll();
  c.n(1).node.proposeBatch([bytes('a'), bytes('b'), bytes('c')]);
  c.deliverAll();
  t.deepEqual(
    c.n(1).status().peers.map((p) => [p.id, p.match, p.next, p.state]),
    [
      [1, 4, 5, 'probe'],
      [2, 4, 5, 'replicate'],
      [3, 4, 5, 'replicate'],
    ],
  );
  // Log Matching: every log is identical.
  t.deepEqual(c.n(2).terms(), [1, 1, 1, 1]);
  t.deepEqual(c.n(3).terms(), [1, 1, 1, 1]);
  c.heartbeat();
  t.deepEqual(c.n(3).appliedData(), ['a', 'b', 'c']);
});

test('a new leader probes: one AppendEntries per follower until it learns the match point (§5.3)', (t) => {
  const c = new TestCluster([1, 2, 3], plain);
  c.n(1).node.campaign();
  c.flush(1); // vote requests
  c.flush(2); // grants
  c.flush(3);
  t.is(c.n(1).status().role, 'leader');
  const first = ofType(c.n(1).take(), 'app');
  t.deepEqual(first.map((m) => [m.to, m.prevLogIndex, m.entries.length]), [[2, 0, 1], [3, 0, 1]]);
  // Probe outstanding: more proposals send nothing to the followers.
  c.n(1).node.propose(bytes('x'));
  c.n(1).node.propose(bytes('y'));
  t.deepEqual(ofType(c.n(1).take(), 'app'), []);
  // The answer of n2 switches it to replicate and everything missing follows.
  c.deliver(first[0]!);
  for (const m of c.n(2).take()) c.deliver(m);
  const next = ofType(c.n(1).take(), 'app').filter((m) => m.to === 2);
  t.deepEqual(next.flatMap((m) => m.entries.map((e) => e.index)), [2, 3]);
  t.is(c.n(1).status().peers.find((p) => p.id === 2)!.state, 'replicate');
  t.is(c.n(1).status().peers.find((p) => p.id === 3)!.state, 'probe');
});

test('pipelining: a replicating follower gets several AppendEntries without waiting, at most maxInflightMsgs unacknowledged (§10.2.1)', (t) => {
  const c = new TestCluster([1, 2, 3], { ...plain, maxInflightMsgs: 2 });
  c.elect(1);
  c.deliverAll();
  for (const s of ['a', 'b', 'c', 'd']) t.true(c.n(1).node.propose(bytes(s)).ok);
  const sent = ofType(c.n(1).take(), 'app');
  // Window of 2: entries 2 and 3 went out to each follower, 4 and 5 wait.
  t.deepEqual(
    sent.map((m) => [m.to, m.entries.map((e) => e.index)]),
    [
      [2, [2]],
      [3, [2]],
      [2, [3]],
      [3, [3]],
    ],
  );
  t.deepEqual(c.n(1).status().peers.map((p) => [p.id, p.next]), [[1, 6], [2, 4], [3, 4]]);
  // n2 acknowledges entry 2: one slot frees, and the rest goes out in one message.
  c.deliver(sent[0]!);
  for (const m of c.n(2).take()) c.deliver(m);
  const more = ofType(c.n(1).take(), 'app');
  t.deepEqual(more.map((m) => [m.to, m.prevLogIndex, m.entries.map((e) => e.index), m.commit]), [[2, 3, [4, 5], 2]]);
  // n3's window is still full: nothing for it.
  t.is(more.filter((m) => m.to === 3).length, 0);
});

test('an AppendEntries carries at most maxMsgBytes of entries (but always one)', (t) => {
  // Each entry counts data.length + 16 bytes: 10 bytes of data -> 26.
  // Entries 2..6 of 26 bytes each go out 2 per message.
  const c2 = new TestCluster([1, 2, 3], { ...plain, maxMsgBytes: 60 });
  c2.elect(1);
  c2.deliverAll();
  c2.n(1).node.proposeBatch([bytes('0123456789'), bytes('0123456789'), bytes('0123456789'), bytes('0123456789'), bytes('0123456789')]);
  const split = ofType(c2.n(1).take(), 'app').filter((m) => m.to === 2);
  t.deepEqual(split.map((m) => m.entries.map((e) => e.index)), [[2, 3]]);
  // Its acknowledgement lets the leader fill the pipeline with the rest, still 2 per message.
  c2.deliver(split[0]!);
  c2.flush(2);
  const rest = ofType(c2.n(1).take(), 'app').filter((m) => m.to === 2);
  t.deepEqual(rest.map((m) => m.entries.map((e) => e.index)), [[4, 5], [6]]);
  const big = new TestCluster([1, 2, 3], { ...plain, maxMsgBytes: 10 });
  big.elect(1);
  big.deliverAll();
  big.n(1).node.proposeBatch([bytes('0123456789abcdef'), bytes('x')]);
  const one = ofType(big.n(1).take(), 'app').filter((m) => m.to === 2);
  t.deepEqual(one.map((m) => m.entries.map((e) => e.index)), [[2]], 'an entry larger than the limit still goes, alone');
});

test('fast backtracking: a follower with a long conflicting tail is repaired in 2 round trips, not one per entry (§5.3)', (t) => {
  const leaderLog = [1, 1, 1, 4, 4, 4, 4, 4, 4, 4];
  const followerLog = [1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3];
  const c = new TestCluster(
    [1, 2, 3],
    plain,
    new Map([
      [1, seededDisk(conf3, leaderLog, { term: 4 })],
      [2, seededDisk(conf3, followerLog, { term: 4 })],
      [3, seededDisk(conf3, leaderLog, { term: 4 })],
    ]),
  );
  c.cutLink(1, 2);
  c.elect(1);
  c.deliverAll();
  t.is(c.n(1).status().term, 5);
  c.heal();
  // Count the AppendEntries exchanges between the leader and n2 until its log matches.
  c.tick(1, 1);
  const delivered = c.deliverAll();
  const apps = ofType(delivered, 'app').filter((m) => m.to === 2);
  const rejects = ofType(delivered, 'appResp').filter((m) => m.from === 2 && m.reject);
  t.is(rejects.length, 1, 'one rejection');
  t.deepEqual([rejects[0]!.index, rejects[0]!.hintIndex, rejects[0]!.hintTerm], [10, 10, 2]);
  // The first probe at 10, then straight to 3 (the last entry of term <= 2 in the leader's log).
  t.deepEqual(apps.map((m) => [m.prevLogIndex, m.prevLogTerm]).slice(0, 2), [[10, 4], [3, 1]]);
  t.deepEqual(c.n(2).terms(), [...leaderLog, 5]);
});

test('fast backtracking: a follower with a short log points the leader to its last index in one round trip (§5.3)', (t) => {
  const c = new TestCluster(
    [1, 2, 3],
    plain,
    new Map([
      [1, seededDisk(conf3, [1, 1, 1, 1, 1, 1, 1, 1], { term: 1 })],
      [2, seededDisk(conf3, [1, 1], { term: 1 })],
      [3, seededDisk(conf3, [1, 1, 1, 1, 1, 1, 1, 1], { term: 1 })],
    ]),
  );
  c.cutLink(1, 2);
  c.elect(1);
  c.deliverAll();
  c.heal();
  c.tick(1, 1);
  const delivered = c.deliverAll();
  const rejects = ofType(delivered, 'appResp').filter((m) => m.from === 2 && m.reject);
  t.deepEqual(rejects.map((m) => [m.index, m.hintIndex, m.hintTerm]), [[8, 2, 1]]);
  const apps = ofType(delivered, 'app').filter((m) => m.to === 2);
  // Probe at 8 (refused), then from 2 (accepted), then an empty one carrying the commit index.
  t.deepEqual(apps.map((m) => [m.prevLogIndex, m.entries.length, m.commit]), [[8, 1, 9], [2, 7, 9], [9, 0, 9]]);
  t.deepEqual(c.n(2).terms(), [1, 1, 1, 1, 1, 1, 1, 1, 2]);
});

test('a leader never overwrites or deletes entries in its own log (Leader Append-Only, §5.3)', (t) => {
  const c = new TestCluster(
    [1, 2, 3],
    plain,
    new Map([
      [1, seededDisk(conf3, [1, 2, 2], { term: 2 })],
      [2, seededDisk(conf3, [1, 3, 3, 3, 3], { term: 3 })],
      [3, seededDisk(conf3, [1, 2, 2], { term: 2 })],
    ]),
  );
  c.cutLink(1, 2);
  c.n(1).node.campaign();
  c.deliverAll();
  t.is(c.n(1).status().role, 'leader');
  c.heal();
  c.tick(1, 1);
  c.deliverAll();
  // n2's longer log of term 3 never got committed: it is the one that gives way.
  t.deepEqual(c.n(1).terms().slice(0, 3), [1, 2, 2]);
  t.deepEqual(c.n(2).terms(), c.n(1).terms());
});

test('reportUnreachable puts a replicating follower back into probe (one message at a time)', (t) => {
  const c = new TestCluster([1, 2, 3], plain);
  c.elect(1);
  c.deliverAll();
  t.is(c.n(1).status().peers[1]!.state, 'replicate');
  c.n(1).node.reportUnreachable(2);
  const p = c.n(1).status().peers[1]!;
  t.deepEqual([p.state, p.next, p.match], ['probe', 2, 1]);
  c.n(1).node.propose(bytes('a'));
  c.n(1).node.propose(bytes('b'));
  const to2 = ofType(c.n(1).take(), 'app').filter((m) => m.to === 2);
  t.is(to2.length, 1, 'probe: one message until an answer');
});

test('Figure 7: a term-8 leader brings followers (a)-(f) — missing, extra and conflicting entries — to its own log (§5.3, §5.4.1)', (t) => {
  const leaderLog = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
  const followers: Record<string, number[]> = {
    a: [1, 1, 1, 4, 4, 5, 5, 6, 6],
    b: [1, 1, 1, 4],
    c: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
    d: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
    e: [1, 1, 1, 4, 4, 4, 4],
    f: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
  };
  const ids = [1, 2, 3, 4, 5, 6, 7];
  const conf = { voters: ids, learners: [] };
  const logs = [leaderLog, ...Object.values(followers)];
  const disks = new Map(ids.map((id, k) => [id, seededDisk(conf, logs[k]!, { term: 7, commit: 3 })]));
  const c = new TestCluster(ids, plain, disks);
  c.n(1).node.campaign();
  const delivered = c.deliverAll();
  // (c) and (d) hold more up-to-date logs and refuse; (a), (b), (e), (f) grant: 5 of 7.
  const answers = ofType(delivered, 'voteResp').map((m) => [m.from, m.reject]);
  t.deepEqual(answers.sort((x, y) => Number(x[0]) - Number(y[0])), [[2, false], [3, false], [4, true], [5, true], [6, false], [7, false]]);
  t.is(c.leader(), 1);
  t.is(c.n(1).status().term, 8);
  c.tick(1, 1);
  c.deliverAll();
  for (const id of ids) t.deepEqual(c.n(id).terms(), [...leaderLog, 8], `n${id}`);
  t.is(c.n(1).status().commit, 11);
});

test('a new commit index rides on the next append or heartbeat: committing sends no empty append to a follower that holds everything', (t) => {
  const c = new TestCluster([1, 2, 3], plain);
  c.elect(1);
  c.deliverAll();
  c.heartbeat();
  const before = c.n(1).status().commit;
  t.is(c.n(2).status().commit, before);
  c.n(1).node.propose(bytes('a'));
  const sent = c.deliverAll();
  t.deepEqual(
    ofType(sent, 'app').map((m) => [m.to, m.entries.length]),
    [
      [2, 1],
      [3, 1],
    ],
    'one append per follower, the one carrying the entry',
  );
  t.is(c.n(1).status().commit, before + 1, 'the leader commits on the acknowledgements');
  t.is(c.n(2).status().commit, before, 'the follower does not know yet');
  // The next proposal's append carries the commit index...
  c.n(1).node.propose(bytes('b'));
  c.flush(1);
  t.is(c.n(2).status().commit, before + 1);
  // ...and so does the next heartbeat.
  c.deliverAll();
  c.heartbeat();
  t.is(c.n(2).status().commit, before + 2);
  t.deepEqual(c.n(3).appliedData(), ['a', 'b']);
});

test('heartbeat answers re-send appends in flight at most once per heartbeat interval, however many read rounds there are', (t) => {
  const c = new TestCluster([1, 2, 3], plain);
  c.elect(1);
  c.deliverAll();
  c.heartbeat();
  c.n(1).node.propose(bytes('a'));
  // n2's append is in flight (held back); n3 stores the entry, so it commits.
  const held = c.n(1).take().filter((m) => m.to === 2);
  t.deepEqual(ofType(held, 'app').map((m) => m.entries.map((e) => e.index)), [[2]]);
  c.flush(3);
  const appsToN2: number[] = [];
  const readRound = (ctx: number): void => {
    t.true(c.n(1).node.readIndex(ctx));
    c.flush(1, (m) => m.type === 'heartbeat');
    c.flush(2);
    c.flush(3);
    appsToN2.push(ofType(c.n(1).take(), 'app').filter((m) => m.to === 2).length);
  };
  for (let ctx = 1; ctx <= 4; ctx++) readRound(ctx);
  t.deepEqual(appsToN2, [1, 0, 0, 0], 'one empty append to draw an answer, then none this interval');
  t.deepEqual(c.n(1).readStates.map((r) => r.ctx), [1, 2, 3, 4], 'every read was confirmed');
  c.tick(1, 1);
  c.n(1).take();
  readRound(5);
  t.deepEqual(appsToN2, [1, 0, 0, 0, 1], 'the next interval may re-send once more');
});

test('a follower told a commit index beyond its log has lost acknowledged entries: it stops with a message saying so', (t) => {
  const c = follower([1, 1], 1, 2);
  const err = t.throws(() => c.n(2).node.step({ type: 'heartbeat', from: 1, to: 2, term: 1, commit: 50, readRound: 0 }), { instanceOf: InvariantError });
  t.regex(err?.message ?? '', /through 50 are committed here, but this log ends with entry 2: .*data dir wiped/);
});
