import test from 'ava';
import { deepStrictEqual } from 'node:assert/strict';
import fc from 'fast-check';
import { ReplyCounter, ReplyKind, ReplyStreamError } from '../../src/bench/reply-counter.js';
import { RespReplyParser, type Reply } from '../../src/protocol/resp-reply-parser.js';
import { encodeReply } from '../../src/protocol/resp-encoder.js';

const b = (s: string) => Buffer.from(s, 'latin1');

function count(chunks: Buffer[]): ReplyKind[] {
  const c = new ReplyCounter();
  const kinds: ReplyKind[] = [];
  for (const chunk of chunks) c.feed(chunk, (k) => kinds.push(k));
  return kinds;
}

/** The kind the load generator should give a reply: by its top-level type only. */
function expectedKind(r: Reply): ReplyKind {
  if (r.type !== 'error') return ReplyKind.ok;
  return r.message === 'ERROR' ? ReplyKind.labError : ReplyKind.otherError;
}

test('classifies the lab replies and redis errors', (t) => {
  const stream = b('+OK\r\n-ERROR\r\n*1\r\n$3\r\nnil\r\n*2\r\n$5\r\nCloud\r\n$9\r\nComputing\r\n:1\r\n-ERR wrong type\r\n$-1\r\n*-1\r\n*0\r\n-ERRORS\r\n');
  t.deepEqual(count([stream]), [
    ReplyKind.ok, ReplyKind.labError, ReplyKind.ok, ReplyKind.ok, ReplyKind.ok,
    ReplyKind.otherError, ReplyKind.ok, ReplyKind.ok, ReplyKind.ok, ReplyKind.otherError,
  ]);
});

test('an error nested in an array, even as its last element, does not make the reply an error', (t) => {
  t.deepEqual(count([b('*2\r\n+a\r\n-ERROR\r\n*1\r\n*1\r\n-x\r\n+OK\r\n')]), [ReplyKind.ok, ReplyKind.ok, ReplyKind.ok]);
});

test('replies split at every byte are counted the same', (t) => {
  const stream = b('*2\r\n$5\r\nhello\r\n*1\r\n:-7\r\n-ERROR\r\n$0\r\n\r\n');
  const bytes = [...stream].map((x) => Buffer.from([x]));
  t.deepEqual(count(bytes), [ReplyKind.ok, ReplyKind.labError, ReplyKind.ok]);
  const c = new ReplyCounter();
  c.feed(stream.subarray(0, 9), () => {});
  t.true(c.pending);
});

test('malformed streams throw ReplyStreamError', (t) => {
  for (const bad of ['?x\r\n', '$abc\r\n', '*-2\r\n', '$\r\n']) {
    t.throws(() => count([b(bad)]), { instanceOf: ReplyStreamError }, bad);
  }
});

const replyArb: fc.Arbitrary<Reply> = fc.letrec<{ reply: Reply }>((tie) => ({
  reply: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom<Reply>({ type: 'simple', value: 'OK' }, { type: 'error', message: 'ERROR' }, { type: 'error', message: 'ERR x' }),
    fc.integer().map((value): Reply => ({ type: 'integer', value })),
    fc.option(fc.uint8Array({ maxLength: 40 }), { nil: null }).map((v): Reply => ({ type: 'bulk', value: v === null ? null : Buffer.from(v) })),
    fc.option(fc.array(tie('reply'), { maxLength: 4 }), { nil: null }).map((items): Reply => ({ type: 'array', items })),
  ),
})).reply;

test('agrees with RespReplyParser on random reply streams cut at random points', (t) => {
  fc.assert(
    fc.property(fc.array(replyArb, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 6 }), (replies, cuts) => {
      const stream = Buffer.concat(replies.map((r) => encodeReply(r)));
      const points = [...new Set(cuts.map((c) => (stream.length === 0 ? 0 : c % stream.length)))].sort((x, y) => x - y);
      const chunks: Buffer[] = [];
      let from = 0;
      for (const p of points) { chunks.push(stream.subarray(from, p)); from = p; }
      chunks.push(stream.subarray(from));
      const parsed = [...new RespReplyParser().feed(stream)];
      deepStrictEqual(count(chunks), parsed.map(expectedKind));
    }),
    { numRuns: 300 },
  );
  t.pass();
});
