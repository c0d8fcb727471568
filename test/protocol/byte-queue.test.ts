import test from 'ava';
import fc from 'fast-check';
import { ByteQueue } from '../../src/protocol/byte-queue.js';

function queueOf(...parts: string[]): ByteQueue {
  const q = new ByteQueue();
  for (const p of parts) q.push(Buffer.from(p, 'latin1'));
  return q;
}

test('indexOf finds bytes across chunk boundaries within [from, end)', (t) => {
  const q = queueOf('ab', '', 'c\nd', 'e\n');
  t.is(q.length, 7);
  t.is(q.indexOf(0x0a, 0, 100), 3);
  t.is(q.indexOf(0x0a, 4, 100), 6);
  t.is(q.indexOf(0x0a, 0, 3), -1);
  t.is(q.indexOf(0x0a, 7, 100), -1);
  q.skip(1);
  t.is(q.indexOf(0x0a, 0, 100), 2);
  t.is(q.byteAt(2), 0x0a);
});

test('take copies across chunks; skip releases consumed chunks', (t) => {
  const q = queueOf('hel', 'lo ', 'world');
  t.is(q.take(4).toString(), 'hell');
  q.skip(2);
  t.is(q.take(5).toString(), 'world');
  t.is(q.length, 0);
  t.throws(() => q.take(1));
  t.throws(() => q.byteAt(0));
});

test('property: the queue reads back exactly the bytes pushed, in any split', (t) => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 10 }), { maxLength: 20 }), fc.array(fc.nat(7), { maxLength: 30 }), (parts, takes) => {
      const q = new ByteQueue();
      const all = Buffer.concat(parts.map((p) => Buffer.from(p)));
      for (const p of parts) q.push(Buffer.from(p));
      let pos = 0;
      for (const n of takes) {
        const k = Math.min(n, all.length - pos);
        if (k > 0 && q.byteAt(k - 1) !== all[pos + k - 1]) return false;
        const nl = all.indexOf(all[pos] ?? 0, pos);
        if (pos < all.length && q.indexOf(all[pos]!, 0, Infinity) !== nl - pos) return false;
        if (!q.take(k).equals(all.subarray(pos, pos + k))) return false;
        pos += k;
      }
      return q.length === all.length - pos;
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('many small chunks consumed one by one do not accumulate', (t) => {
  const q = new ByteQueue();
  for (let i = 0; i < 10_000; i++) {
    q.push(Buffer.from([i & 0xff]));
    t.is(q.take(1)[0], i & 0xff);
  }
  t.is(q.length, 0);
});
