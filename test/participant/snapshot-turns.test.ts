import test from 'ava';
import type { RawNode } from '../../raft/raw-node.js';
import type { ConfState } from '../../raft/types.js';
import type { HostLimits, HostStateMachine, HostStore } from '../../src/participant/host-contract.js';
import { ReplicaSnapshots } from '../../src/participant/replica-snapshots.js';
import { SnapshotTurns } from '../../src/participant/snapshot-turns.js';

test('one holder at a time; the refused are woken once at release, and the holder may ask again', (t) => {
  const turns = new SnapshotTurns();
  const a = {};
  const b = {};
  let woken = 0;
  t.true(turns.take(a, () => t.fail('the holder is never woken')));
  t.true(turns.take(a, () => undefined));
  t.false(turns.take(b, () => woken++));
  t.false(turns.take(b, () => woken++));
  turns.release(a);
  t.is(woken, 1);
  t.false(turns.busy);
  t.true(turns.take(b, () => undefined));
  t.throws(() => turns.release(a), { message: /does not hold the turn/ });
});

const limits: HostLimits = { tickMs: 10, snapshotEntries: 10, snapshotBytes: 1 << 30, compactionLagEntries: 0, pendingProposalsMax: 10, proposalBatchMax: 1 };

/** One group's snapshot policy over fakes: its store saves a stream only when the test lets it finish. */
function group(turns: SnapshotTurns, fail: (why: string) => void = (why) => {
  throw new Error(why);
}) {
  const applied = { n: 0 };
  let snapIndex = 0;
  const saves: Array<{ index: number; finish: () => void }> = [];
  const node = { status: () => ({ applied: applied.n }), confState: (): ConfState => ({ voters: [1], learners: [] }) } as unknown as RawNode;
  const store = {
    log: { snapshot: () => ({ meta: { index: snapIndex } }), firstIndex: () => 1 },
    compact: async () => undefined,
    saveSnapshotStream: async (index: number, _conf: ConfState, pieces: AsyncIterable<Uint8Array>) => {
      for await (const _ of pieces) {
        // drain the encoder
      }
      await new Promise<void>((finish) => saves.push({ index, finish }));
      snapIndex = index;
      return true;
    },
  } as unknown as HostStore;
  const sm = { snapshotLater: () => ({ next: () => undefined }) } as unknown as HostStateMachine;
  let kicks = 0;
  const snapshots = new ReplicaSnapshots(node, store, sm, limits, { withNode: async (fn) => fn(node), isClosed: () => false, kick: () => kicks++, fatal: (err) => fail(String(err)) }, turns);
  return { applied, saves, snapshots, kicks: () => kicks };
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

test('groups sharing turns take their due snapshots one at a time, the waiting one woken when the first is saved', async (t) => {
  const turns = new SnapshotTurns();
  const g1 = group(turns);
  const g2 = group(turns);
  g1.applied.n = 20;
  g2.applied.n = 20;
  g1.snapshots.maybeStart();
  g2.snapshots.maybeStart();
  await settle();
  t.deepEqual(g1.saves.map((s) => s.index), [20]);
  t.is(g2.saves.length, 0, 'the second group waits for its turn');
  t.true(g2.snapshots.asked, 'a group waiting for its turn is asked again even on a turn without a Ready');
  g1.saves[0]!.finish();
  await settle();
  t.true(g2.kicks() >= 1, 'the waiting group was woken');
  g2.snapshots.maybeStart();
  await settle();
  t.deepEqual(g2.saves.map((s) => s.index), [20]);
  t.false(g2.snapshots.asked);
  g2.saves[0]!.finish();
  await settle();
  t.false(turns.busy);
});

test('groups with turns of their own snapshot at the same time', async (t) => {
  const g1 = group(new SnapshotTurns());
  const g2 = group(new SnapshotTurns());
  g1.applied.n = 20;
  g2.applied.n = 20;
  g1.snapshots.maybeStart();
  g2.snapshots.maybeStart();
  await settle();
  t.is(g1.saves.length + g2.saves.length, 2);
});
