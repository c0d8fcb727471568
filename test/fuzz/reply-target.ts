import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { ProtocolError } from '../../src/protocol/protocol-error.js';
import { RespReplyParser, type Reply, type RespReplyParserLimits } from '../../src/protocol/resp-reply-parser.js';
import { chunkings, EVERY_SPLIT_BYTES_MAX, show, violation, type FuzzTarget } from './fuzz-target.js';
import { mutated } from './mutate.js';
import { checkProtocolError, describe } from './resp-target.js';

/** Small limits, so short inputs reach every one. */
export const FUZZ_REPLY_LIMITS: RespReplyParserLimits = { bulkBytesMax: 64, arrayLenMax: 8, lineBytesMax: 512, depthMax: 4 };
const BUFFERED_BYTES_MAX = FUZZ_REPLY_LIMITS.lineBytesMax + FUZZ_REPLY_LIMITS.bulkBytesMax + 2;

export interface ReplyInput {
  readonly bytes: Buffer;
  readonly expected: readonly Reply[] | undefined;
  readonly cuts: readonly number[];
}

interface ReplyOutcome {
  readonly replies: Reply[];
  readonly error: ProtocolError | undefined;
  readonly leftoverBytes: number;
}

export function runReplies(chunks: readonly Buffer[]): ReplyOutcome {
  const parser = new RespReplyParser(FUZZ_REPLY_LIMITS);
  const replies: Reply[] = [];
  let fed = 0;
  for (const chunk of chunks) {
    fed += chunk.length;
    try {
      for (const r of parser.feed(chunk)) {
        replies.push(r);
        if (replies.length * 3 > fed) violation(`${replies.length} replies from ${fed} bytes`);
      }
    } catch (err) {
      if (!(err instanceof ProtocolError)) violation(`the reply parser threw ${describe(err)}, not a ProtocolError`);
      checkProtocolError(err);
      if (!parser.dead) violation('the reply parser threw but is not dead');
      return { replies, error: err, leftoverBytes: 0 };
    }
    if (parser.bufferedBytes > BUFFERED_BYTES_MAX) violation(`the reply parser buffers ${parser.bufferedBytes} bytes, bound ${BUFFERED_BYTES_MAX}`);
  }
  return { replies, error: undefined, leftoverBytes: parser.bufferedBytes };
}

/** RESP2 bytes of a reply (a test-side encoder, independent of the parser). */
export function encodeReply(r: Reply): string {
  switch (r.type) {
    case 'simple':
      return `+${r.value}\r\n`;
    case 'error':
      return `-${r.message}\r\n`;
    case 'integer':
      return `:${r.value}\r\n`;
    case 'bulk':
      return r.value === null ? '$-1\r\n' : `$${r.value.length}\r\n${r.value.toString('latin1')}\r\n`;
    case 'array':
      return r.items === null ? '*-1\r\n' : `*${r.items.length}\r\n${r.items.map(encodeReply).join('')}`;
  }
}

const line = fc.stringMatching(/^[ -~]{0,24}$/);
const { reply } = fc.letrec<{ reply: Reply }>((tie) => ({
  reply: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ type: fc.constant('simple' as const), value: line }),
    fc.record({ type: fc.constant('error' as const), message: line }),
    fc.record({ type: fc.constant('integer' as const), value: fc.integer() }),
    fc.record({ type: fc.constant('bulk' as const), value: fc.option(fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)), { nil: null }) }),
    fc.record({ type: fc.constant('array' as const), items: fc.option(fc.array(tie('reply'), { maxLength: 4 }), { nil: null }) }),
  ),
}));

/** Replies nested within depthMax (a flat array is depth 1). */
function depth(r: Reply): number {
  return r.type === 'array' && r.items !== null && r.items.length > 0 ? 1 + Math.max(...r.items.map(depth)) : 0;
}

const validArb = fc
  .array(reply.filter((r) => depth(r) <= FUZZ_REPLY_LIMITS.depthMax), { maxLength: 4 })
  .map((rs) => ({ bytes: Buffer.from(rs.map(encodeReply).join(''), 'latin1'), expected: rs }));

const REPLY_TOKENS = ['\r\n', '\n', '\r', '*', '$', '+', '-', ':', '-1', '-2', '0', '00', '9007199254740993', '99999999999999999999999', '65', '9', 'x'.repeat(300), 'x'.repeat(600), '*1\r\n'.repeat(5)];
const cutsArb = fc.array(fc.nat({ max: 1 << 16 }), { maxLength: 6 });

export const replyArb: fc.Arbitrary<ReplyInput> = fc.oneof(
  fc.record({ v: validArb, cuts: cutsArb }).map(({ v, cuts }) => ({ bytes: v.bytes, expected: v.expected, cuts })),
  fc.record({ bytes: mutated(validArb.map((v) => v.bytes), REPLY_TOKENS), cuts: cutsArb }).map((r) => ({ ...r, expected: undefined })),
  fc.record({ bytes: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)), cuts: cutsArb }).map((r) => ({ ...r, expected: undefined })),
);

function summary(o: ReplyOutcome): string {
  return `${o.replies.length} replies, ${o.error === undefined ? `no error, ${o.leftoverBytes} bytes left` : o.error.message}`;
}

/** The reply parser myshell and a participant use on what a server sends: same properties as the request parser. */
export const replyTarget: FuzzTarget<ReplyInput> = {
  name: 'reply',
  about: 'RESP reply parser (src/protocol/resp-reply-parser.ts): nested replies, whole and split at every byte',
  arbitrary: replyArb,
  check(input) {
    const whole = runReplies([input.bytes]);
    if (input.expected !== undefined) {
      if (whole.error !== undefined) violation(`valid replies failed: ${whole.error.message}; input ${show(input.bytes)}`);
      if (!isDeepStrictEqual(whole.replies, input.expected)) violation(`valid replies parsed to others; input ${show(input.bytes)}`);
    }
    for (const chunks of chunkings(input.bytes, input.cuts, EVERY_SPLIT_BYTES_MAX)) {
      const split = runReplies(chunks);
      const same = isDeepStrictEqual(split.replies, whole.replies) && split.error?.message === whole.error?.message && split.leftoverBytes === whole.leftoverBytes;
      if (!same) violation(`split into ${chunks.map((c) => c.length).join('+')}: ${summary(split)}; whole: ${summary(whole)}; input ${show(input.bytes)}`);
    }
  },
};
