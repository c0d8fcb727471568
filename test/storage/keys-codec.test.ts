import test from 'ava';
import fc from 'fast-check';
import { Level } from 'level';
import type { Entry } from '../../raft/types.js';
import { DecodeError, decodeEntry, decodeHardState, decodeSnapshotMeta, encodeEntry, encodeHardState, encodeSnapshotMeta } from '../../storage/codec.js';
import {
  chunkKey,
  chunkNumberMax,
  entryKey,
  formatKey,
  GROUP_BYTE,
  GROUP_KINDS,
  groupIdMax,
  groupKindRange,
  groupMetaKey,
  groupRange,
  groupSingletonKey,
  inGroup,
  keyGroup,
  parseKey,
  processMetaKey,
} from '../../storage/keys.js';
import { tempDir } from './helpers.js';

test('entry keys sort numerically in LevelDB (big-endian, fixed width)', async (t) => {
  const indexes = [1, 2, 9, 10, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER];
  const db = new Level<Uint8Array, Uint8Array>(tempDir(t), { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  const batch = db.batch();
  for (const i of [...indexes].reverse()) batch.put(entryKey(7, i), Uint8Array.of(1));
  batch.put(chunkKey(7, 1, 0), Uint8Array.of(2)); // another kind sorts after every entry
  batch.put(groupMetaKey(7, 'group'), Uint8Array.of(3));
  await batch.write();
  const seen: number[] = [];
  for await (const k of db.keys(groupKindRange(7, 'entry'))) {
    const p = parseKey(k);
    if (typeof p !== 'string' && p.kind === 'entry') seen.push(p.index);
  }
  await db.close();
  t.deepEqual(seen, indexes);
});

test("one group's keys are one contiguous range, groups in id order, process keys before them all", async (t) => {
  const groups = [1, 2, 255, 256, 65_536, 2 ** 31, groupIdMax];
  const db = new Level<Uint8Array, Uint8Array>(tempDir(t), { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  const batch = db.batch();
  for (const g of [...groups].reverse()) {
    batch.put(groupSingletonKey(g, 'hardState'), Uint8Array.of(1));
    batch.put(entryKey(g, Number.MAX_SAFE_INTEGER), Uint8Array.of(1));
    batch.put(chunkKey(g, 3, chunkNumberMax), Uint8Array.of(1));
    batch.put(groupMetaKey(g, 'ÿÿÿ'), Uint8Array.of(1));
  }
  batch.put(processMetaKey('layout'), Uint8Array.of(1));
  batch.put(formatKey(), Uint8Array.of(1));
  await batch.write();
  const order: string[] = [];
  for await (const k of db.keys()) {
    const p = parseKey(k);
    order.push(typeof p === 'string' ? p : 'group' in p ? `${p.group}` : p.kind);
  }
  t.deepEqual(order, ['format', 'processMeta', ...groups.flatMap((g) => Array<string>(4).fill(`${g}`))]);
  for (const g of groups) {
    const inRange: number[] = [];
    for await (const k of db.keys(groupRange(g))) inRange.push(keyGroup(k) ?? 0);
    t.deepEqual(inRange, [g, g, g, g], `group ${g}'s range holds its 4 keys and no other`);
  }
  await db.close();
});

test('keys parse back, and keys not ours are named as such', (t) => {
  t.deepEqual(parseKey(entryKey(3, 2 ** 33 + 5)), { kind: 'entry', group: 3, index: 2 ** 33 + 5 });
  t.deepEqual(parseKey(chunkKey(groupIdMax, 77, 3)), { kind: 'chunk', group: groupIdMax, snapshotIndex: 77, chunk: 3 });
  t.deepEqual(parseKey(groupMetaKey(9, 'grüße')), { kind: 'meta', group: 9, name: 'grüße' });
  t.deepEqual(parseKey(groupSingletonKey(1, 'hardState')), { kind: 'hardState', group: 1 });
  t.deepEqual(parseKey(formatKey()), { kind: 'format' });
  t.deepEqual(parseKey(processMetaKey('\ufeffbom')), { kind: 'processMeta', name: '\ufeffbom' });
  t.regex(parseKey(new TextEncoder().encode('user:1')) as string, /unknown key 0x75736572/);
  t.regex(parseKey(new Uint8Array(0)) as string, /unknown key 0x$/);
  t.regex(parseKey(Uint8Array.of(GROUP_BYTE, 0, 0, 1, 0, GROUP_KINDS.entry, 1, 2)) as string, /malformed group 256 entry key/);
  t.regex(parseKey(Uint8Array.of(GROUP_BYTE, 0, 0, 0, 0, GROUP_KINDS.hardState)) as string, /group 0/);
  t.regex(parseKey(Uint8Array.of(GROUP_BYTE, 0, 0, 0, 4, 0x77)) as string, /unknown group 4 key/);
  t.regex(parseKey(Uint8Array.of(GROUP_BYTE, 0, 0, 0, 4)) as string, /unknown group 4 key/);
  t.regex(parseKey(Uint8Array.of(GROUP_BYTE, 0, 1)) as string, /malformed group key/);
  const beyond = entryKey(1, 0);
  beyond.fill(0xff, 6);
  t.regex(parseKey(beyond) as string, /malformed group 1 entry key/, 'an index past 2^53 is no key of ours');
  t.is(keyGroup(Uint8Array.of(GROUP_BYTE, 0, 0, 0, 4)), 4);
  t.is(keyGroup(Uint8Array.of(GROUP_BYTE, 0, 0, 0, 0, 1)), undefined);
  t.throws(() => entryKey(1, -1));
  t.throws(() => entryKey(1, 1.5));
  t.throws(() => entryKey(0, 1), { message: /group id 0/ });
  t.throws(() => entryKey(groupIdMax + 1, 1));
});

test('parseKey is total: any bytes parse or give a reason, never throw; our keys round-trip', (t) => {
  const groupId = fc.integer({ min: 1, max: groupIdMax });
  const index = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
  const name = fc.string({ minLength: 1, maxLength: 60, unit: 'binary' }).filter((n) => {
    const bytes = new TextEncoder().encode(n).length;
    return bytes >= 1 && bytes <= 255;
  });
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
      const p = parseKey(bytes);
      return typeof p === 'string' || typeof p.kind === 'string';
    }),
    { numRuns: 5_000 },
  );
  // Keys in the group byte's space, where most are near-misses of ours.
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 24 }), (tail) => {
      parseKey(Uint8Array.of(GROUP_BYTE, ...tail));
      return true;
    }),
    { numRuns: 5_000 },
  );
  fc.assert(
    fc.property(groupId, index, fc.integer({ min: 0, max: chunkNumberMax }), name, (g, i, n, m) => {
      t.deepEqual(parseKey(entryKey(g, i)), { kind: 'entry', group: g, index: i });
      t.deepEqual(parseKey(chunkKey(g, i, n)), { kind: 'chunk', group: g, snapshotIndex: i, chunk: n });
      t.deepEqual(parseKey(groupMetaKey(g, m)), { kind: 'meta', group: g, name: m });
      t.deepEqual(parseKey(processMetaKey(m)), { kind: 'processMeta', name: m });
      for (const k of [entryKey(g, i), chunkKey(g, i, n), groupMetaKey(g, m), groupSingletonKey(g, 'logStart')]) {
        t.true(inGroup(k, g));
        t.is(keyGroup(k), g);
        const r = groupRange(g);
        t.true(Buffer.compare(r.gte, k) <= 0 && Buffer.compare(k, r.lt) < 0);
      }
    }),
    { numRuns: 500 },
  );
});

test('entries round-trip; data comes back as a plain Uint8Array', (t) => {
  const normal: Entry = { type: 'normal', index: 42, term: 7, data: Uint8Array.of(0, 1, 255) };
  const back = decodeEntry(42, encodeEntry(normal));
  t.deepEqual(back, normal);
  t.is(back.type === 'normal' ? back.data.constructor : undefined, Uint8Array);
  const empty: Entry = { type: 'normal', index: 1, term: 1, data: new Uint8Array(0) };
  t.deepEqual(decodeEntry(1, encodeEntry(empty)), empty);
  const conf: Entry = { type: 'conf', index: 3, term: 2, change: { type: 'promote', nodeId: 4 } };
  t.deepEqual(decodeEntry(3, encodeEntry(conf)), conf);
});

test('decoders reject values of the wrong shape', (t) => {
  t.throws(() => decodeHardState(Uint8Array.of(0x93, 0x01)), { instanceOf: DecodeError, message: /not MessagePack/ });
  t.throws(() => decodeHardState(Uint8Array.of(0xc1)), { instanceOf: DecodeError });
  t.throws(() => decodeHardState(encodeEntry({ type: 'normal', index: 1, term: 1, data: Uint8Array.of(1) })), { instanceOf: DecodeError });
  t.throws(() => decodeEntry(1, encodeHardState({ term: 1, vote: 2, commit: 3 })), { instanceOf: DecodeError });
  const meta = { index: 5, term: 2, conf: { voters: [2, 1], learners: [] }, chunks: 0, bytes: 0, sha256: new Uint8Array(32) };
  t.throws(() => decodeSnapshotMeta(encodeSnapshotMeta(meta)), { message: /sorted/ });
  t.deepEqual(decodeSnapshotMeta(encodeSnapshotMeta({ ...meta, conf: { voters: [1, 2], learners: [3] } })).conf, { voters: [1, 2], learners: [3] });
});
