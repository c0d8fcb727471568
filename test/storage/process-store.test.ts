import test from 'ava';
import { Level } from 'level';
import { InvariantError } from '../../raft/assert.js';
import { encodeChunk } from '../../storage/codec.js';
import { chunkKey, GROUP_BYTE, groupIdMax, groupRange, groupSingletonKey } from '../../storage/keys.js';
import { ProcessStore } from '../../storage/process-store.js';
import type { RaftStore } from '../../storage/raft-store.js';
import { StorageError } from '../../storage/storage-error.js';
import { entries, tempDir } from './helpers.js';

/** One LevelDB per process, several Raft groups in it (storage/process-store.ts). */
const conf = { voters: [1, 2, 3], learners: [] };
type Db = Level<Uint8Array, Uint8Array>;

async function withRawDb<T>(dir: string, f: (db: Db) => Promise<T>): Promise<T> {
  const db: Db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  try {
    return await f(db);
  } finally {
    await db.close();
  }
}

/** One group's keys and values, as hex, read through a raw handle. */
function groupContents(dir: string, group: number): Promise<string[]> {
  return withRawDb(dir, async (db) => {
    const out: string[] = [];
    for await (const [k, v] of db.iterator(groupRange(group))) out.push(`${Buffer.from(k).toString('hex')}=${Buffer.from(v).toString('hex')}`);
    return out;
  });
}

async function openGroups(p: ProcessStore, ids: readonly number[]): Promise<RaftStore[]> {
  return Promise.all(ids.map((g) => p.openGroup(g, { initialConf: conf, limits: { snapshotChunkBytes: 100 } })));
}

test('writes of several groups made in one synchronous run, or before the commit fires, share one synced batch', async (t) => {
  const p = await ProcessStore.open(tempDir(t));
  const [g1, g2, g3] = await openGroups(p, [1, 2, 3]);
  const before = p.stats();
  const writes = [g1!, g2!, g3!].map((s, k) => s.persist({ entries: entries(1, 5 + k, 1), hardState: { term: 1, vote: 1, commit: 2 } }));
  writes.push(p.putMeta('layout', { groups: [1, 2, 3] }));
  await Promise.all(writes);
  const after = p.stats();
  t.is(after.batches - before.batches, 1, 'three groups and the process meta in one fsync');
  t.is(after.writes - before.writes, 4);
  t.is(g2!.stats().batches, after.batches, 'a group reports the process-wide counts');

  // A write made in a microtask queued before the commit's own still joins the batch.
  const late = new Promise<void>((resolve, reject) =>
    queueMicrotask(() => void g3!.persist({ entries: entries(8, 9, 1) }).then(resolve, reject)),
  );
  const first = g1!.persist({ entries: entries(6, 7, 1) });
  await Promise.all([first, late]);
  const last = p.stats();
  t.is(last.batches - after.batches, 1);
  t.is(last.writes - after.writes, 2);

  t.deepEqual([g1!.log.lastIndex(), g2!.log.lastIndex(), g3!.log.lastIndex()], [7, 6, 9]);
  await p.close();
});

test('the batch observer hears of every batch once it landed: its writes, bytes, sync and time (one per batch, not per write)', async (t) => {
  const seen: Array<{ seconds: number; writes: number; bytes: number; sync: boolean }> = [];
  const p = await ProcessStore.open(tempDir(t), { onBatch: (b) => seen.push(b) });
  const [g1, g2] = await openGroups(p, [1, 2]);
  seen.length = 0;
  await Promise.all([g1!, g2!].map((s) => s.persist({ entries: entries(1, 3, 1), hardState: { term: 1, vote: 1, commit: 0 } })));
  t.is(seen.length, 1, 'two groups in one batch: told once');
  const b = seen[0]!;
  t.is(b.writes, 2);
  t.true(b.sync);
  t.true(b.bytes > 0);
  t.true(b.seconds >= 0 && b.seconds < 10);
  await p.close();
});

test('groups are isolated: compaction, snapshots and truncation in one leave the others untouched', async (t) => {
  const dir = tempDir(t);
  let p = await ProcessStore.open(dir);
  for (const s of await openGroups(p, [1, 2, 3])) {
    await s.persist({ entries: entries(1, 20, 1), hardState: { term: 1, vote: 1, commit: 15 } });
    await s.saveSnapshot(s.log.createSnapshot(5, conf, new Uint8Array(250).fill(s.groupId)));
  }
  await p.close();
  const others = [await groupContents(dir, 1), await groupContents(dir, 3)];

  p = await ProcessStore.open(dir);
  const [g2] = await openGroups(p, [2]);
  await g2!.saveSnapshot(g2!.log.createSnapshot(12, conf, new Uint8Array(450).fill(9)));
  await g2!.compact(10);
  await g2!.persist({ entries: entries(16, 17, 2), hardState: { term: 2, vote: 2, commit: 15 } }); // truncates 18..20
  await g2!.putMeta('group', 'two');
  await p.close();
  t.deepEqual([await groupContents(dir, 1), await groupContents(dir, 3)], others, 'groups 1 and 3 hold the very same bytes');

  p = await ProcessStore.open(dir);
  const [r1, r2, r3] = await openGroups(p, [1, 2, 3]);
  for (const s of [r1!, r3!]) {
    t.deepEqual([s.log.firstIndex(), s.log.lastIndex(), s.log.snapshot().meta.index], [1, 20, 5]);
    t.deepEqual([...s.log.snapshot().data], Array(250).fill(s.groupId));
    t.is(await s.getMeta('group'), undefined);
  }
  t.deepEqual([r2!.log.firstIndex(), r2!.log.lastIndex(), r2!.log.term(17), r2!.log.snapshot().meta.index], [11, 17, 2, 12]);
  t.is(await r2!.getMeta('group'), 'two');

  // A snapshot received from the leader replaces group 2's whole log, and only that.
  await r2!.persist({ snapshot: { meta: { index: 40, term: 3, conf }, data: new Uint8Array(30).fill(4) }, entries: [], hardState: { term: 3, vote: 0, commit: 40 } });
  await p.close();
  t.deepEqual([await groupContents(dir, 1), await groupContents(dir, 3)], others);
});

test('reopen lists every group on disk, in id order, and loads each', async (t) => {
  const dir = tempDir(t);
  const ids = [3, 1, 70_000, groupIdMax];
  let p = await ProcessStore.open(dir);
  t.deepEqual(p.groupIds(), []);
  for (const [k, s] of (await openGroups(p, ids)).entries()) {
    await s.persist({ entries: entries(1, k + 2, 1), hardState: { term: k + 1, vote: 1, commit: k + 1 } });
  }
  t.deepEqual(p.groupIds(), [1, 3, 70_000, groupIdMax]);
  await p.close();

  p = await ProcessStore.open(dir);
  t.deepEqual(p.groupIds(), [1, 3, 70_000, groupIdMax], 'listed before any is opened');
  for (const [k, g] of ids.entries()) {
    const s = await p.openGroup(g);
    t.deepEqual(s.log.snapshot().meta.conf, conf, `group ${g} keeps its creation conf`);
    t.is(s.log.lastIndex(), k + 2);
    t.deepEqual(s.log.hardState(), { term: k + 1, vote: 1, commit: k + 1 });
  }
  await p.close();
});

test('a corrupt key or value in one group is CORRUPT naming the group; the other groups still open', async (t) => {
  const dir = tempDir(t);
  let p = await ProcessStore.open(dir);
  for (const s of await openGroups(p, [1, 2, 3])) {
    await s.persist({ entries: entries(1, 4, 1), hardState: { term: 1, vote: 1, commit: 2 } });
    await s.saveSnapshot(s.log.createSnapshot(2, conf, new Uint8Array(150).fill(1)));
  }
  await p.close();
  await withRawDb(dir, async (db) => {
    await db.put(groupSingletonKey(2, 'hardState'), Uint8Array.of(0xc1));
    await db.put(Uint8Array.of(GROUP_BYTE, 0, 0, 0, 3, 0x77), Uint8Array.of(1));
  });

  p = await ProcessStore.open(dir);
  t.deepEqual(p.groupIds(), [1, 2, 3]);
  const e2 = await t.throwsAsync(p.openGroup(2), { instanceOf: StorageError });
  t.is(e2?.code, 'CORRUPT');
  t.regex(e2?.problem ?? '', /^group 2: cannot decode the hard state stored at key 0x100000000202/);
  t.true(e2?.message.includes(dir));
  const e3 = await t.throwsAsync(p.openGroup(3), { instanceOf: StorageError });
  t.regex(e3?.problem ?? '', /^group 3: unknown group 3 key 0x100000000377/);
  const g1 = await p.openGroup(1);
  t.is(g1.log.lastIndex(), 4);
  t.is(g1.log.snapshot().data.length, 150);
  await p.close();

  // A group's altered snapshot chunk is found when that group opens, not before.
  await withRawDb(dir, (db) => db.put(chunkKey(1, 2, 0), encodeChunk(new Uint8Array(100).fill(7))));
  p = await ProcessStore.open(dir);
  await t.throwsAsync(p.openGroup(1), { instanceOf: StorageError, message: /group 1: snapshot 2 data does not match its sha256/ });
  await p.close();

  // A key in the group range with no group id belongs to no group: the process refuses.
  await withRawDb(dir, (db) => db.put(Uint8Array.of(GROUP_BYTE, 0, 1), Uint8Array.of(1)));
  const e = await t.throwsAsync(ProcessStore.open(dir), { instanceOf: StorageError });
  t.is(e?.code, 'CORRUPT');
  t.regex(e?.problem ?? '', /malformed group key 0x100001/);
});

test('process metadata is apart from every group\'s, synced, read back after reopen', async (t) => {
  const dir = tempDir(t);
  let p = await ProcessStore.open(dir);
  const [g1] = await openGroups(p, [1]);
  const layout = { groups: 3, replicas: ['a', 'b'] };
  const put = p.putMeta('layout', layout);
  layout.groups = 99;
  t.deepEqual(await p.getMeta('layout'), { groups: 3, replicas: ['a', 'b'] }, 'reads its own write, as written');
  await put;
  await g1!.putMeta('layout', 'the group one');
  await p.close();
  p = await ProcessStore.open(dir);
  t.deepEqual(await p.getMeta('layout'), { groups: 3, replicas: ['a', 'b'] });
  t.is(await (await p.openGroup(1)).getMeta('layout'), 'the group one');
  t.is(await p.getMeta('absent'), undefined);
  await t.throwsAsync(p.putMeta('big', new Uint8Array(70_000)), { instanceOf: InvariantError });
  await p.close();
});

test('close closes every group (each writes its deferred commit); later writes are CLOSED', async (t) => {
  const dir = tempDir(t);
  let p = await ProcessStore.open(dir);
  const [g1, g2] = await openGroups(p, [1, 2]);
  await g1!.persist({ entries: entries(1, 3, 1), hardState: { term: 1, vote: 1, commit: 0 } });
  await g2!.persist({ entries: entries(1, 3, 1), hardState: { term: 1, vote: 1, commit: 0 } });
  await g2!.persist({ entries: [], hardState: { term: 1, vote: 1, commit: 3 } }, { sync: false });
  t.is(g2!.stats().deferredCommits, 1);
  await p.close();
  const err = await t.throwsAsync(g1!.persist({ entries: entries(4, 4, 1) }), { instanceOf: StorageError });
  t.is(err?.code, 'CLOSED');
  await t.throwsAsync(p.openGroup(3), { instanceOf: StorageError, message: /closed/ });
  await t.throwsAsync(p.putMeta('x', 1), { instanceOf: StorageError, message: /closed/ });
  await g1!.close(); // closing a closed group is fine

  p = await ProcessStore.open(dir);
  t.is((await p.openGroup(2)).log.hardState().commit, 3, 'the deferred commit was written at close');
  await p.close();
});

test('crash drops the queued writes of every group; the batch in flight lands whole', async (t) => {
  const dir = tempDir(t);
  let p = await ProcessStore.open(dir);
  const [g1, g2] = await openGroups(p, [1, 2]);
  const inFlight = [g1!.persist({ entries: entries(1, 2, 1) }), g2!.persist({ entries: entries(1, 3, 1) })];
  await Promise.resolve(); // that batch is being written now
  const queued = [g1!.persist({ entries: entries(3, 3, 1) }), g2!.persist({ entries: entries(4, 4, 1) })];
  const crashed = g2!.crash(); // a group's crash is its process's
  await t.notThrowsAsync(Promise.all(inFlight));
  for (const q of queued) t.is((await t.throwsAsync(q, { instanceOf: StorageError }))?.code, 'CLOSED');
  await crashed;
  await t.throwsAsync(g1!.persist({ entries: entries(3, 3, 1) }), { instanceOf: StorageError, message: /closed/ });
  p = await ProcessStore.open(dir);
  const [r1, r2] = await openGroups(p, [1, 2]);
  t.deepEqual([r1!.log.lastIndex(), r2!.log.lastIndex()], [2, 3]);
  await p.close();
});

test('one group closed alone: the others keep writing, and it opens again in the same process', async (t) => {
  const p = await ProcessStore.open(tempDir(t));
  const [g1, g2] = await openGroups(p, [1, 2]);
  await g1!.persist({ entries: entries(1, 5, 1), hardState: { term: 1, vote: 1, commit: 5 } });
  await g1!.close();
  await t.throwsAsync(g1!.persist({ entries: entries(6, 6, 1) }), { instanceOf: StorageError, message: /group 1 is closed/ });
  await g2!.persist({ entries: entries(1, 2, 1) });
  const again = await p.openGroup(1);
  t.deepEqual(again.log.hardState(), { term: 1, vote: 1, commit: 5 });
  t.is(again.log.lastIndex(), 5);
  await p.close();
});

test('misuse is an assertion: a group opened twice, a group id out of 1..2^32-1', async (t) => {
  const p = await ProcessStore.open(tempDir(t));
  const opening = p.openGroup(1);
  await t.throwsAsync(p.openGroup(1), { instanceOf: InvariantError, message: /group 1 is open already/ });
  await opening;
  await t.throwsAsync(p.openGroup(1), { instanceOf: InvariantError, message: /open already/ });
  for (const bad of [0, -1, 1.5, groupIdMax + 1]) await t.throwsAsync(p.openGroup(bad), { instanceOf: InvariantError });
  await p.close();
});
