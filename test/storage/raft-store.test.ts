import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { Level } from 'level';
import { RaftStore, SNAPSHOT_DATA_ON_DISK } from '../../storage/raft-store.js';
import { StorageError } from '../../storage/storage-error.js';
import { chunkKey, entryKey, groupSingletonKey } from '../../storage/keys.js';
import { encodeChunk } from '../../storage/codec.js';
import { entries, entry, tempDir, writeFormat1Dir } from './helpers.js';

const conf = { voters: [1, 2, 3], learners: [] };

async function collect(it: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const c of it) out.push(c);
  return out;
}

test('a fresh store holds the initial membership as the snapshot at index 0', async (t) => {
  const dir = tempDir(t);
  const s = await RaftStore.open(dir, { initialConf: conf });
  t.deepEqual(s.log.snapshot().meta, { index: 0, term: 0, conf });
  t.is(s.log.firstIndex(), 1);
  t.is(s.log.lastIndex(), 0);
  t.deepEqual(s.log.hardState(), { term: 0, vote: 0, commit: 0 });
  await s.close();
  const again = await RaftStore.open(dir, { initialConf: { voters: [9], learners: [] } });
  t.deepEqual(again.log.snapshot().meta.conf, conf, 'initialConf only applies to a fresh database');
  await again.close();
});

test('persist appends, truncates a conflicting suffix (§5.3) and survives reopen', async (t) => {
  const dir = tempDir(t);
  let s = await RaftStore.open(dir, { initialConf: conf });
  await s.persist({ entries: entries(1, 10, 1), hardState: { term: 1, vote: 1, commit: 3 } });
  t.is(s.log.lastIndex(), 10);
  await s.persist({ entries: entries(6, 7, 2), hardState: { term: 2, vote: 2, commit: 3 } });
  t.is(s.log.lastIndex(), 7);
  t.is(s.log.term(7), 2);
  await s.close();
  s = await RaftStore.open(dir);
  t.is(s.log.lastIndex(), 7);
  t.is(s.log.term(5), 1);
  t.is(s.log.term(6), 2);
  t.is(s.log.term(8), undefined);
  t.deepEqual(s.log.hardState(), { term: 2, vote: 2, commit: 3 });
  t.deepEqual(s.log.entries(1, 8, Infinity), [...entries(1, 5, 1), ...entries(6, 7, 2)]);
  await s.close();
  // The truncated keys are gone from disk, not just hidden.
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  t.false(await db.has(entryKey(1, 8)));
  t.truthy(await db.get(entryKey(1, 7)));
  await db.close();
});

test('entry data comes back as bytes, entries() honours its byte bound', async (t) => {
  const dir = tempDir(t);
  let s = await RaftStore.open(dir, { initialConf: conf });
  await s.persist({
    entries: [entry(1, 1, 100), { type: 'conf', index: 2, term: 1, change: { type: 'addLearner', nodeId: 4 } }, entry(3, 1, 100)],
  });
  await s.close();
  s = await RaftStore.open(dir);
  const got = s.log.entries(1, 4, Infinity);
  const e1 = got[0];
  t.true(e1?.type === 'normal' && e1.data instanceof Uint8Array);
  t.deepEqual(got[1], { type: 'conf', index: 2, term: 1, change: { type: 'addLearner', nodeId: 4 } });
  t.is(s.log.entries(1, 4, 150).length, 2, 'the byte bound stops after the 2nd entry');
  t.is(s.log.entries(1, 4, 1).length, 1, 'always at least one entry');
  await s.close();
});

test('log is mirrored only after the batch is durable', async (t) => {
  const s = await RaftStore.open(tempDir(t), { initialConf: conf });
  const p = s.persist({ entries: entries(1, 3, 1), hardState: { term: 1, vote: 1, commit: 0 } });
  t.is(s.log.lastIndex(), 0);
  t.is(s.log.hardState().term, 0);
  await p;
  t.is(s.log.lastIndex(), 3);
  t.is(s.log.hardState().term, 1);
  await s.close();
});

test('concurrent callers share one synced batch (group commit), in call order', async (t) => {
  const s = await RaftStore.open(tempDir(t), { initialConf: conf });
  const before = s.stats(); // the group's creation was a write too
  const order: number[] = [];
  const ps = [];
  for (let i = 1; i <= 64; i++) {
    ps.push(s.persist({ entries: [entry(i, 1)], hardState: { term: 1, vote: 1, commit: i - 1 } }).then(() => order.push(i)));
  }
  await Promise.all(ps);
  t.deepEqual(order, Array.from({ length: 64 }, (_, k) => k + 1));
  t.is(s.log.lastIndex(), 64);
  t.is(s.log.hardState().commit, 63);
  const st = s.stats();
  t.is(st.writes - before.writes, 64);
  t.true(st.batches - before.batches <= 2, `64 calls in one tick took ${st.batches - before.batches} batches`);
  // Merged writes keep log semantics: a truncation made after appends wins.
  const a = s.persist({ entries: entries(65, 70, 1) });
  const b = s.persist({ entries: entries(66, 67, 2) });
  await Promise.all([a, b]);
  t.is(s.log.lastIndex(), 67);
  t.is(s.log.term(67), 2);
  await s.close();
  const r = await RaftStore.open(s.dataDir);
  t.is(r.log.lastIndex(), 67);
  t.is(r.log.term(66), 2);
  await r.close();
});

test('saveSnapshot stores chunks + meta, compaction keeps a covered tail, reopen restores both', async (t) => {
  const dir = tempDir(t);
  let s = await RaftStore.open(dir, { initialConf: conf, limits: { snapshotChunkBytes: 1000 } });
  await s.persist({ entries: entries(1, 20, 1), hardState: { term: 1, vote: 1, commit: 15 } });
  const data = new Uint8Array(4500).map((_, k) => k % 251);
  const snap = s.log.createSnapshot(12, { voters: [1, 2], learners: [3] }, data);
  const saved = s.saveSnapshot(snap);
  const compacted = s.compact(10);
  await Promise.all([saved, compacted]);
  t.is(s.log.firstIndex(), 11);
  await s.close();
  s = await RaftStore.open(dir);
  t.deepEqual(s.log.snapshot().meta, { index: 12, term: 1, conf: { voters: [1, 2], learners: [3] } });
  t.deepEqual(new Uint8Array(s.log.snapshot().data), data);
  t.is(s.log.firstIndex(), 11);
  t.is(s.log.term(10), 1);
  t.is(s.log.term(9), undefined);
  t.is(s.log.lastIndex(), 20);
  // A newer snapshot supersedes the old one and its chunks.
  const snap2 = s.log.createSnapshot(15, conf, new Uint8Array(10).fill(7));
  await s.saveSnapshot(snap2);
  await s.compact(15);
  await s.close();
  s = await RaftStore.open(dir);
  t.is(s.log.snapshot().meta.index, 15);
  t.deepEqual([...s.log.snapshot().data], Array(10).fill(7));
  t.is(s.log.firstIndex(), 16);
  await s.close();
});

test('compaction refuses what no saved snapshot covers', async (t) => {
  const s = await RaftStore.open(tempDir(t), { initialConf: conf });
  await s.persist({ entries: entries(1, 5, 1), hardState: { term: 1, vote: 1, commit: 5 } });
  s.log.createSnapshot(4, conf, new Uint8Array(1)); // in memory only, not saved
  await t.throwsAsync(s.compact(3), { message: /beyond the saved snapshot/ });
  await s.crash();
});

test('a snapshot received from the leader replaces the log', async (t) => {
  const dir = tempDir(t);
  let s = await RaftStore.open(dir, { initialConf: conf });
  await s.persist({ entries: entries(1, 5, 1), hardState: { term: 1, vote: 1, commit: 2 } });
  const snap = { meta: { index: 8, term: 3, conf }, data: new Uint8Array([1, 2, 3]) };
  await s.persist({ snapshot: snap, entries: entries(9, 10, 3), hardState: { term: 3, vote: 0, commit: 8 } });
  t.is(s.log.firstIndex(), 9);
  await s.close();
  s = await RaftStore.open(dir);
  t.is(s.log.firstIndex(), 9);
  t.is(s.log.lastIndex(), 10);
  t.is(s.log.term(8), 3);
  t.deepEqual([...s.log.snapshot().data], [1, 2, 3]);
  await s.close();
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  for (let i = 1; i <= 5; i++) t.false(await db.has(entryKey(1, i)), `entry ${i} deleted`);
  await db.close();
});

test('misuse is an assertion and stops further writes', async (t) => {
  const s = await RaftStore.open(tempDir(t), { initialConf: conf });
  await t.throwsAsync(s.persist({ entries: entries(3, 4, 1) }), { message: /gap/ });
  await t.throwsAsync(s.persist({ entries: entries(1, 1, 1) }), { message: /gap/ }, 'the store is broken after an assertion');
  await s.crash();
});

test('a committed entry is never overwritten by a different one', async (t) => {
  const s = await RaftStore.open(tempDir(t), { initialConf: conf });
  await s.persist({ entries: entries(1, 4, 1), hardState: { term: 1, vote: 1, commit: 3 } });
  await t.throwsAsync(s.persist({ entries: entries(3, 3, 2) }), { message: /committed/ });
  await s.crash();
});

test('meta values are synced and survive reopen', async (t) => {
  const dir = tempDir(t);
  let s = await RaftStore.open(dir, { initialConf: conf });
  t.is(await s.getMeta('group'), undefined);
  const v = { group: 2, members: [1, 2, 3] };
  const p = s.putMeta('group', v);
  v.group = 99; // the caller changing its object later does not change what was stored
  t.deepEqual(await s.getMeta('group'), { group: 2, members: [1, 2, 3] });
  await p;
  await s.close();
  s = await RaftStore.open(dir);
  t.deepEqual(await s.getMeta('group'), { group: 2, members: [1, 2, 3] });
  await s.close();
});

test('a second open of the same dir is LOCKED and a closed store refuses writes', async (t) => {
  const dir = tempDir(t);
  const s = await RaftStore.open(dir, { initialConf: conf });
  const err = await t.throwsAsync(RaftStore.open(dir), { instanceOf: StorageError });
  t.is(err?.code, 'LOCKED');
  t.true(err?.message.includes(dir));
  await s.close();
  const err2 = await t.throwsAsync(s.persist({ entries: [] }), { instanceOf: StorageError });
  t.is(err2?.code, 'CLOSED');
});

test('a value that does not decode is CORRUPT, naming the dir and key kind, and stays on disk', async (t) => {
  const dir = tempDir(t);
  const s = await RaftStore.open(dir, { initialConf: conf });
  await s.persist({ entries: entries(1, 3, 1), hardState: { term: 1, vote: 1, commit: 1 } });
  await s.close();
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  await db.put(groupSingletonKey(1, 'hardState'), Uint8Array.of(0xc1)); // 0xc1: never used in MessagePack
  await db.close();
  const err = await t.throwsAsync(RaftStore.open(dir), { instanceOf: StorageError });
  t.is(err?.code, 'CORRUPT');
  t.regex(err?.message ?? '', /hard state/);
  t.true(err?.message.includes(dir));
  await db.open();
  t.deepEqual([...(await db.get(groupSingletonKey(1, 'hardState'))) ?? []], [0xc1]);
  await db.close();
});

test('a dir that is not ours is refused and a missing one is not created when asked not to', async (t) => {
  const dir = tempDir(t);
  const err = await t.throwsAsync(RaftStore.open(dir, { create: false }), { instanceOf: StorageError });
  t.is(err?.code, 'MISSING');
  const foreign = new Level(dir);
  await foreign.open();
  await foreign.put('hello', 'world');
  await foreign.close();
  const err2 = await t.throwsAsync(RaftStore.open(dir), { instanceOf: StorageError });
  t.is(err2?.code, 'NOT_OURS');
  t.regex(err2?.message ?? '', /not a kvstore data dir/);
});

test('a format 1 database is VERSION even under a format 2 marker file, and stays as it was', async (t) => {
  const dir = tempDir(t);
  await writeFormat1Dir(dir);
  writeFileSync(join(dir, 'KVSTORE'), 'kvstore data dir, format 2\n');
  const err = await t.throwsAsync(RaftStore.open(dir), { instanceOf: StorageError });
  t.is(err?.code, 'VERSION');
  t.regex(err?.message ?? '', /format 1; this build reads format 2 only .*move the dir away/);
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  const keys: string[] = [];
  for await (const k of db.keys()) keys.push(Buffer.from(k).toString('hex'));
  await db.close();
  t.deepEqual(keys, ['01', '02', '03', '04', '100000000000000001', '100000000000000002', '100000000000000003']);
});

/** Opens the raw database, lets `f` tamper with it, closes it. */
async function tamper(dir: string, f: (db: Level<Uint8Array, Uint8Array>) => Promise<void>): Promise<void> {
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  await f(db);
  await db.close();
}

test('a gap in the log, a missing or altered snapshot chunk: each is CORRUPT with its reason', async (t) => {
  const make = async (): Promise<string> => {
    const dir = tempDir(t);
    const s = await RaftStore.open(dir, { initialConf: conf, limits: { snapshotChunkBytes: 100 } });
    await s.persist({ entries: entries(1, 10, 1), hardState: { term: 1, vote: 1, commit: 8 } });
    await s.saveSnapshot(s.log.createSnapshot(5, conf, new Uint8Array(350).fill(3)));
    await s.close();
    return dir;
  };
  const cases: [string, (db: Level<Uint8Array, Uint8Array>) => Promise<void>, RegExp][] = [
    ['gap', (db) => db.del(entryKey(1, 7)), /gap: entry 6 is followed by entry 8/],
    ['missing chunk', (db) => db.del(chunkKey(1, 5, 2)), /snapshot 5 has 3 chunks stored, its meta says 4/],
    [
      'chunk out of place',
      async (db) => {
        await db.del(chunkKey(1, 5, 1));
        await db.put(chunkKey(1, 5, 4), encodeChunk(new Uint8Array(50).fill(3)));
      },
      /snapshot 5 lacks chunk 1/,
    ],
    ['altered chunk', (db) => db.put(chunkKey(1, 5, 0), encodeChunk(new Uint8Array(100).fill(4))), /does not match its sha256/],
    ['foreign key', (db) => db.put(new TextEncoder().encode('zzz'), Uint8Array.of(1)), /unknown key 0x7a7a7a/],
  ];
  // Whether the snapshot's data is loaded or left on disk, it is checked whole.
  for (const snapshotData of ['memory', 'disk'] as const) {
    for (const [name, f, re] of cases) {
      const dir = await make();
      await tamper(dir, f);
      const err = await t.throwsAsync(RaftStore.open(dir, { snapshotData }), { instanceOf: StorageError }, `${name} (${snapshotData})`);
      t.is(err?.code, 'CORRUPT', name);
      t.regex(err?.message ?? '', re, name);
    }
  }
});

test("snapshotData 'disk': open checks the snapshot but leaves its data on disk, to be read back in chunks", async (t) => {
  const dir = tempDir(t);
  const s = await RaftStore.open(dir, { initialConf: conf, limits: { snapshotChunkBytes: 100 } });
  await s.persist({ entries: entries(1, 10, 1), hardState: { term: 1, vote: 1, commit: 8 } });
  const data = Uint8Array.from({ length: 350 }, (_, i) => i % 251);
  await s.saveSnapshot(s.log.createSnapshot(5, conf, data));
  await s.close();

  const loaded = await RaftStore.open(dir);
  t.deepEqual(loaded.log.snapshot().data, data, "'memory' (the default) loads the data");
  await loaded.close();

  const onDisk = await RaftStore.open(dir, { snapshotData: 'disk' });
  t.is(onDisk.log.snapshot().data, SNAPSHOT_DATA_ON_DISK);
  t.is(onDisk.log.snapshot().meta.index, 5);
  t.is(onDisk.snapshotBytes(5), 350);
  const pieces: Uint8Array[] = [];
  for await (const piece of onDisk.readSnapshotChunks(5)) pieces.push(piece);
  t.is(pieces.length, 4);
  t.deepEqual(Uint8Array.from(Buffer.concat(pieces)), data);
  t.is(onDisk.log.lastIndex(), 10, 'the log loads as ever');
  await onDisk.close();
});

test('crash(): the batch in flight lands whole, queued writes are dropped with CLOSED', async (t) => {
  const dir = tempDir(t);
  const s = await RaftStore.open(dir, { initialConf: conf });
  const a = s.persist({ entries: entries(1, 3, 1), hardState: { term: 1, vote: 1, commit: 1 } });
  await Promise.resolve(); // the batch holding `a` is now being written
  const b = s.persist({ entries: entries(4, 5, 1), hardState: { term: 1, vote: 1, commit: 4 } });
  const crashed = s.crash();
  await t.notThrowsAsync(a);
  const err = await t.throwsAsync(b, { instanceOf: StorageError });
  t.is(err?.code, 'CLOSED');
  await crashed;
  const r = await RaftStore.open(dir);
  t.is(r.log.lastIndex(), 3);
  t.deepEqual(r.log.hardState(), { term: 1, vote: 1, commit: 1 });
  await r.close();
});

test('a commit-only hard state waits for the next batch; entries, snapshots, term and vote never wait', async (t) => {
  const dir = tempDir(t);
  const store = await RaftStore.open(dir, { initialConf: { voters: [1], learners: [] } });
  await store.persist({ entries: entries(1, 3, 1), hardState: { term: 1, vote: 1, commit: 0 } });
  const synced = store.stats().batches;
  await store.persist({ entries: [], hardState: { term: 1, vote: 1, commit: 2 } }, { sync: false });
  t.is(store.stats().batches, synced, 'no write of its own');
  t.is(store.stats().deferredCommits, 1);
  t.is(store.log.hardState().commit, 2, 'mirrored at once: the host snapshots what it applied');
  await store.persist({ entries: entries(4, 4, 1) }, { sync: false });
  t.is(store.stats().batches, synced + 1, 'a write with entries is synced whatever the caller asked');
  await store.persist({ entries: [], hardState: { term: 2, vote: 0, commit: 2 } }, { sync: false });
  t.is(store.stats().batches, synced + 2, 'a new term is written and synced whatever the caller asked');
  await store.persist({ entries: [], hardState: { term: 2, vote: 0, commit: 3 } }, { sync: false });
  await store.close();
  const reopened = await RaftStore.open(dir);
  t.deepEqual(reopened.log.hardState(), { term: 2, vote: 0, commit: 3 }, 'a clean close writes the deferred commit');
  await reopened.persist({ entries: [], hardState: { term: 2, vote: 0, commit: 4 } }, { sync: false });
  await reopened.crash();
  const crashed = await RaftStore.open(dir);
  t.is(crashed.log.hardState().commit, 3, 'a crash loses only the deferred commit');
  await crashed.close();
});

/** A store whose snapshots take several chunk batches (10-byte chunks, 30 bytes a batch), holding entries 1..20, commit 15. */
const smallChunks = { snapshotChunkBytes: 10, snapshotBatchBytes: 30 };
async function storeWithSmallChunks(dir: string): Promise<RaftStore> {
  const s = await RaftStore.open(dir, { initialConf: conf, limits: smallChunks });
  await s.persist({ entries: entries(1, 20, 1), hardState: { term: 1, vote: 1, commit: 15 } });
  return s;
}

test('a big snapshot is saved as several chunk batches, then its meta; a save cut short leaves the old snapshot and no strays', async (t) => {
  const dir = tempDir(t);
  const limits = smallChunks;
  let s = await storeWithSmallChunks(dir);
  const first = new Uint8Array(95).map((_, k) => k);
  const before = s.stats().batches;
  await s.saveSnapshot(s.log.createSnapshot(10, conf, first));
  t.is(s.stats().batches - before, 4, '10 chunks of 10 bytes, 3 per batch, the last batch with the meta');
  // The next save is cut short after its first chunk batch landed.
  const second = new Uint8Array(95).fill(9);
  const saving = s.saveSnapshot(s.log.createSnapshot(12, conf, second));
  const landed = s.stats().batches;
  while (s.stats().batches === landed) await new Promise((r) => setTimeout(r, 1));
  await s.crash();
  await saving.catch(() => undefined);
  s = await RaftStore.open(dir, { limits });
  t.is(s.log.snapshot().meta.index, 10, 'the cut-short snapshot never became the snapshot');
  t.deepEqual(new Uint8Array(s.log.snapshot().data), first);
  await s.close();
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  const strays = [];
  for await (const k of db.keys({ gte: chunkKey(1, 12, 0), lte: chunkKey(1, 12, 1000) })) strays.push(k);
  await db.close();
  t.deepEqual(strays, [], 'its chunks were deleted at open');
  s = await RaftStore.open(dir, { limits });
  t.is(s.log.snapshot().meta.index, 10);
  await s.close();
});

test('a snapshot received from the leader while a local one is being saved wins, and the local chunks are gone', async (t) => {
  const dir = tempDir(t);
  const limits = smallChunks;
  let s = await storeWithSmallChunks(dir);
  const local = s.saveSnapshot(s.log.createSnapshot(12, conf, new Uint8Array(95).fill(1)));
  const received = { meta: { index: 30, term: 2, conf }, data: new Uint8Array(25).fill(2) };
  await s.persist({ entries: [], hardState: { term: 2, vote: 0, commit: 30 }, snapshot: received });
  await local;
  t.is(s.log.snapshot().meta.index, 30);
  await s.close();
  s = await RaftStore.open(dir, { limits });
  t.is(s.log.snapshot().meta.index, 30);
  t.deepEqual([...s.log.snapshot().data], Array(25).fill(2));
  await s.close();
});

test('a big snapshot from the leader goes to disk in chunk batches before its meta; cut short, the old snapshot stays and no strays', async (t) => {
  const dir = tempDir(t);
  const limits = smallChunks;
  let s = await storeWithSmallChunks(dir);
  await s.saveSnapshot(s.log.createSnapshot(10, conf, new Uint8Array(95).fill(1)));
  const received = { meta: { index: 30, term: 2, conf }, data: new Uint8Array(95).map((_, k) => k) };
  const before = s.stats().batches;
  await s.persist({ entries: [], hardState: { term: 2, vote: 0, commit: 30 }, snapshot: received });
  t.is(s.stats().batches - before, 4, '10 chunks of 10 bytes: 3 batches of 3, then the last chunk with the meta');
  t.is(s.log.snapshot().meta.index, 30);
  await s.close();
  s = await RaftStore.open(dir, { limits });
  t.deepEqual(new Uint8Array(s.log.snapshot().data), received.data, 'loads whole, the old snapshot replaced');

  // The next one is cut short after its first chunk batch landed.
  const next = { meta: { index: 40, term: 3, conf }, data: new Uint8Array(95).fill(8) };
  const persisting = s.persist({ entries: [], hardState: { term: 3, vote: 0, commit: 40 }, snapshot: next });
  const landed = s.stats().batches;
  while (s.stats().batches === landed) await new Promise((r) => setTimeout(r, 1));
  await s.crash();
  await persisting.catch(() => undefined);
  s = await RaftStore.open(dir, { limits });
  t.is(s.log.snapshot().meta.index, 30, 'the cut-short snapshot never became the snapshot');
  t.deepEqual(new Uint8Array(s.log.snapshot().data), received.data);
  await s.close();
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  const strays = [];
  for await (const k of db.keys({ gte: chunkKey(1, 40, 0), lte: chunkKey(1, 40, 1000) })) strays.push(k);
  for await (const k of db.keys({ gte: chunkKey(1, 10, 0), lte: chunkKey(1, 10, 1000) })) strays.push(k);
  await db.close();
  t.deepEqual(strays, [], 'no chunks of the cut-short or the replaced snapshot');
});

test('a snapshot saved from a stream stays on disk only, is read back chunk by chunk as of one view, and loads whole', async (t) => {
  const dir = tempDir(t);
  let s = await RaftStore.open(dir, { initialConf: conf, limits: { snapshotBatchBytes: 30 } });
  await s.persist({ entries: entries(1, 20, 1), hardState: { term: 1, vote: 1, commit: 15 } });
  const pieces = [Buffer.from('0123456789'), Buffer.from('abcdefghijklmnopqrst'), Buffer.alloc(0), Buffer.from('XYZ')];
  async function* stream(): AsyncGenerator<Uint8Array> {
    for (const p of pieces) yield p;
  }
  t.true(await s.saveSnapshotStream(12, conf, stream()));
  t.is(s.log.snapshot().data, SNAPSHOT_DATA_ON_DISK, 'not kept in memory');
  t.deepEqual(s.log.snapshot().meta, { index: 12, term: 1, conf });
  t.is(s.snapshotBytes(12), 33);
  const it = s.readSnapshotChunks(12);
  const first = await it.next();
  // A newer snapshot lands while this one is read: the reader still sees it whole.
  await s.saveSnapshot(s.log.createSnapshot(15, conf, new Uint8Array(5).fill(1)));
  const rest: Uint8Array[] = [];
  for await (const c of it) rest.push(c);
  t.is(Buffer.concat([first.value as Uint8Array, ...rest]).toString(), '0123456789abcdefghijklmnopqrstXYZ');
  t.is(s.snapshotBytes(12), undefined);
  await t.throwsAsync(async () => {
    for await (const c of s.readSnapshotChunks(12)) void c;
  }, { instanceOf: StorageError });
  await s.close();
  s = await RaftStore.open(dir);
  t.is(s.log.snapshot().meta.index, 15);
  s.releaseSnapshotData();
  t.is(s.log.snapshot().data, SNAPSHOT_DATA_ON_DISK);
  t.deepEqual([...Buffer.concat(await collect(s.readSnapshotChunks(15)))], [1, 1, 1, 1, 1]);
  await s.close();
});

test('a streamed snapshot superseded by one from the leader reports false and leaves the leader\'s', async (t) => {
  const dir = tempDir(t);
  const s = await RaftStore.open(dir, { initialConf: conf, limits: { snapshotBatchBytes: 10 } });
  t.teardown(() => s.close());
  await s.persist({ entries: entries(1, 20, 1), hardState: { term: 1, vote: 1, commit: 15 } });
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  async function* stream(): AsyncGenerator<Uint8Array> {
    yield Buffer.from('0123456789');
    yield Buffer.from('abcdefghij');
    await gate;
    yield Buffer.from('late');
  }
  const saving = s.saveSnapshotStream(12, conf, stream());
  while (s.stats().batches < 3) await new Promise((r) => setTimeout(r, 1));
  await s.persist({ entries: [], hardState: { term: 2, vote: 0, commit: 30 }, snapshot: { meta: { index: 30, term: 2, conf }, data: new Uint8Array(4).fill(2) } });
  release();
  t.false(await saving);
  t.is(s.log.snapshot().meta.index, 30);
  t.deepEqual([...Buffer.concat(await collect(s.readSnapshotChunks(30)))], [2, 2, 2, 2]);
});
