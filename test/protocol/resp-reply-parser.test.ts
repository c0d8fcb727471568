import test from 'ava';
import fc from 'fast-check';
import { RespReplyParser, type Reply, type RespReplyParserLimits } from '../../src/protocol/resp-reply-parser.js';
import { ProtocolError, type ProtocolErrorCode } from '../../src/protocol/protocol-error.js';
import { LAB_ERROR_REPLY, LAB_NIL_REPLY, OK_REPLY, encodeBulkArray, encodeReply } from '../../src/protocol/resp-encoder.js';

const b = (s: string) => Buffer.from(s, 'latin1');

function parseAll(chunks: Buffer[], limits: Partial<RespReplyParserLimits> = {}): Reply[] {
  const p = new RespReplyParser(limits);
  const out: Reply[] = [];
  for (const c of chunks) for (const r of p.feed(c)) out.push(r);
  return out;
}

function expectError(t: import('ava').ExecutionContext, input: string, code: ProtocolErrorCode, limits: Partial<RespReplyParserLimits> = {}) {
  const p = new RespReplyParser(limits);
  const err = t.throws(() => [...p.feed(b(input))], { instanceOf: ProtocolError });
  t.is(err?.code, code, input);
  t.true(p.dead);
  t.throws(() => [...p.feed(b('+OK\r\n'))], { instanceOf: ProtocolError });
}

test('parses the lab replies', (t) => {
  const stream = Buffer.concat([OK_REPLY, LAB_ERROR_REPLY, LAB_NIL_REPLY, encodeBulkArray([b('Cloud'), b('Computing')]), b(':1\r\n')]);
  t.deepEqual(parseAll([stream]), [
    { type: 'simple', value: 'OK' },
    { type: 'error', message: 'ERROR' },
    { type: 'array', items: [{ type: 'bulk', value: b('nil') }] },
    { type: 'array', items: [{ type: 'bulk', value: b('Cloud') }, { type: 'bulk', value: b('Computing') }] },
    { type: 'integer', value: 1 },
  ]);
});

test('null bulk, null array, empty array, nested arrays', (t) => {
  t.deepEqual(parseAll([b('$-1\r\n*-1\r\n*0\r\n*2\r\n*1\r\n:-3\r\n*0\r\n')]), [
    { type: 'bulk', value: null },
    { type: 'array', items: null },
    { type: 'array', items: [] },
    { type: 'array', items: [{ type: 'array', items: [{ type: 'integer', value: -3 }] }, { type: 'array', items: [] }] },
  ]);
});

test('a reply split at every byte parses the same', (t) => {
  const stream = b('*3\r\n$6\r\nCl\r\nud\r\n*2\r\n+OK\r\n$-1\r\n:42\r\n-ERROR\r\n');
  const whole = parseAll([stream]);
  t.is(whole.length, 2);
  for (let i = 0; i <= stream.length; i++) {
    t.deepEqual(parseAll([stream.subarray(0, i), stream.subarray(i)]), whole, `split at ${i}`);
  }
  t.deepEqual(parseAll([...stream].map((x) => Buffer.from([x]))), whole);
});

test('pending says whether a reply is half read', (t) => {
  const p = new RespReplyParser();
  t.deepEqual([...p.feed(b('*2\r\n+a\r\n'))], []);
  t.true(p.pending);
  t.is([...p.feed(b('+b\r\n'))].length, 1);
  t.false(p.pending);
});

test('malformed replies are typed errors with stable codes', (t) => {
  expectError(t, '!x\r\n', 'BAD_TYPE_BYTE');
  expectError(t, '$x\r\n', 'BAD_LENGTH');
  expectError(t, '$-2\r\n', 'BAD_LENGTH');
  expectError(t, '*-5\r\n', 'BAD_LENGTH');
  expectError(t, '$\r\n', 'BAD_LENGTH');
  expectError(t, '$01\r\na\r\n', 'BAD_LENGTH');
  expectError(t, '$3\r\nabcd\r\n', 'MISSING_CRLF');
  expectError(t, '+OK\n', 'MISSING_CRLF');
  expectError(t, ':1.5\r\n', 'BAD_INTEGER');
  expectError(t, ':\r\n', 'BAD_INTEGER');
  expectError(t, ':99999999999999999999\r\n', 'BAD_INTEGER');
  expectError(t, '$11\r\n', 'BULK_TOO_LARGE', { bulkBytesMax: 10 });
  expectError(t, '*11\r\n', 'ARRAY_TOO_LONG', { arrayLenMax: 10 });
  expectError(t, '*1\r\n*1\r\n*1\r\n:1\r\n', 'NESTING_TOO_DEEP', { depthMax: 2 });
  expectError(t, `+${'a'.repeat(20)}`, 'INLINE_TOO_LONG', { lineBytesMax: 16 });
});

test('depthMax: exactly the limit passes', (t) => {
  t.is(parseAll([b('*1\r\n*1\r\n:1\r\n')], { depthMax: 2 }).length, 1);
});

/** Arbitrary replies that encodeReply can write (simple/error text has no CR/LF). */
const line = fc.string({ maxLength: 12 }).map((x) => x.replace(/[\r\n]/g, ''));
const replyArb: fc.Arbitrary<Reply> = fc.letrec<{ reply: Reply }>((tie) => ({
  reply: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    line.map((value): Reply => ({ type: 'simple', value })),
    line.map((message): Reply => ({ type: 'error', message })),
    fc.maxSafeInteger().map((value): Reply => ({ type: 'integer', value })),
    fc.option(fc.uint8Array({ maxLength: 20 }), { nil: null }).map((v): Reply => ({ type: 'bulk', value: v === null ? null : Buffer.from(v) })),
    fc.option(fc.array(tie('reply'), { maxLength: 4 }), { nil: null }).map((items): Reply => ({ type: 'array', items })),
  ),
})).reply;

test('property: encodeReply -> parse round trips under arbitrary chunking', (t) => {
  fc.assert(
    fc.property(fc.array(replyArb, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 6 }), (replies, cuts) => {
      const stream = Buffer.concat(replies.map(encodeReply));
      const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((x, y) => x - y);
      const chunks: Buffer[] = [];
      let prev = 0;
      for (const pt of [...points, stream.length]) {
        chunks.push(stream.subarray(prev, pt));
        prev = pt;
      }
      const got = parseAll(chunks);
      // Compare through the encoder: byte equality of the re-encoded replies.
      return got.length === replies.length && Buffer.concat(got.map(encodeReply)).equals(stream);
    }),
    { numRuns: 300 },
  );
  t.pass();
});
