import test from 'ava';
import type { Message } from '../../raft/messages.js';
import { TestCluster, bytes, seededDisk } from './helpers/cluster.js';
import { ofType } from './helpers/msgs.js';

const plain = { preVote: false, checkQuorum: false } as const;

test('leader commits an entry of its term once a majority stores it; followers learn the commit index and apply in order (§5.3, Figure 2)', (t) => {
  const c = new TestCluster([1, 2, 3, 4, 5], plain);
  c.elect(1);
  c.deliverAll();
  c.isolate(4);
  c.isolate(5);
  c.cutLink(1, 3);
  c.n(1).node.propose(bytes('a'));
  c.deliverAll();
  // Only n1 and n2 hold entry 2: 2 of 5 is no majority.
  t.is(c.n(1).status().commit, 1);
  c.heal();
  c.isolate(4);
  c.isolate(5);
  c.tick(1, 1); // heartbeat: n3 answers, gets entry 2
  c.deliverAll();
  t.is(c.n(1).status().commit, 2);
  t.deepEqual(c.n(1).appliedData(), ['a']);
  // The followers learned commit 2 from the next AppendEntries / heartbeat.
  c.tick(1, 1);
  c.deliverAll();
  t.is(c.n(2).status().commit, 2);
  t.is(c.n(3).status().commit, 2);
  t.deepEqual(c.n(2).applied.map((e) => [e.index, e.term]), [[1, 1], [2, 1]]);
  t.is(c.n(4).status().commit, 1, 'cut off: knows nothing newer');
});

test('a heartbeat never tells a follower to commit beyond what the leader knows it holds', (t) => {
  const c = new TestCluster([1, 2, 3], plain);
  c.elect(1);
  c.deliverAll();
  c.cutLink(1, 3);
  c.n(1).node.propose(bytes('a'));
  c.deliverAll();
  t.is(c.n(1).status().commit, 2);
  c.heal();
  c.tick(1, 1);
  const hbs = ofType(c.n(1).take(), 'heartbeat');
  t.deepEqual(hbs.map((m) => [m.to, m.commit]), [[2, 2], [3, 1]]);
});

test('a new leader commits the entries of earlier terms before it by committing its own no-op (§5.4.2, §8)', (t) => {
  const conf = { voters: [1, 2, 3], learners: [] };
  const c = new TestCluster(
    [1, 2, 3],
    plain,
    new Map([
      [1, seededDisk(conf, [1, 1, 1], { term: 1, commit: 1 })],
      [2, seededDisk(conf, [1, 1, 1], { term: 1, commit: 1 })],
      [3, seededDisk(conf, [1], { term: 1, commit: 1 })],
    ]),
  );
  c.n(1).node.campaign();
  // Votes only; the no-op's AppendEntries are held back.
  c.deliverAll(1000, (m) => m.type !== 'app');
  t.is(c.n(1).status().role, 'leader');
  t.is(c.n(1).status().commit, 1, 'n1 and n2 both hold 2 and 3, yet they are of term 1');
  c.tick(1, 1); // a heartbeat restarts the probes the filter swallowed
  c.deliverAll();
  t.is(c.n(1).status().commit, 4);
  t.deepEqual(c.n(1).applied.filter((e) => e.index > 1).map((e) => [e.index, e.term]), [[2, 1], [3, 1], [4, 2]]);
});

test('committed entries reach the host in order, at most maxApplyBytes per Ready (but always one)', (t) => {
  const c = new TestCluster([1], { ...plain, maxApplyBytes: 40 });
  c.n(1).node.campaign();
  c.n(1).drain();
  // 10 bytes of data count 26: one entry per Ready.
  c.n(1).node.proposeBatch([bytes('0123456789'), bytes('0123456789'), bytes('0123456789')]);
  const readies = c.n(1).drain();
  const batches = readies.map((rd) => rd.committedEntries.map((e) => e.index)).filter((b) => b.length > 0);
  t.deepEqual(batches, [[2], [3], [4]]);
});

// ---- Raft Figure 8 -------------------------------------------------------

/**
 * Loses every AppendEntries that would make its receiver store an entry of
 * term 4 (S1's own entry in (c)); those the receiver refuses still arrive, so
 * S1 can find where each log matches.
 */
const losesTerm4 = (c: TestCluster) => (m: Message): boolean =>
  m.type === 'app' && m.entries.some((e) => e.term === 4) && c.n(m.to).disk.term(m.prevLogIndex) === m.prevLogTerm;

/** [index, term] of what a node applied, leaving out entry 1 (committed before the test, re-applied at each start). */
const appliedAfter1 = (c: TestCluster, id: number): number[][] =>
  c.n(id).applied.filter((e) => e.index > 1).map((e) => [e.index, e.term]);

/**
 * Figure 8 (a)-(c), with S1..S5 = nodes 1..5 and every log starting with a
 * committed entry 1 of term 1. One entry per AppendEntries (maxMsgBytes 1) so
 * S1's term-2 entry can reach followers without its term-4 entry.
 */
function figure8c(): TestCluster {
  const conf = { voters: [1, 2, 3, 4, 5], learners: [] };
  const disks = new Map([1, 2, 3, 4, 5].map((id) => [id, seededDisk(conf, [1], { term: 1, commit: 1 })]));
  const c = new TestCluster([1, 2, 3, 4, 5], { ...plain, maxMsgBytes: 1 }, disks);
  // (a) S1 leads term 2; its entry 2 (term 2) reaches S2 only; S1 crashes.
  c.n(1).node.campaign();
  c.deliverAll(1000, (m) => m.type !== 'app' || m.to === 2);
  c.crash(1);
  // (b) S5 leads term 3 with votes of S3, S4; its entry 2 (term 3) reaches nobody; S5 crashes.
  c.n(5).node.campaign();
  c.deliverAll(1000, (m) => m.type !== 'app');
  c.crash(5);
  // (c) S1 restarts and leads term 4 (its first try, term 3, meets voters that voted for S5).
  c.restart(1);
  c.dropRules.push(losesTerm4(c));
  c.n(1).node.campaign();
  c.deliverAll();
  c.n(1).node.campaign();
  c.deliverAll();
  return c;
}

test('Figure 8: a leader does not commit an entry of an earlier term by counting replicas, even on a majority (§5.4.2)', (t) => {
  const c = figure8c();
  t.is(c.leader(), 1);
  t.is(c.n(1).status().term, 4);
  t.deepEqual(c.n(1).terms(), [1, 2, 4]);
  // (a)/(b) left their marks: S2 got S1's entry, S5 wrote its own index 2.
  t.deepEqual(c.n(2).terms(), [1, 2]);
  t.deepEqual(c.n(5).terms(), [1, 3]);
  // (c) S1 replicated its term-2 entry to S3 and S4: S1..S4 hold it, a majority of 5,
  // and the leader knows S1, S3, S4 do.
  t.deepEqual(c.n(3).terms(), [1, 2]);
  t.deepEqual(c.n(4).terms(), [1, 2]);
  t.deepEqual(
    c.n(1).status().peers.map((p) => [p.id, p.match]),
    [
      [1, 3],
      [2, 0],
      [3, 2],
      [4, 2],
      [5, 0],
    ],
  );
  // Yet index 2 is of term 2, not 4: it must not be committed.
  t.is(c.n(1).status().commit, 1);
  for (const id of [1, 2, 3, 4]) t.is(c.n(id).status().commit, 1, `S${id}`);
  t.false(c.n(1).applied.some((e) => e.index === 2));
});

test('Figure 8 (d): had it been committed, S5 could overwrite it — S5 wins term 5 and replaces index 2 everywhere (§5.4.2)', (t) => {
  const c = figure8c();
  // S1 never recorded index 2 as committed, so what follows loses nothing committed.
  t.is(c.n(1).disk.hardState().commit, 1);
  c.crash(1);
  c.restart(5);
  c.dropRules.length = 0;
  // S5 (last entry term 3) is more up-to-date than S2, S3, S4 (last entry term 2).
  c.n(5).node.campaign(); // term 4: S2..S4 already voted for S1 in term 4
  c.deliverAll();
  c.n(5).node.campaign(); // term 5
  c.deliverAll();
  t.is(c.leader(), 5);
  t.is(c.n(5).status().term, 5);
  c.heartbeat();
  for (const id of [2, 3, 4]) {
    t.deepEqual(c.n(id).terms(), [1, 3, 5], `S${id}: the term-2 entry at index 2 is gone`);
    t.deepEqual(appliedAfter1(c, id), [[2, 3], [3, 5]], `S${id} applied S5's entries`);
  }
});

test('Figure 8 (e): once S1 replicates an entry of term 4 to a majority, both commit and S5 can no longer be elected (§5.4.2)', (t) => {
  const c = figure8c();
  c.dropRules.length = 0;
  c.crash(5);
  for (let k = 0; k < 3; k++) {
    c.tick(1, 1);
    c.deliverAll();
  }
  t.is(c.n(1).status().commit, 3);
  t.deepEqual(appliedAfter1(c, 1), [[2, 2], [3, 4]], 'index 2 committed with index 3');
  for (const id of [2, 3, 4]) t.deepEqual(c.n(id).terms(), [1, 2, 4], `S${id}`);
  // Now S5 cannot win: a majority holds a last entry of term 4 > 3.
  c.crash(1);
  c.restart(5);
  for (let k = 0; k < 3; k++) {
    c.n(5).node.campaign();
    c.deliverAll();
  }
  t.not(c.leader(), 5);
  for (const id of [2, 3, 4]) t.deepEqual(c.n(id).terms().slice(0, 3), [1, 2, 4], `S${id} keeps the committed entries`);
});
