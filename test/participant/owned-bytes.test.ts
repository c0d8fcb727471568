import test from 'ava';
import { ownedBytes } from '../../src/participant/owned-bytes.js';

test('bytes that are their whole buffer are kept as they are', (t) => {
  const whole = new Uint8Array([1, 2, 3]);
  t.is(ownedBytes(whole), whole);
});

test('a view of a bigger buffer (an encoder buffer, the Buffer pool) is copied into a buffer of its own', (t) => {
  const big = Buffer.alloc(1 << 20, 7);
  const view = big.subarray(100, 200);
  const own = ownedBytes(view);
  t.not(own.buffer, big.buffer);
  t.is(own.buffer.byteLength, 100);
  t.deepEqual(Buffer.from(own), Buffer.from(view));
  big[150] = 9;
  t.is(own[50], 7, 'the copy does not change with its source');
  const pooled = Buffer.from('small'); // a slice of the 8 KB pool
  t.true(pooled.buffer.byteLength > pooled.length);
  t.is(ownedBytes(pooled).buffer.byteLength, 5);
});
