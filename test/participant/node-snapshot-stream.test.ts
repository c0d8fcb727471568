import test from 'ava';
import { Packr } from 'msgpackr';
import { encode } from '../../src/kv/kv-command.js';
import { snapshotKeysPerChunk } from '../../src/participant/kv-state-machine.js';
import { NodeStateMachine } from '../../src/participant/node-state-machine.js';

/** A member's state machine with two addresses and `keys` keys. */
function populated(keys: number): NodeStateMachine {
  const sm = new NodeStateMachine(new Map([[1, '127.0.0.1:7001'], [2, '127.0.0.1:7002']]));
  for (let i = 0; i < keys; i++) {
    sm.applyEntry(i + 1, encode({ op: 'set', clientId: 'c', seq: i + 1, key: Buffer.from(`key:${i}`), values: [Buffer.alloc(100, i & 255)] }));
  }
  return sm;
}

async function* piecesOf(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

test('restoreFrom: the snapshot read back in pieces cut anywhere restores what restore() does', async (t) => {
  const keys = snapshotKeysPerChunk * 3 + 5;
  const sm = populated(keys);
  const bytes = sm.snapshot();
  // 1 MiB: the store's chunk size; 3 bytes: the magic and header length are cut too.
  for (const size of [1 << 20, 65_536, 3]) {
    const copy = new NodeStateMachine(new Map());
    await copy.restoreFrom(piecesOf(bytes, size));
    t.deepEqual(Buffer.from(copy.snapshot()), Buffer.from(bytes), `pieces of ${size} bytes`);
    t.deepEqual([...copy.addresses], [...sm.addresses]);
    t.is(copy.kv.appliedIndex, keys);
  }
});

test('restoreFrom: a format-1 snapshot is gathered and restored; a cut-short one is refused', async (t) => {
  const sm = populated(50);
  const v1 = new Packr({ useRecords: false }).pack({ v: 1, addresses: [...sm.addresses.entries()], kv: sm.kv.snapshot() });
  const copy = new NodeStateMachine(new Map());
  await copy.restoreFrom(piecesOf(v1, 100));
  t.is(copy.kv.size, 50);
  t.deepEqual([...copy.addresses], [...sm.addresses]);

  const bytes = sm.snapshot();
  await t.throwsAsync(new NodeStateMachine(new Map()).restoreFrom(piecesOf(bytes.subarray(0, bytes.length - 7), 1000)), { message: /truncated/ });
  await t.throwsAsync(new NodeStateMachine(new Map()).restoreFrom(piecesOf(bytes.subarray(0, 6), 1000)));
});
