import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { PROTOCOL_ERROR_CODES, ProtocolError } from '../../src/protocol/protocol-error.js';
import { RespParser, type Command, type RespParserLimits } from '../../src/protocol/resp-parser.js';
import { splitInlineArgs } from '../../src/protocol/inline-splitter.js';
import { encodeRequest } from '../../src/protocol/resp-encoder.js';
import { chunkings, EVERY_SPLIT_BYTES_MAX, show, violation, type FuzzTarget } from './fuzz-target.js';
import { mutated } from './mutate.js';

/** Small limits, so that inputs of a few hundred bytes reach every limit. */
export const FUZZ_RESP_LIMITS: RespParserLimits = { bulkBytesMax: 64, arrayLenMax: 8, inlineBytesMax: 256, requestBytesMax: 512 };

/** The parser's own bound on a `*N` / `$N` line (resp-parser.ts lengthLineBytesMax). */
const LENGTH_LINE_BYTES_MAX = 32;

/**
 * What the parser may hold between feeds: a partial inline line, length
 * line or bulk payload, never more (a request's completed words are bounded
 * by requestBytesMax on top, checked by the parser as it reads headers).
 */
export const RESP_BUFFERED_BYTES_MAX = Math.max(FUZZ_RESP_LIMITS.inlineBytesMax - 1, LENGTH_LINE_BYTES_MAX - 1, FUZZ_RESP_LIMITS.bulkBytesMax + 1);

export interface RespInput {
  readonly bytes: Buffer;
  /** Set for well-formed inputs: the commands they must parse to, whole or split. */
  readonly expected: readonly Command[] | undefined;
  readonly cuts: readonly number[];
}

interface RespOutcome {
  readonly commands: Command[];
  readonly error: ProtocolError | undefined;
  /** Bytes held at the end (no error): the partial request left over. */
  readonly leftoverBytes: number;
}

/** Feeds the chunks in order, checking the bounds after each one. */
export function runResp(chunks: readonly Buffer[], limits: RespParserLimits = FUZZ_RESP_LIMITS, bufferedMax = RESP_BUFFERED_BYTES_MAX): RespOutcome {
  const parser = new RespParser(limits);
  const commands: Command[] = [];
  let fed = 0;
  for (const chunk of chunks) {
    fed += chunk.length;
    try {
      for (const cmd of parser.feed(chunk)) {
        commands.push(cmd);
        // Every command consumes at least one byte: more would be a loop that makes requests up.
        if (commands.length > fed) violation(`${commands.length} commands from ${fed} bytes`);
      }
    } catch (err) {
      if (!(err instanceof ProtocolError)) violation(`the parser threw ${describe(err)}, not a ProtocolError`);
      checkProtocolError(err);
      if (!parser.dead) violation('the parser threw but is not dead');
      try {
        [...parser.feed(Buffer.from('PING\r\n'))];
        violation('a dead parser accepted more input');
      } catch (again) {
        if (again !== err) violation(`a dead parser threw ${describe(again)}, not its first error`);
      }
      return { commands, error: err, leftoverBytes: 0 };
    }
    if (parser.bufferedBytes > bufferedMax) violation(`the parser buffers ${parser.bufferedBytes} bytes after a feed, bound ${bufferedMax}`);
    const heldMax = Math.max(limits.requestBytesMax, LENGTH_LINE_BYTES_MAX - 1);
    if (parser.heldBytes > heldMax) violation(`the parser holds ${parser.heldBytes} bytes of one request, bound ${heldMax}`);
  }
  return { commands, error: undefined, leftoverBytes: parser.bufferedBytes };
}

export function checkProtocolError(err: ProtocolError): void {
  if (!(PROTOCOL_ERROR_CODES as readonly string[]).includes(err.code)) violation(`unknown error code ${err.code}`);
  if (err.reason.length === 0 || err.reason.length > 200) violation(`unclear error reason (${err.reason.length} chars): ${err.reason.slice(0, 200)}`);
  if (err.message !== `${err.code}: ${err.reason}`) violation(`error message ${JSON.stringify(err.message)} is not "code: reason"`);
}

function sameOutcome(a: RespOutcome, b: RespOutcome): boolean {
  return isDeepStrictEqual(a.commands, b.commands) && a.error?.message === b.error?.message && a.leftoverBytes === b.leftoverBytes;
}

function summary(o: RespOutcome): string {
  return `${o.commands.length} commands, ${o.error === undefined ? `no error, ${o.leftoverBytes} bytes left` : o.error.message}`;
}

export function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

// ---- inputs ----

const word = fc.uint8Array({ maxLength: 32 }).map((a) => Buffer.from(a));
const commandArb: fc.Arbitrary<Command> = fc.record({
  name: fc.constantFrom('SET', 'GET', 'DEL', 'PING', 'INFO', 'X'),
  args: fc.array(word, { maxLength: 4 }),
});

/** A word as redis-cli would type it: double-quoted, every byte but letters and digits as \xHH. */
export function quoteInline(w: Buffer): string {
  let s = '"';
  for (const b of w) s += (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return `${s}"`;
}

function encodeInline(c: Command): Buffer {
  return Buffer.from(`${[c.name, ...c.args.map((a) => quoteInline(a))].join(' ')}\r\n`, 'latin1');
}

/** Valid pipelines: RESP arrays and inline lines mixed, each request within the limits. */
const validArb: fc.Arbitrary<{ bytes: Buffer; expected: Command[] }> = fc
  .array(fc.tuple(commandArb, fc.boolean()), { maxLength: 5 })
  .map((cs) => ({
    bytes: Buffer.concat(cs.map(([c, inline]) => (inline && c.args.every((a) => a.length <= 16) ? encodeInline(c) : encodeRequest([c.name, ...c.args])))),
    expected: cs.map(([c]) => c),
  }));

const RESP_TOKENS = ['\r\n', '\n', '\r', '*', '$', '-1', '0', '00', '-', '+', ':', '"', "'", '\\', '\\x', '\\xZZ', ' ', '\t', '\0',
  '9223372036854775807', '99999999999999999999', String(FUZZ_RESP_LIMITS.bulkBytesMax), String(FUZZ_RESP_LIMITS.bulkBytesMax + 1),
  String(FUZZ_RESP_LIMITS.arrayLenMax + 1), 'x'.repeat(FUZZ_RESP_LIMITS.inlineBytesMax)];

/** Bytes from the protocol's own alphabet: far likelier than uniform bytes to reach deep states. */
const respishArb = fc
  .array(fc.constantFrom('*', '$', '\r', '\n', '\r\n', '0', '1', '2', '3', '-', '9', '"', "'", '\\', 'x', 'f', ' ', 'SET', 'a', '\0'), { maxLength: 120 })
  .map((parts) => Buffer.from(parts.join(''), 'latin1'));

const cutsArb = fc.array(fc.nat({ max: 1 << 16 }), { maxLength: 6 });

export const respArb: fc.Arbitrary<RespInput> = fc.oneof(
  fc.record({ v: validArb, cuts: cutsArb }).map(({ v, cuts }) => ({ bytes: v.bytes, expected: v.expected, cuts })),
  fc.record({ bytes: mutated(validArb.map((v) => v.bytes), RESP_TOKENS), cuts: cutsArb }).map((r) => ({ ...r, expected: undefined })),
  fc.record({ bytes: respishArb, cuts: cutsArb }).map((r) => ({ ...r, expected: undefined })),
  fc.record({ bytes: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)), cuts: cutsArb }).map((r) => ({ ...r, expected: undefined })),
);

/**
 * The RESP request parser: never throws but ProtocolError (a clear one),
 * stays dead after it, holds no more than a partial request between feeds,
 * and parses the same whether the bytes come whole or split anywhere.
 */
export const respTarget: FuzzTarget<RespInput> = {
  name: 'resp',
  about: 'RESP request parser (src/protocol/resp-parser.ts), arrays and inline, whole and split at every byte',
  arbitrary: respArb,
  check(input) {
    const whole = runResp([input.bytes]);
    if (input.expected !== undefined) {
      if (whole.error !== undefined) violation(`a valid pipeline failed: ${whole.error.message}; input ${show(input.bytes)}`);
      const got = whole.commands.map((c) => ({ name: c.name, args: c.args }));
      if (!isDeepStrictEqual(got, input.expected.map((c) => ({ name: c.name, args: c.args })))) violation(`a valid pipeline parsed to other commands; input ${show(input.bytes)}`);
      if (whole.leftoverBytes !== 0) violation(`a valid pipeline left ${whole.leftoverBytes} bytes`);
    }
    for (const chunks of chunkings(input.bytes, input.cuts, EVERY_SPLIT_BYTES_MAX)) {
      const split = runResp(chunks);
      if (!sameOutcome(whole, split)) {
        violation(`split into ${chunks.map((c) => c.length).join('+')}: ${summary(split)}; whole: ${summary(whole)}; input ${show(input.bytes)}`);
      }
    }
  },
};

// ---- the inline splitter alone ----

export interface InlineInput {
  readonly line: Buffer;
  /** Set when the line was built by quoting these words: they must come back exactly. */
  readonly words: readonly Buffer[] | undefined;
}

export const inlineArb: fc.Arbitrary<InlineInput> = fc.oneof(
  fc.array(word, { maxLength: 6 }).map((ws) => ({ line: Buffer.from(ws.map((w) => quoteInline(w)).join(' '), 'latin1'), words: ws })),
  fc
    .array(fc.constantFrom('"', "'", '\\', '\\x', '\\x4', '\\x41', 'a', 'b', ' ', '\t', '\v', '\f', '\r', '\0', '\\\'', '\\"', 'n'), { maxLength: 60 })
    .map((ps) => ({ line: Buffer.from(ps.join(''), 'latin1'), words: undefined })),
  fc.uint8Array({ maxLength: 120 }).map((a) => ({ line: Buffer.from(a), words: undefined })),
);

/** sdssplitargs, ours: only UNBALANCED_QUOTES may be thrown; quoted words round-trip; no word is invented from blanks. */
export const inlineTarget: FuzzTarget<InlineInput> = {
  name: 'inline',
  about: 'inline command splitter (src/protocol/inline-splitter.ts): quotes, escapes, round trip of quoted words',
  arbitrary: inlineArb,
  check(input) {
    let words: Buffer[];
    try {
      words = splitInlineArgs(input.line);
    } catch (err) {
      if (!(err instanceof ProtocolError)) violation(`splitInlineArgs threw ${describe(err)}; line ${show(input.line)}`);
      checkProtocolError(err);
      if (err.code !== 'UNBALANCED_QUOTES') violation(`splitInlineArgs threw ${err.code}`);
      if (input.words !== undefined) violation(`a line of quoted words was refused: ${err.message}; line ${show(input.line)}`);
      return;
    }
    if (input.words !== undefined && !isDeepStrictEqual(words, input.words)) violation(`quoted words came back different; line ${show(input.line)}`);
    const total = words.reduce((n, w) => n + w.length, 0);
    if (total > input.line.length) violation(`${total} word bytes from a ${input.line.length}-byte line`);
    if (!/["'\\]/.test(input.line.toString('latin1'))) {
      // Without quotes or escapes, words are the runs between separators
      // (space, \t, \n, \r, NUL), less any leading \v or \f (blanks between
      // words, kept inside one).
      const plain = input.line.toString('latin1').split(/[ \t\n\r\0]+/).map((w) => w.replace(/^[\v\f]+/, '')).filter((w) => w !== '');
      const got = words.map((w) => w.toString('latin1'));
      if (!isDeepStrictEqual(got, plain)) violation(`bare words ${JSON.stringify(got)} are not the runs of non-blanks ${JSON.stringify(plain)}`);
    }
  },
};
