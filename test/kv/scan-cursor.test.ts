import test from 'ava';
import fc from 'fast-check';
import { SCAN_START, after, decodeCursor, encodeCursor, keyHash48 } from '../../src/kv/scan-cursor.js';
import { SLOTS, keySlot, keySlotOfLatin1 } from '../../src/sharding/slot.js';

test('cursor 0 is the start, and a position past the last slot encodes as 0 (the end)', (t) => {
  t.is(encodeCursor(SCAN_START), '0');
  t.deepEqual(decodeCursor('0'), SCAN_START);
  t.is(encodeCursor({ slot: SLOTS, hash: 0 }), '0');
});

test('property: a cursor round-trips through its decimal form as slot * 2^48 + hash', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: SLOTS - 1 }), fc.integer({ min: 0, max: 2 ** 48 - 1 }), (slot, hash) => {
      const text = encodeCursor({ slot, hash });
      if (BigInt(text) !== BigInt(slot) * 2n ** 48n + BigInt(hash)) return false;
      const back = decodeCursor(text);
      return back !== undefined && back.slot === slot && back.hash === hash;
    }),
  );
  t.pass();
});

test('a position after a key never encodes as 0, and carries into the next slot at the top hash', (t) => {
  t.not(encodeCursor(after(0, 0)), '0');
  t.deepEqual(after(3, 2 ** 48 - 1), { slot: 4, hash: 0 });
  t.deepEqual(after(SLOTS - 1, 2 ** 48 - 1), { slot: SLOTS, hash: 0 });
});

test('cursors are read as Redis 7 reads them (strtoul): no junk, no leading space, no overflow; a minus wraps', (t) => {
  for (const bad of ['abc', '1.5', '0x10', '18446744073709551616', '1 ', ' 7', '+', '-']) t.is(decodeCursor(bad), undefined, bad);
  t.deepEqual(decodeCursor('+5'), { slot: 0, hash: 5 });
  t.deepEqual(decodeCursor(''), SCAN_START);
  t.deepEqual(decodeCursor('-0'), SCAN_START);
  // -1 is 2^64 - 1: past every slot.
  t.deepEqual(decodeCursor('-1'), { slot: SLOTS, hash: 0 });
  t.deepEqual(decodeCursor('007'), { slot: 0, hash: 7 });
  // A cursor kvstore never gave (beyond the last slot) iterates nothing.
  t.deepEqual(decodeCursor('18446744073709551615'), { slot: SLOTS, hash: 0 });
});

test('keyHash48 is 48 bits, deterministic, and spreads similar keys', (t) => {
  const seen = new Set<number>();
  for (let i = 0; i < 10_000; i++) {
    const h = keyHash48(`key:${i}`);
    t.true(Number.isInteger(h) && h >= 0 && h < 2 ** 48);
    seen.add(h);
  }
  t.is(seen.size, 10_000);
  t.is(keyHash48('abc'), keyHash48('abc'));
});

test('property: keySlotOfLatin1 of a key as latin1 text is keySlot of its bytes (hash tags included)', (t) => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b.map((x) => (x % 5 === 0 ? 0x7b : x % 7 === 0 ? 0x7d : x)))),
      (key) => keySlotOfLatin1(key.toString('latin1')) === keySlot(key),
    ),
    { numRuns: 3000 },
  );
  t.pass();
});
