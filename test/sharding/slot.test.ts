import test from 'ava';
import fc from 'fast-check';
import { crc16, keySlot, SLOTS } from '../../src/sharding/slot.js';

const bytes = (s: string): Uint8Array => Buffer.from(s, 'utf8');

/**
 * An independent CRC-16/XMODEM for the tests: the shift register fed one
 * message bit at a time, most significant bit first, no table.
 */
function crc16BitByBit(data: Uint8Array): number {
  let crc = 0;
  for (const byte of data) {
    for (let b = 7; b >= 0; b--) {
      const feedback = ((crc >> 15) & 1) ^ ((byte >> b) & 1);
      crc = (crc << 1) & 0xffff;
      if (feedback === 1) crc ^= 0x1021;
    }
  }
  return crc;
}

test('crc16 of "123456789" is the CRC-16/XMODEM check value 0x31C3', (t) => {
  t.is(crc16(bytes('123456789')), 0x31c3);
  t.is(crc16BitByBit(bytes('123456789')), 0x31c3);
});

test('crc16 of no bytes is the initial value 0', (t) => {
  t.is(crc16(new Uint8Array(0)), 0);
});

test('crc16 agrees with a bit-by-bit register on every single byte and on random byte strings', (t) => {
  for (let b = 0; b < 256; b++) t.is(crc16(Uint8Array.of(b)), crc16BitByBit(Uint8Array.of(b)), `byte ${b}`);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (data) => crc16(data) === crc16BitByBit(data)));
});

test('crc16 over a range equals crc16 of that subarray', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(), fc.nat(), (data, a, b) => {
      const start = data.length === 0 ? 0 : a % (data.length + 1);
      const end = start + (data.length === start ? 0 : b % (data.length - start + 1));
      return crc16(data, start, end) === crc16(data.subarray(start, end));
    }),
  );
  t.throws(() => crc16(bytes('abc'), 2, 1), { message: /range/ });
  t.throws(() => crc16(bytes('abc'), 0, 4), { message: /range/ });
});

test('well-known Redis key slots (CLUSTER KEYSLOT)', (t) => {
  const known: Array<[string, number]> = [
    ['foo', 12182],
    ['bar', 5061],
    ['hello', 866],
    ['somekey', 11058],
    ['foo{hash_tag}', 2515],
  ];
  for (const [key, slot] of known) t.is(keySlot(bytes(key)), slot, key);
});

test('a key without a usable tag hashes to its bit-by-bit CRC masked to 14 bits', (t) => {
  for (const key of ['foo', 'key:000000000042', 'user:1000', 'a}b{c', '{', '}', '{}', 'x{']) {
    t.is(keySlot(bytes(key)), crc16BitByBit(bytes(key)) & 0x3fff, key);
  }
});

test('keys sharing a hash tag share a slot: {user1000}.following and {user1000}.followers', (t) => {
  const a = keySlot(bytes('{user1000}.following'));
  t.is(a, keySlot(bytes('{user1000}.followers')));
  t.is(a, keySlot(bytes('user1000')));
});

test('hash tags follow Redis: first { to the next }, non-empty, else the whole key', (t) => {
  const whole = (k: string): number => crc16BitByBit(bytes(k)) & 0x3fff;
  const tag = (s: string): number => crc16BitByBit(bytes(s)) & 0x3fff;
  t.is(keySlot(bytes('foo{}{bar}')), whole('foo{}{bar}'), 'an empty first tag hashes the whole key');
  t.is(keySlot(bytes('foo{{bar}}zap')), tag('{bar'), 'the tag runs from the first { to the first } after it');
  t.is(keySlot(bytes('foo{bar}{zap}')), tag('bar'), 'only the first tag counts');
  t.is(keySlot(bytes('foo{bar')), whole('foo{bar'), 'an unclosed { hashes the whole key');
  t.is(keySlot(bytes('foo}bar{')), whole('foo}bar{'), 'a } before the { does not close it');
  t.is(keySlot(bytes('}x{y}')), tag('y'), 'a } before the first { is skipped');
  t.is(keySlot(bytes('{}')), whole('{}'));
});

test('binary keys: any byte values, including NUL and bytes >= 0x80, hash as bytes', (t) => {
  const key = Uint8Array.of(0x00, 0xff, 0x80, 0x7b, 0x01, 0x00, 0x7d, 0xfe);
  // Tag {0x01 0x00} inside binary garbage.
  t.is(keySlot(key), crc16BitByBit(Uint8Array.of(0x01, 0x00)) & 0x3fff);
  const noTag = Uint8Array.of(0xde, 0xad, 0xbe, 0xef);
  t.is(keySlot(noTag), crc16BitByBit(noTag) & 0x3fff);
  // A Buffer view into a larger allocation hashes only its own bytes.
  const big = Buffer.from('xxfooyy');
  t.is(keySlot(big.subarray(2, 5)), 12182);
});

test('the empty key is slot 0', (t) => {
  t.is(keySlot(new Uint8Array(0)), 0);
});

test('every slot is in 0..SLOTS-1', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (key) => {
    const s = keySlot(key);
    return Number.isInteger(s) && s >= 0 && s < SLOTS;
  }));
  t.is(SLOTS, 16384);
});

test('property: keySlot(x{tag}y) equals keySlot(tag) for a non-empty tag without braces', (t) => {
  const noBraces = fc.uint8Array({ minLength: 1, maxLength: 40 }).map((a) => a.map((b) => (b === 0x7b || b === 0x7d ? 0x41 : b)));
  const noOpenBrace = fc.uint8Array({ maxLength: 40 }).map((a) => a.map((b) => (b === 0x7b ? 0x41 : b)));
  fc.assert(
    fc.property(noOpenBrace, noBraces, fc.uint8Array({ maxLength: 40 }), (x, tag, y) => {
      const key = Buffer.concat([x, Uint8Array.of(0x7b), tag, Uint8Array.of(0x7d), y]);
      return keySlot(key) === keySlot(tag);
    }),
  );
  t.pass();
});
