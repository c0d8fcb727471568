import test from 'ava';
import fc from 'fast-check';
import { groupReplicas, makeLayout, slotRange } from '../../src/sharding/layout.js';
import { SlotRouter } from '../../src/sharding/router.js';
import { keySlot } from '../../src/sharding/slot.js';

const b = (s: string): Buffer => Buffer.from(s);
const three = new SlotRouter(makeLayout(['127.0.0.1:8002', '127.0.0.1:8003', '127.0.0.1:8004']));

test('a key goes to the group whose slot range holds its slot', (t) => {
  // 3 groups: 0..5461, 5462..10922, 10923..16383.
  t.is(three.slotOf(b('hello')), 866);
  t.is(three.groupOf(b('hello')), 1);
  t.is(three.slotOf(b('bar')), 5061);
  t.is(three.groupOf(b('bar')), 1);
  t.is(three.slotOf(b('foo')), 12182);
  t.is(three.groupOf(b('foo')), 3);
  t.is(three.groupOf(b('somekey')), 3); // 11058
  t.is(three.groupOf(b('foo{hash_tag}')), 1); // 2515
  t.is(three.groupOf(new Uint8Array(0)), 1); // slot 0
});

test('property: groupOf agrees with slotRange for any key and layout', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 16384 }), fc.uint8Array({ maxLength: 30 }), (n, key) => {
      const router = new SlotRouter(makeLayout(['127.0.0.1:1'], { groups: n }));
      const g = router.groupOf(key);
      const { first, last } = slotRange(router.layout, g);
      const slot = keySlot(key);
      return g >= 1 && g <= n && first <= slot && slot <= last;
    }),
  );
  t.pass();
});

test('keys with the same hash tag go to one group', (t) => {
  const router = new SlotRouter(makeLayout(['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'], { groups: 1000 }));
  const groups = router.groupsOf(['{user1000}.following', '{user1000}.followers', '{user1000}'].map(b));
  t.deepEqual([...groups], [[router.groupOf(b('user1000')), [0, 1, 2]]]);
});

test('groupsOf: each group lists the indexes of its keys in the order given; groups in ascending id order', (t) => {
  // foo -> 3, hello -> 1, somekey -> 3, bar -> 1, and again foo.
  const groups = three.groupsOf(['foo', 'hello', 'somekey', 'bar', 'foo'].map(b));
  t.deepEqual([...groups], [[1, [1, 3]], [3, [0, 2, 4]]]);
  t.deepEqual([...three.groupsOf([])], []);
});

test('property: groupsOf partitions the key indexes', (t) => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 12 }), { maxLength: 50 }), (keys) => {
      const groups = three.groupsOf(keys);
      const seen = [...groups.values()].flat().sort((x, y) => x - y);
      if (JSON.stringify(seen) !== JSON.stringify(keys.map((_, i) => i))) return false;
      const ids = [...groups.keys()];
      if (JSON.stringify(ids) !== JSON.stringify([...ids].sort((x, y) => x - y))) return false;
      for (const [g, idx] of groups) {
        if (idx.some((i, k) => (k > 0 && i <= idx[k - 1]!) || three.groupOf(keys[i]!) !== g)) return false;
      }
      return true;
    }),
  );
  t.pass();
});

test('replicasOf and slotRangeOf answer from the layout', (t) => {
  const router = new SlotRouter(makeLayout(['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'], { groups: 4, replicas: 2 }));
  t.deepEqual([1, 2, 3, 4].map((g) => router.replicasOf(g)), [1, 2, 3, 4].map((g) => groupReplicas(router.layout, g)));
  t.deepEqual(router.replicasOf(4), [1, 2]);
  t.deepEqual(router.slotRangeOf(4), { first: 12288, last: 16383 });
  t.throws(() => router.replicasOf(5), { message: 'group 5 is not in 1..4' });
  t.throws(() => router.replicasOf(0), { message: 'group 0 is not in 1..4' });
});
