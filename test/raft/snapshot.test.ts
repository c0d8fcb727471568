import test from 'ava';
import type { SnapMsg } from '../../raft/messages.js';
import { TestCluster, bytes, seededDisk, text } from './helpers/cluster.js';
import { brief, ofType } from './helpers/msgs.js';

const plain = { preVote: false, checkQuorum: false } as const;
const conf3 = { voters: [1, 2, 3], learners: [] };

/** n1 leads; n3 missed entries 2..6; n1 compacted its log through 5. */
function behindCompaction(): TestCluster {
  const c = new TestCluster([1, 2, 3], plain);
  c.elect(1);
  c.deliverAll();
  c.isolate(3);
  for (const s of ['a', 'b', 'c', 'd', 'e']) c.n(1).node.propose(bytes(s));
  c.deliverAll();
  t0(c.n(1).status().commit === 6, 'commit 6');
  c.n(1).compact(5);
  c.heal();
  return c;
}

/** Exchanges messages between n1 and n3 until n1 wants to send a snapshot; returns it (not delivered). */
function nextSnap(c: TestCluster): SnapMsg {
  for (let k = 0; k < 5; k++) {
    const out = c.n(1).take();
    const snap = ofType(out, 'snap')[0];
    if (snap !== undefined) return snap;
    for (const m of out) if (m.to === 3) c.deliver(m);
    c.flush(3);
  }
  throw new Error('no snapshot sent');
}

function t0(cond: boolean, what: string): void {
  if (!cond) throw new Error(`setup: ${what}`);
}

test('log compaction: the host snapshots through an applied index and drops the log before it; the leader keeps going (§7)', (t) => {
  const c = behindCompaction();
  const s = c.n(1).status();
  t.is(s.firstIndex, 6);
  t.is(s.snapshotIndex, 5);
  t.is(s.lastIndex, 6);
  t.deepEqual(c.n(1).disk.snapshot().meta, { index: 5, term: 1, conf: conf3 });
  t.is(text(c.n(1).disk.snapshot().data), 'a,b,c,d');
  t.true(c.n(1).node.propose(bytes('f')).ok);
  c.cutLink(1, 3);
  c.deliverAll();
  t.is(c.n(1).status().commit, 7);
});

test('InstallSnapshot: a follower whose next entry is compacted gets the snapshot, restores it, then receives the rest (§7)', (t) => {
  const c = behindCompaction();
  c.tick(1, 1); // heartbeat -> n3 answers -> the leader probes back to entry 2, finds it compacted
  const snaps = [nextSnap(c)];
  t.deepEqual(snaps.map(brief), ['snap 1->3 t1']);
  t.deepEqual(snaps[0]!.snapshot.meta, { index: 5, term: 1, conf: conf3 });
  t.deepEqual(c.n(1).status().peers[2]!.state, 'snapshot');
  // While it is in flight nothing else goes to n3.
  c.n(1).node.propose(bytes('f'));
  t.deepEqual(c.n(1).take().filter((m) => m.to === 3).map(brief), []);
  c.deliver(snaps[0]!);
  const readies = c.n(3).drain();
  const rd = readies.find((r) => r.snapshot !== undefined);
  t.truthy(rd);
  t.true(rd!.mustSync);
  t.is(rd!.hardState?.commit, 5);
  t.is(c.n(3).disk.snapshot().meta.index, 5);
  t.is(text(c.n(3).disk.snapshot().data), 'a,b,c,d');
  t.is(c.n(3).status().applied, 5);
  const ack = ofType(c.n(3).take(), 'appResp');
  t.deepEqual(ack.map((m) => [m.index, m.reject]), [[5, false]]);
  c.deliver(ack[0]!);
  t.deepEqual(c.n(1).status().peers[2]!.state, 'replicate');
  c.deliverAll();
  c.heartbeat();
  t.deepEqual(c.n(3).terms(), [1, 1]);
  t.is(c.n(3).disk.firstIndex(), 6);
  t.deepEqual(c.n(3).appliedData(), ['e', 'f']);
});

test('InstallSnapshot: a follower ignores a snapshot it already covers and reports its commit index (§7)', (t) => {
  const c = new TestCluster([1, 2, 3], plain, new Map([[2, seededDisk(conf3, [1, 1, 1, 1], { term: 1, commit: 4 })]]));
  const snap: SnapMsg = { type: 'snap', from: 1, to: 2, term: 1, snapshot: { meta: { index: 3, term: 1, conf: conf3 }, data: bytes('old') } };
  c.deliver(snap);
  const out = c.n(2).take();
  t.deepEqual(ofType(out, 'appResp').map((m) => [m.index, m.reject]), [[4, false]]);
  t.is(c.n(2).disk.snapshot().meta.index, 0);
  t.deepEqual(c.n(2).terms(), [1, 1, 1, 1]);
});

test('InstallSnapshot: a follower holding the snapshot\'s last entry keeps the entries after it (§7, Figure 13 rule 6)', (t) => {
  const c = new TestCluster([1, 2, 3], plain, new Map([[2, seededDisk(conf3, [1, 1, 1, 2, 2], { term: 2, commit: 1 })]]));
  const snap: SnapMsg = { type: 'snap', from: 1, to: 2, term: 2, snapshot: { meta: { index: 3, term: 1, conf: conf3 }, data: bytes('s') } };
  c.deliver(snap);
  const readies = c.n(2).drain();
  t.false(readies.some((rd) => rd.snapshot !== undefined), 'no restore needed');
  t.deepEqual(c.n(2).terms(), [1, 1, 1, 2, 2]);
  t.is(c.n(2).status().commit, 3);
  t.deepEqual(ofType(c.n(2).take(), 'appResp').map((m) => [m.index, m.reject]), [[3, false]]);
});

test('InstallSnapshot: a follower whose log conflicts with the snapshot discards its whole log (§7, Figure 13 rule 7)', (t) => {
  const c = new TestCluster([1, 2, 3], plain, new Map([[2, seededDisk(conf3, [1, 2, 2, 2, 2, 2], { term: 3, commit: 1 })]]));
  const snap: SnapMsg = { type: 'snap', from: 1, to: 2, term: 3, snapshot: { meta: { index: 4, term: 3, conf: conf3 }, data: bytes('s') } };
  c.deliver(snap);
  c.n(2).drain();
  t.is(c.n(2).disk.snapshot().meta.index, 4);
  t.deepEqual(c.n(2).terms(), [], 'nothing after the snapshot');
  t.is(c.n(2).status().lastIndex, 4);
  t.is(c.n(2).status().commit, 4);
});

test('InstallSnapshot: a follower adopts the membership recorded in the snapshot', (t) => {
  const c = new TestCluster([1, 2, 3], plain);
  const conf = { voters: [1, 2, 3], learners: [4] };
  const snap: SnapMsg = { type: 'snap', from: 1, to: 2, term: 1, snapshot: { meta: { index: 3, term: 1, conf }, data: bytes('s') } };
  c.deliver(snap);
  c.n(2).drain();
  t.deepEqual(c.n(2).status().conf, conf);
  t.deepEqual(c.n(2).node.confState(), conf);
});

test('reportSnapshot(failed) sends the follower back to probing and the snapshot is sent again on its next answer', (t) => {
  const c = behindCompaction();
  c.tick(1, 1);
  nextSnap(c); // lost
  c.n(1).node.reportSnapshot(3, false);
  t.is(c.n(1).status().peers[2]!.state, 'probe');
  c.tick(1, 1);
  const again = c.deliverAll();
  t.deepEqual(ofType(again, 'snap').map(brief), ['snap 1->3 t1']);
  t.deepEqual(c.n(3).terms(), [1]);
  t.is(c.n(3).status().snapshotIndex, 5);
  t.is(c.n(1).status().peers[2]!.match, 6);
});

test('the leader does not ship a snapshot to a follower it has not heard from (it may be down)', (t) => {
  const c = new TestCluster([1, 2, 3], plain);
  c.elect(1);
  c.deliverAll();
  c.isolate(3);
  c.n(1).node.propose(bytes('a'));
  c.deliverAll();
  c.n(1).compact(2);
  // A new leadership: n1 has not yet heard from n3 in it.
  c.n(2).node.campaign();
  c.deliverAll();
  c.n(1).node.campaign();
  c.deliverAll();
  t.is(c.leader(), 1);
  const toThree = c.n(1).take().filter((m) => m.to === 3);
  t.deepEqual(toThree.map((m) => m.type).filter((x) => x === 'snap'), []);
  t.false(c.n(1).status().peers[2]!.recentActive);
});

test('a node restarts from its snapshot: first index, applied index and membership come from it, later committed entries are applied again', (t) => {
  const c = behindCompaction();
  c.crash(1);
  c.restart(1);
  const s = c.n(1).status();
  t.is(s.firstIndex, 6);
  t.is(s.snapshotIndex, 5);
  t.is(s.applied, 5);
  t.is(s.commit, 6);
  t.deepEqual(s.conf, conf3);
  c.n(1).drain();
  t.deepEqual(c.n(1).applied.map((e) => e.index), [6]);
  t.deepEqual(c.n(1).appliedData(), ['e']);
});

test('log compaction that keeps a tail behind the snapshot lets a slightly slow follower catch up by AppendEntries, without a snapshot', (t) => {
  const c = new TestCluster([1, 2, 3], plain);
  c.elect(1);
  c.deliverAll();
  c.n(1).node.propose(bytes('a'));
  c.deliverAll();
  c.isolate(3);
  for (const s of ['b', 'c', 'd']) c.n(1).node.propose(bytes(s));
  c.deliverAll();
  // Snapshot at 5, but keep entries 3.. (n3 holds 1..2).
  c.n(1).snapshotAt(5);
  c.n(1).disk.compact(2);
  t.deepEqual([c.n(1).status().firstIndex, c.n(1).status().snapshotIndex], [3, 5]);
  c.heal();
  c.tick(1, 1);
  const delivered = c.deliverAll();
  t.deepEqual(ofType(delivered, 'snap'), []);
  t.deepEqual(c.n(3).terms(), [1, 1, 1, 1, 1]);
  t.deepEqual(c.n(3).appliedData(), ['a', 'b', 'c', 'd']);
});
