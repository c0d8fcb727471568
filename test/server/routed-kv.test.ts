import test from 'ava';
import type { KvAnswer, KvOp, KvService } from '../../src/server/kv-service.js';
import { CrossGroupError, RoutedKv } from '../../src/server/routed-kv.js';
import type { TxnDriver } from '../../src/txn/txn-driver.js';

/** Keys route by their first byte: 'a…' to group 1, 'b…' to group 2. */
const router = { groupOf: (key: Uint8Array) => (key[0] === 0x61 ? 1 : 2) };

function recording(seen: Array<[number, KvOp]>, g: number): KvService {
  return {
    openSession: () => ({
      execute: (op: KvOp): Promise<KvAnswer> => {
        seen.push([g, op]);
        return Promise.resolve(op.type === 'del' ? { type: 'count', n: op.keys.length } : { type: 'ok' });
      },
      close: () => {},
    }),
  };
}

test('each command goes whole to the service of its key\'s group', async (t) => {
  const seen: Array<[number, KvOp]> = [];
  const kv = new RoutedKv(router, new Map([[1, recording(seen, 1)], [2, recording(seen, 2)]]));
  const s = kv.openSession();
  await s.execute({ type: 'set', key: Buffer.from('a1'), values: [Buffer.from('x')] });
  await s.execute({ type: 'get', key: Buffer.from('b1') });
  t.deepEqual(await s.execute({ type: 'del', keys: [Buffer.from('b1'), Buffer.from('b2')] }), { type: 'count', n: 2 });
  t.deepEqual(seen.map(([g, op]) => [g, op.type]), [[1, 'set'], [2, 'get'], [2, 'del']]);
});

test('a DEL over several groups is refused before any group sees it', async (t) => {
  const seen: Array<[number, KvOp]> = [];
  const kv = new RoutedKv(router, new Map([[1, recording(seen, 1)], [2, recording(seen, 2)]]));
  const err = await t.throwsAsync(kv.openSession().execute({ type: 'del', keys: [Buffer.from('a1'), Buffer.from('b1'), Buffer.from('a2')] }));
  t.true(err instanceof CrossGroupError);
  t.deepEqual((err as CrossGroupError).groups, [1, 2]);
  t.deepEqual(seen, []);
});

test('an MGET of independent reads (WATCH) reads each group alone, without a transaction, answers in the order asked', async (t) => {
  const seen: Array<[number, KvOp]> = [];
  const reads = (g: number): KvService => ({
    openSession: () => ({
      execute: (op: KvOp): Promise<KvAnswer> => {
        seen.push([g, op]);
        if (op.type !== 'mget') return Promise.reject(new Error(`unexpected ${op.type}`));
        return Promise.resolve({ type: 'multi', values: op.keys.map((k) => (k.toString().endsWith('missing') ? undefined : [Buffer.from(`${g}:${k.toString()}`)])) });
      },
      close: () => {},
    }),
  });
  // No transaction driver: an atomic MGET over two groups would be refused; this one is not.
  const kv = new RoutedKv(router, new Map([[1, reads(1)], [2, reads(2)]]));
  const keys = ['b1', 'a1', 'bmissing', 'a2'].map((k) => Buffer.from(k));
  const a = await kv.openSession().execute({ type: 'mget', keys, eachKey: true });
  t.deepEqual(a, { type: 'multi', values: [[Buffer.from('2:b1')], [Buffer.from('1:a1')], undefined, [Buffer.from('1:a2')]] });
  t.deepEqual(seen.map(([g, op]) => [g, op.type === 'mget' ? op.keys.map(String) : []]).sort(), [[1, ['a1', 'a2']], [2, ['b1', 'bmissing']]]);
  await t.throwsAsync(kv.openSession().execute({ type: 'mget', keys }), { instanceOf: CrossGroupError });
});

test('a command to a group first sends the spread steps the driver holds for it (a RESOLVE that unlocks its keys), in the same tick', async (t) => {
  const seen: Array<[number, KvOp]> = [];
  const order: string[] = [];
  const txn = { flushSpread: (g: number) => order.push(`flush ${g}`) } as unknown as TxnDriver;
  const logging = (g: number): KvService => ({
    openSession: () => {
      const inner = recording(seen, g).openSession();
      return { execute: (op) => (order.push(`${op.type} ${g}`), inner.execute(op)), close: () => {} };
    },
  });
  const kv = new RoutedKv(router, new Map([[1, logging(1)], [2, logging(2)]]), { requestTimeoutMs: 1_000, txn });
  const s = kv.openSession();
  await s.execute({ type: 'get', key: Buffer.from('b1') });
  await s.execute({ type: 'set', key: Buffer.from('a1'), values: [Buffer.from('x')] });
  t.deepEqual(order, ['flush 2', 'get 2', 'flush 1', 'set 1']);
});
