import test from 'ava';
import { Level } from 'level';
import type { Entry } from '../../raft/types.js';
import { DecodeError, decodeEntry, decodeHardState, decodeSnapshotMeta, encodeEntry, encodeHardState, encodeSnapshotMeta } from '../../storage/codec.js';
import { chunkKey, entryKey, KEY_KINDS, kindRange, metaKey, parseKey } from '../../storage/keys.js';
import { tempDir } from './helpers.js';

test('entry keys sort numerically in LevelDB (big-endian, fixed width)', async (t) => {
  const indexes = [1, 2, 9, 10, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER];
  const db = new Level<Uint8Array, Uint8Array>(tempDir(t), { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  const batch = db.batch();
  for (const i of [...indexes].reverse()) batch.put(entryKey(i), Uint8Array.of(1));
  batch.put(chunkKey(1, 0), Uint8Array.of(2)); // another kind sorts after every entry
  batch.put(metaKey('group'), Uint8Array.of(3));
  await batch.write();
  const seen: number[] = [];
  for await (const k of db.keys(kindRange('entry'))) {
    const p = parseKey(k);
    if (typeof p !== 'string' && p.kind === 'entry') seen.push(p.index);
  }
  await db.close();
  t.deepEqual(seen, indexes);
});

test('keys parse back, and foreign keys are named as such', (t) => {
  t.deepEqual(parseKey(entryKey(2 ** 33 + 5)), { kind: 'entry', index: 2 ** 33 + 5 });
  t.deepEqual(parseKey(chunkKey(77, 3)), { kind: 'chunk', snapshotIndex: 77, chunk: 3 });
  t.deepEqual(parseKey(metaKey('grüße')), { kind: 'meta', name: 'grüße' });
  t.deepEqual(parseKey(Uint8Array.of(KEY_KINDS.hardState)), { kind: 'hardState' });
  t.regex(parseKey(new TextEncoder().encode('user:1')) as string, /unknown key 0x75736572/);
  t.regex(parseKey(Uint8Array.of(KEY_KINDS.entry, 1, 2)) as string, /malformed entry key/);
  t.throws(() => entryKey(-1));
  t.throws(() => entryKey(1.5));
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
