import test from 'ava';
import { SCAN_START, type ScanPosition } from '../../src/kv/scan-cursor.js';
import type { KvAnswer, KvOp, KvService } from '../../src/server/kv-service.js';
import { RoutedKv } from '../../src/server/routed-kv.js';
import { makeLayout, slotRange } from '../../src/sharding/layout.js';
import { SlotRouter } from '../../src/sharding/router.js';
import { SLOTS, keySlot } from '../../src/sharding/slot.js';
import { MemoryKv } from '../helpers/memory-kv.js';

const layout = makeLayout(['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'], { groups: 3 });

/** Three groups, each an in-memory store that records the scan ops it got. */
function cluster(): { kv: RoutedKv; groups: Map<number, MemoryKv> } {
  const groups = new Map([1, 2, 3].map((g) => [g, new MemoryKv()] as const));
  return { kv: new RoutedKv(new SlotRouter(layout), groups), groups };
}

async function scanAll(kv: RoutedKv, count: number): Promise<{ keys: string[]; calls: number }> {
  const s = kv.openSession();
  const keys: string[] = [];
  let at: ScanPosition | undefined = SCAN_START;
  let calls = 0;
  while (at !== undefined) {
    const a: KvAnswer = await s.execute({ type: 'scan', from: at, toSlot: SLOTS, count, match: undefined });
    if (a.type !== 'scan') throw new Error(a.type);
    keys.push(...a.keys.map((k) => k.toString()));
    at = a.next;
    calls++;
  }
  return { keys, calls };
}

test('SCAN walks the groups in slot order, each asked only for its own slot range', async (t) => {
  const { kv, groups } = cluster();
  const s = kv.openSession();
  const names = Array.from({ length: 90 }, (_, i) => `k${i}`);
  for (const k of names) await s.execute({ type: 'set', key: Buffer.from(k), values: [Buffer.from('v')] });
  const { keys } = await scanAll(kv, 10);
  t.deepEqual([...keys].sort(), [...names].sort());
  const slots = keys.map((k) => keySlot(Buffer.from(k)));
  t.deepEqual(slots, [...slots].sort((a, b) => a - b));
  for (const [g, m] of groups) {
    const range = slotRange(layout, g);
    for (const op of m.ops) if (op.type === 'scan') t.true(op.from.slot >= range.first && op.toSlot <= range.last + 1, `group ${g} asked for slots ${op.from.slot}..${op.toSlot}`);
  }
});

test('one SCAN call goes on into the next groups until COUNT keys were looked at, so COUNT 1000 over a small keyspace is one call', async (t) => {
  const { kv } = cluster();
  const s = kv.openSession();
  for (let i = 0; i < 30; i++) await s.execute({ type: 'set', key: Buffer.from(`k${i}`), values: [Buffer.from('v')] });
  const { keys, calls } = await scanAll(kv, 1000);
  t.is(keys.length, 30);
  t.is(calls, 1);
});

test('WAIT asks the groups the session wrote to, and answers the least count', async (t) => {
  const asked: number[] = [];
  const service = (g: number, n: number): KvService => ({
    openSession: () => ({
      execute: (op: KvOp): Promise<KvAnswer> => {
        if (op.type === 'replicas') asked.push(g);
        return Promise.resolve(op.type === 'replicas' ? { type: 'replicas', n } : { type: 'ok' });
      },
      close: () => {},
    }),
  });
  const kv = new RoutedKv(new SlotRouter(layout), new Map([[1, service(1, 2)], [2, service(2, 1)], [3, service(3, 0)]]));
  const s = kv.openSession();
  // No write yet: every group is asked.
  t.deepEqual(await s.execute({ type: 'replicas' }), { type: 'replicas', n: 0 });
  t.deepEqual(asked.sort(), [1, 2, 3]);
  asked.length = 0;
  // {b} is in group 1, {c} in group 2.
  await s.execute({ type: 'set', key: Buffer.from('{b}x'), values: [Buffer.from('v')] });
  t.deepEqual(await s.execute({ type: 'replicas' }), { type: 'replicas', n: 2 });
  await s.execute({ type: 'set', key: Buffer.from('{c}x'), values: [Buffer.from('v')] });
  t.deepEqual(await s.execute({ type: 'replicas' }), { type: 'replicas', n: 1 });
  t.deepEqual(asked, [1, 1, 2]);
});

test('with one group and a router that knows no slots (the lab shape), SCAN covers every slot in that group', async (t) => {
  const only = new MemoryKv();
  const kv = new RoutedKv({ groupOf: () => 1 }, new Map([[1, only]]));
  const s = kv.openSession();
  for (let i = 0; i < 40; i++) await s.execute({ type: 'set', key: Buffer.from(`k${i}`), values: [Buffer.from('v')] });
  t.is((await scanAll(kv, 7)).keys.length, 40);
  const two = new RoutedKv({ groupOf: () => 1 }, new Map([[1, only], [2, new MemoryKv()]]));
  await t.throwsAsync(two.openSession().execute({ type: 'scan', from: SCAN_START, toSlot: SLOTS, count: 10, match: undefined }), { message: /needs a router that knows slot ranges/ });
});
