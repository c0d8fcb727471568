import test from 'ava';
import {
  LAB_ERROR_REPLY,
  LAB_NIL_REPLY,
  OK_REPLY,
  PONG_REPLY,
  encodeBulkArray,
  encodeBulkString,
  encodeError,
  encodeInteger,
  encodeReply,
  encodeRequest,
  encodeSimpleString,
} from '../../src/protocol/resp-encoder.js';

const s = (buf: Buffer) => buf.toString('latin1');

test('lab replies are byte for byte: +OK, +PONG, -ERROR, nil', (t) => {
  t.is(s(OK_REPLY), '+OK\r\n');
  t.is(s(PONG_REPLY), '+PONG\r\n');
  t.is(s(LAB_ERROR_REPLY), '-ERROR\r\n');
  t.is(s(LAB_NIL_REPLY), '*1\r\n$3\r\nnil\r\n');
});

test('GET reply: an array of bulk strings, exactly as the lab shows', (t) => {
  const reply = encodeBulkArray([Buffer.from('Cloud'), Buffer.from('Computing')]);
  t.is(s(reply), '*2\r\n$5\r\nCloud\r\n$9\r\nComputing\r\n');
  t.is(s(encodeBulkArray([Buffer.from('Hello')])), '*1\r\n$5\r\nHello\r\n');
  t.is(s(encodeBulkArray([])), '*0\r\n');
});

test('bulk payloads are binary-safe and lengths count bytes, not characters', (t) => {
  const value = Buffer.from([0, 13, 10, 255]);
  t.deepEqual(encodeBulkArray([value]), Buffer.concat([Buffer.from('*1\r\n$4\r\n'), value, Buffer.from('\r\n')]));
  t.is(s(encodeBulkString('é')), '$2\r\n\xc3\xa9\r\n');
  t.is(s(encodeBulkString(null)), '$-1\r\n');
  t.is(s(encodeBulkString(Buffer.alloc(0))), '$0\r\n\r\n');
  // Lengths with several digits are sized right (single allocation).
  const big = Buffer.alloc(12345, 0x61);
  const enc = encodeBulkArray([big]);
  t.is(enc.length, '*1\r\n$12345\r\n'.length + 12345 + 2);
  t.is(s(enc.subarray(0, 12)), '*1\r\n$12345\r\n');
});

test('integers, simple strings and generic errors', (t) => {
  t.is(s(encodeInteger(0)), ':0\r\n');
  t.is(s(encodeInteger(3)), ':3\r\n');
  t.is(s(encodeInteger(-7)), ':-7\r\n');
  t.is(s(encodeInteger(2n ** 63n - 1n)), ':9223372036854775807\r\n');
  t.throws(() => encodeInteger(1.5));
  t.is(s(encodeSimpleString('OK')), '+OK\r\n');
  t.is(s(encodeError('ERR unknown command')), '-ERR unknown command\r\n');
  t.throws(() => encodeSimpleString('a\r\nb'));
  t.throws(() => encodeError('a\nb'));
});

test('requests: the lab example SET CS06142 Cloud Computing', (t) => {
  t.is(
    s(encodeRequest(['SET', 'CS06142', 'Cloud', 'Computing'])),
    '*4\r\n$3\r\nSET\r\n$7\r\nCS06142\r\n$5\r\nCloud\r\n$9\r\nComputing\r\n',
  );
  t.is(s(encodeRequest([Buffer.from('GET'), 'k'])), '*2\r\n$3\r\nGET\r\n$1\r\nk\r\n');
  t.throws(() => encodeRequest([]));
});

test('encodeReply covers every reply type, nested and null', (t) => {
  t.is(
    s(encodeReply({
      type: 'array',
      items: [
        { type: 'simple', value: 'OK' },
        { type: 'error', message: 'ERROR' },
        { type: 'integer', value: 2 },
        { type: 'bulk', value: Buffer.from('x') },
        { type: 'bulk', value: null },
        { type: 'array', items: null },
        { type: 'array', items: [{ type: 'array', items: [] }] },
      ],
    })),
    '*7\r\n+OK\r\n-ERROR\r\n:2\r\n$1\r\nx\r\n$-1\r\n*-1\r\n*1\r\n*0\r\n',
  );
});
