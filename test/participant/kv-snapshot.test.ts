import test from 'ava';
import { InvariantError } from '../../raft/assert.js';
import { encode, kvPackr } from '../../src/kv/kv-command.js';
import { KvStateMachine, SnapshotRestorer, snapshotKeysPerChunk } from '../../src/participant/kv-state-machine.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const limits = { sessionsMax: 50, windowSeqs: 8 };

/** A state machine with binary data, multi-value keys, deletes and several sessions. */
function populated(keys: number): KvStateMachine {
  const sm = new KvStateMachine(limits);
  let i = 0;
  for (; i < keys; i++) {
    const values = i % 5 === 0 ? [b(`v${i}`), Buffer.from([0, 13, 10, 255])] : [Buffer.from([i & 255, 0x0d, 0x0a, 0x80, 0])];
    sm.apply(i + 1, encode({ op: 'set', clientId: `client-${i % 7}`, seq: Math.floor(i / 7) + 1, key: b(`key\r\n${i}`), values }));
  }
  sm.apply(i + 1, encode({ op: 'del', clientId: 'deleter', seq: 1, keys: [b('key\r\n0'), b('key\r\n1'), b('none')] }));
  sm.apply(i + 2, new Uint8Array(0));
  return sm;
}

function sameState(t: import('ava').ExecutionContext, a: KvStateMachine, c: KvStateMachine, keys: number): void {
  t.is(c.appliedIndex, a.appliedIndex);
  t.is(c.size, a.size);
  t.is(c.sessionCount, a.sessionCount);
  for (let i = 0; i < keys; i++) {
    const k = b(`key\r\n${i}`);
    const want = a.get(k);
    const got = c.get(k);
    if (want === undefined) t.is(got, undefined);
    else if (got === undefined || !got.every((x, j) => x.equals(want[j] as Buffer)) || got.length !== want.length) t.fail(`key ${i} differs`);
  }
  c.checkInvariants();
}

test('snapshot -> restore gives the same keys, values, applied index and sessions', (t) => {
  const sm = populated(300);
  const copy = KvStateMachine.restore(sm.snapshot(), limits);
  sameState(t, sm, copy, 300);
  t.deepEqual(Buffer.from(copy.snapshot()), Buffer.from(sm.snapshot()), 'restoring is lossless, order included');
});

test('a retry after restore still gets the cached result and is not re-applied', (t) => {
  const sm = populated(50);
  const retry = encode({ op: 'del', clientId: 'deleter', seq: 1, keys: [b('key\r\n0'), b('key\r\n1'), b('none')] });
  const copy = KvStateMachine.restore(sm.snapshot(), limits);
  const reset = encode({ op: 'set', clientId: 'x', seq: 1, key: b('key\r\n0'), values: [b('back')] });
  copy.apply(copy.appliedIndex + 1, reset);
  t.deepEqual(copy.apply(copy.appliedIndex + 1, retry), [{ type: 'count', n: 2 }]);
  t.deepEqual(copy.get(b('key\r\n0')), [b('back')]);
  t.is(copy.appliedIndex, sm.appliedIndex + 2, 'applies continue from the snapshot index');
});

test('chunks: several key chunks, restore from chunks and with the push restorer', (t) => {
  const keys = snapshotKeysPerChunk * 2 + 17;
  const sm = populated(keys);
  const chunks = Array.from(sm.snapshotChunks());
  t.is(chunks.length, 1 + 1 + 1 + 1 + 3, 'header, one sessions chunk, the txns chunk, the expires chunk, three key chunks');
  sameState(t, sm, KvStateMachine.restoreChunks(chunks, limits), keys);
  const r = new SnapshotRestorer(limits);
  for (const c of chunks) r.pushEncoded(c);
  sameState(t, sm, r.finish(), keys);
});

test('pushBytes: the snapshot cut anywhere restores the same state; cut short, it is refused', (t) => {
  const keys = snapshotKeysPerChunk * 2 + 17;
  const sm = populated(keys);
  const bytes = Buffer.from(sm.snapshot());
  for (const [piece, batch] of [[333, 1000], [1 << 20, 4 << 20], [bytes.length, 1]] as const) {
    const r = new SnapshotRestorer(limits, batch);
    for (let at = 0; at < bytes.length; at += piece) r.pushBytes(bytes.subarray(at, at + piece));
    sameState(t, sm, r.finish(), keys);
  }
  const short = new SnapshotRestorer(limits, 1000);
  t.throws(
    () => {
      for (let at = 0; at < bytes.length - 10; at += 333) short.pushBytes(bytes.subarray(at, Math.min(at + 333, bytes.length - 10)));
      short.finish();
    },
    { instanceOf: InvariantError, message: /truncated/ },
  );
});

test('in-place restore replaces all state (InstallSnapshot)', (t) => {
  const source = populated(40);
  const target = new KvStateMachine(limits);
  target.apply(1, encode({ op: 'set', clientId: 'z', seq: 1, key: b('only-here'), values: [b('x')] }));
  target.restore(source.snapshot());
  t.is(target.get(b('only-here')), undefined);
  sameState(t, source, target, 40);
});

test('a truncated or foreign snapshot is refused', (t) => {
  const sm = populated(snapshotKeysPerChunk + 5);
  const chunks = Array.from(sm.snapshotChunks());
  t.throws(() => KvStateMachine.restoreChunks(chunks.slice(0, -1), limits), { instanceOf: InvariantError, message: /truncated/ });
  t.throws(() => KvStateMachine.restoreChunks(chunks.slice(1), limits), { instanceOf: InvariantError, message: /header/ });
  t.throws(() => KvStateMachine.restore(sm.snapshot(), { sessionsMax: 50, windowSeqs: 64 }), { instanceOf: InvariantError, message: /session limits/ });
  t.throws(() => KvStateMachine.restoreChunks([kvPackr.pack({ type: 'header', version: 99 })], limits), { message: /version 99/ });
});

test('a frozen snapshot is the state at freeze time, whatever is applied while it is encoded', (t) => {
  const keys = snapshotKeysPerChunk + 5;
  const sm = populated(keys);
  const before = KvStateMachine.restore(sm.snapshot(), limits);
  const frozen = sm.freeze();
  const it = frozen.chunks();
  const chunks = [it.next().value as Uint8Array];
  // Overwrite (one value and several), delete and add keys, and open a new session, mid-encoding.
  let index = sm.appliedIndex;
  sm.apply(++index, encode({ op: 'set', clientId: 'late', seq: 1, key: b('key\r\n2'), values: [b('new')] }));
  sm.apply(++index, encode({ op: 'set', clientId: 'late', seq: 2, key: b('key\r\n5'), values: [b('x'), b('y')] }));
  sm.apply(++index, encode({ op: 'del', clientId: 'late', seq: 3, keys: [b('key\r\n3')] }));
  sm.apply(++index, encode({ op: 'set', clientId: 'late', seq: 4, key: b('brand new'), values: [b('z')] }));
  for (let n = it.next(); n.done !== true; n = it.next()) chunks.push(n.value);
  const restored = KvStateMachine.restoreChunks(chunks, limits);
  sameState(t, before, restored, keys);
  t.is(restored.get(b('brand new')), undefined);
  t.is(frozen.appliedIndex, before.appliedIndex);
  t.deepEqual(Buffer.concat(chunks), Buffer.from(before.snapshot()), 'the same bytes as a snapshot taken at that index');
});

test('an empty state machine round-trips', (t) => {
  const sm = new KvStateMachine();
  const copy = KvStateMachine.restore(sm.snapshot());
  t.is(copy.appliedIndex, 0);
  t.is(copy.size, 0);
});
