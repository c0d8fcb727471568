import test from 'ava';
import { NULL, NULL_ARRAY, array, bool, bulk, double, encodeValue, error, int, map, set, simple, verbatim } from '../../src/redis/resp-value.js';
import type { Proto, RespValue } from '../../src/redis/resp-value.js';

const enc = (v: RespValue, proto: Proto): string => encodeValue(v, proto).toString('latin1');

test('simple strings, errors, integers and bulk strings are the same in RESP2 and RESP3', (t) => {
  for (const proto of [2, 3] as const) {
    t.is(enc(simple('OK'), proto), '+OK\r\n');
    t.is(enc(error('ERR syntax error'), proto), '-ERR syntax error\r\n');
    t.is(enc(int(-42), proto), ':-42\r\n');
    t.is(enc(int(9223372036854775807n), proto), ':9223372036854775807\r\n');
    t.is(enc(bulk('héllo'), proto), '$6\r\nh\xc3\xa9llo\r\n');
    t.is(enc(bulk(Buffer.alloc(0)), proto), '$0\r\n\r\n');
  }
});

test('a CR or LF in a status or error text becomes a space, so the reply never splits (as Redis)', (t) => {
  t.is(enc(error('ERR bad\r\nthing'), 2), '-ERR bad  thing\r\n');
  t.is(enc(simple('a\nb'), 3), '+a b\r\n');
});

test('null is $-1 in RESP2 and _ in RESP3; a null array is *-1 in RESP2', (t) => {
  t.is(enc(NULL, 2), '$-1\r\n');
  t.is(enc(NULL, 3), '_\r\n');
  t.is(enc(NULL_ARRAY, 2), '*-1\r\n');
  t.is(enc(NULL_ARRAY, 3), '_\r\n');
});

test('a map is %N in RESP3 and a flat array of 2N in RESP2', (t) => {
  const m = map([['proto', int(3)], ['modules', array([])]]);
  t.is(enc(m, 3), '%2\r\n$5\r\nproto\r\n:3\r\n$7\r\nmodules\r\n*0\r\n');
  t.is(enc(m, 2), '*4\r\n$5\r\nproto\r\n:3\r\n$7\r\nmodules\r\n*0\r\n');
});

test('sets, verbatim strings, doubles and booleans fall back to RESP2 shapes', (t) => {
  t.is(enc(set([simple('a')]), 3), '~1\r\n+a\r\n');
  t.is(enc(set([simple('a')]), 2), '*1\r\n+a\r\n');
  t.is(enc(verbatim('# Server\r\n'), 3), '=14\r\ntxt:# Server\r\n\r\n');
  t.is(enc(verbatim('# Server\r\n'), 2), '$10\r\n# Server\r\n\r\n');
  t.is(enc(double(1.5), 3), ',1.5\r\n');
  t.is(enc(double(Infinity), 3), ',inf\r\n');
  t.is(enc(double(1.5), 2), '$3\r\n1.5\r\n');
  t.is(enc(bool(true), 3), '#t\r\n');
  t.is(enc(bool(false), 2), ':0\r\n');
});

test('nested arrays encode depth first', (t) => {
  t.is(enc(array([int(1), array([bulk('x'), NULL])]), 2), '*2\r\n:1\r\n*2\r\n$1\r\nx\r\n$-1\r\n');
});

test('an integer that is not safe is a programmer error', (t) => {
  t.throws(() => encodeValue(int(2 ** 60), 2), { message: /not a safe integer/ });
});
