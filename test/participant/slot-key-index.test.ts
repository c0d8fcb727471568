import test from 'ava';
import fc from 'fast-check';
import { SCAN_START, type ScanPosition } from '../../src/kv/scan-cursor.js';
import { SlottedMap } from '../../src/participant/slot-key-index.js';
import { KvStateMachine } from '../../src/participant/kv-state-machine.js';
import { encode } from '../../src/kv/kv-command.js';
import { SLOTS, keySlot } from '../../src/sharding/slot.js';

/** Every key a full iteration returns, calling with `count` each time; `between` runs after each call. */
function iterate(m: SlottedMap<string>, count: number, between: (calls: number) => void = () => {}): { keys: string[]; calls: number } {
  const keys: string[] = [];
  let at: ScanPosition | undefined = SCAN_START;
  let calls = 0;
  while (at !== undefined) {
    const r = m.index.scan(at, SLOTS, count, () => true);
    keys.push(...r.keys);
    calls++;
    between(calls);
    at = r.next;
  }
  return { keys, calls };
}

test('a full scan returns every key once, in slot order, in calls of about count keys', (t) => {
  const m = new SlottedMap<string>();
  for (let i = 0; i < 2000; i++) m.set(`k${i}`, 'v');
  const { keys, calls } = iterate(m, 50);
  t.is(keys.length, 2000);
  t.is(new Set(keys).size, 2000);
  const slots = keys.map((k) => keySlot(Buffer.from(k)));
  t.deepEqual(slots, [...slots].sort((a, b) => a - b));
  t.true(calls >= 40 && calls <= 42, `calls ${calls}`);
});

test('keys of one slot (a hash tag) are split over calls and resume by hash, the big slot sorted once', (t) => {
  const m = new SlottedMap<string>();
  for (let i = 0; i < 3000; i++) m.set(`{tag}${i}`, 'v');
  const { keys, calls } = iterate(m, 100);
  t.is(new Set(keys).size, 3000);
  t.is(keys.length, 3000);
  t.true(calls >= 30);
});

test('deletes and overwrites keep the index in step with the map', (t) => {
  const m = new SlottedMap<string>();
  m.set('a', '1').set('b', '2').set('a', '3');
  t.is(m.index.size, 2);
  t.true(m.delete('a'));
  t.false(m.delete('a'));
  t.is(m.index.size, 1);
  m.index.checkInvariants(m.keys());
  m.clear();
  t.is(m.index.size, 0);
  t.deepEqual(iterate(m, 10).keys, []);
});

test('property: a key present for the whole iteration is returned, whatever is added and removed between calls', (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.stringOf(fc.constantFrom('a', 'b', 'c', '{', '}', 'x'), { minLength: 1, maxLength: 5 }), { maxLength: 150 }),
      fc.array(fc.tuple(fc.boolean(), fc.stringOf(fc.constantFrom('a', 'b', 'c', '{', '}', 'y'), { minLength: 1, maxLength: 5 })), { maxLength: 150 }),
      fc.integer({ min: 1, max: 20 }),
      (initial, churn, count) => {
        const m = new SlottedMap<string>();
        for (const k of initial) m.set(k, 'v');
        const stable = new Set(initial);
        let step = 0;
        const { keys } = iterate(m, count, () => {
          // Between calls: adds and removes keys, never one of the stable ones... unless removed, then it is no longer stable.
          for (let i = 0; i < 3 && step < churn.length; i++, step++) {
            const [add, k] = churn[step]!;
            if (add) m.set(k, 'w');
            else {
              m.delete(k);
              stable.delete(k);
            }
          }
        });
        m.index.checkInvariants(m.keys());
        const got = new Set(keys);
        return [...stable].every((k) => got.has(k));
      },
    ),
    { numRuns: 300 },
  );
  t.pass();
});

test('the state machine scans its applied keys, leaves out expired ones and those MATCH rejects, and restores its index from a snapshot', (t) => {
  const sm = new KvStateMachine();
  let index = 0;
  const run = (cmd: Parameters<typeof encode>[0]): void => void sm.apply(++index, encode(cmd));
  run({ op: 'mset', clientId: 'c', seq: 1, pairs: [[Buffer.from('user:1'), Buffer.from('a')], [Buffer.from('user:2'), Buffer.from('b')], [Buffer.from('other'), Buffer.from('c')]] });
  run({ op: 'str', clientId: 'c', seq: 2, key: Buffer.from('user:3'), change: { kind: 'set', value: Buffer.from('x'), cond: 'any', get: false, ttl: { t: 'in', ms: 1000 } }, nowMs: 1_000 });
  const all = (s: KvStateMachine, match?: string, nowMs = 1_500): string[] =>
    s.scan(SCAN_START, SLOTS, 1000, match === undefined ? undefined : Buffer.from(match), nowMs).keys.map((k) => k.toString()).sort();
  t.deepEqual(all(sm), ['other', 'user:1', 'user:2', 'user:3']);
  t.deepEqual(all(sm, 'user:*'), ['user:1', 'user:2', 'user:3']);
  t.deepEqual(all(sm, 'user:*', 2_500), ['user:1', 'user:2']);
  run({ op: 'del', clientId: 'c', seq: 3, keys: [Buffer.from('user:1')] });
  const restored = KvStateMachine.restore(sm.snapshot());
  restored.checkInvariants();
  t.deepEqual(all(restored), ['other', 'user:2', 'user:3']);
});

test('a scan step stops once its keys reach SCAN_REPLY_BYTES_MAX, and the next one resumes after them', (t) => {
  const m = new SlottedMap<string>();
  const big = 'x'.repeat(100_000);
  for (let i = 0; i < 30; i++) m.set(`${big}${i}`, 'v');
  const first = m.index.scan(SCAN_START, SLOTS, 1000, () => true);
  t.true(first.keys.length >= 11 && first.keys.length <= 12, `${first.keys.length} keys`);
  t.not(first.next, undefined);
  t.is(new Set(iterate(m, 1000).keys).size, 30);
});
