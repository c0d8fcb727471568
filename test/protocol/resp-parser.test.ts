import test from 'ava';
import fc from 'fast-check';
import { RespParser, type Command, type RespParserLimits } from '../../src/protocol/resp-parser.js';
import { ProtocolError, type ProtocolErrorCode } from '../../src/protocol/protocol-error.js';
import { encodeRequest } from '../../src/protocol/resp-encoder.js';

const b = (s: string) => Buffer.from(s, 'latin1');

function parseAll(chunks: Buffer[], limits: Partial<RespParserLimits> = {}): Command[] {
  const p = new RespParser(limits);
  const out: Command[] = [];
  for (const c of chunks) for (const cmd of p.feed(c)) out.push(cmd);
  return out;
}

/** Commands as plain strings, for readable assertions. */
function show(cmds: Command[]): string[][] {
  return cmds.map((c) => [c.name, ...c.args.map((a) => a.toString('latin1'))]);
}

function expectError(t: import('ava').ExecutionContext, input: string | Buffer, code: ProtocolErrorCode, limits: Partial<RespParserLimits> = {}) {
  const p = new RespParser(limits);
  const err = t.throws(() => [...p.feed(typeof input === 'string' ? b(input) : input)], { instanceOf: ProtocolError });
  t.is(err?.code, code);
  t.true(p.dead);
  // Dead for good: the same error again, even for a valid request.
  const again = t.throws(() => [...p.feed(b('PING\r\n'))], { instanceOf: ProtocolError });
  t.is(again, err);
}

test('a RESP array of bulk strings becomes a Command with an upper-cased name', (t) => {
  const cmds = parseAll([b('*3\r\n$3\r\nset\r\n$7\r\nCS06142\r\n$5\r\nCloud\r\n')]);
  t.deepEqual(show(cmds), [['SET', 'CS06142', 'Cloud']]);
});

test('the lab example *4 SET CS06142 Cloud Computing parses to four words', (t) => {
  const cmds = parseAll([b('*4\r\n$3\r\nSET\r\n$7\r\nCS06142\r\n$5\r\nCloud\r\n$9\r\nComputing\r\n')]);
  t.deepEqual(show(cmds), [['SET', 'CS06142', 'Cloud', 'Computing']]);
});

test('pipelined requests in one chunk are yielded in order', (t) => {
  const input = b('*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\nDEL a b\r\n*2\r\n$3\r\nDEL\r\n$1\r\nc\r\n');
  t.deepEqual(show(parseAll([input])), [['PING'], ['GET', 'a'], ['DEL', 'a', 'b'], ['DEL', 'c']]);
});

test('every frame split at every byte offset parses the same', (t) => {
  const frames = [
    b('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$12\r\nhello\r\nworld\r\n'),
    b('SET CS06142 "Cloud Computing"\r\n'),
    b('get k\n'),
    b('*0\r\n*2\r\n$3\r\nGET\r\n$0\r\n\r\n'),
  ];
  for (const frame of frames) {
    const whole = show(parseAll([frame]));
    t.true(whole.length > 0);
    for (let i = 0; i <= frame.length; i++) {
      t.deepEqual(show(parseAll([frame.subarray(0, i), frame.subarray(i)])), whole, `split at ${i}`);
    }
    // And one byte at a time.
    const bytes = [...frame].map((x) => Buffer.from([x]));
    t.deepEqual(show(parseAll(bytes)), whole);
  }
});

test('bulk strings are binary-safe, including CRLF and NUL inside', (t) => {
  const value = Buffer.from([0x00, 0x0d, 0x0a, 0xff, 0x2a, 0x24, 0x0d, 0x0a]);
  const frame = encodeRequest(['SET', 'bin', value]);
  const [cmd] = parseAll([frame]);
  t.truthy(cmd);
  t.true(cmd!.args[1]!.equals(value));
});

test('args are copies: mutating the input chunk afterwards does not change them', (t) => {
  const chunk = b('*2\r\n$3\r\nGET\r\n$3\r\nabc\r\n');
  const [cmd] = parseAll([chunk]);
  chunk.fill(0x21);
  t.is(cmd!.args[0]!.toString(), 'abc');
});

test('inline commands: LF or CRLF, double quotes with escapes, single quotes', (t) => {
  t.deepEqual(show(parseAll([b('SET a b\n')])), [['SET', 'a', 'b']]);
  t.deepEqual(show(parseAll([b('SET a b\r\n')])), [['SET', 'a', 'b']]);
  t.deepEqual(show(parseAll([b('SET CS06142 "Cloud Computing"\r\n')])), [['SET', 'CS06142', 'Cloud Computing']]);
  t.deepEqual(show(parseAll([b('SET k "a\\tb\\n\\"q\\" \\x41\\x7a \\\\"\n')])), [['SET', 'k', 'a\tb\n"q" Az \\']]);
  t.deepEqual(show(parseAll([b("SET k 'it\\'s \"raw\" \\n'\n")])), [['SET', 'k', 'it\'s "raw" \\n']]);
  t.deepEqual(show(parseAll([b('  set\t  a   b  \n')])), [['SET', 'a', 'b']]);
  t.deepEqual(show(parseAll([b('SET k a"b c"\n')])), [['SET', 'k', 'ab c']]);
  t.deepEqual(show(parseAll([b('SET k ""\n')])), [['SET', 'k', '']]);
  t.deepEqual(show(parseAll([b('SET k "\\xZZ"\n')])), [['SET', 'k', 'xZZ']]);
});

test('empty and blank inline lines and *0 / *-1 are ignored', (t) => {
  t.deepEqual(show(parseAll([b('\r\n\n   \r\n*0\r\n*-1\r\nPING\r\n')])), [['PING']]);
});

test('unbalanced quotes in an inline command are UNBALANCED_QUOTES', (t) => {
  expectError(t, 'SET a "b\n', 'UNBALANCED_QUOTES');
  expectError(t, "SET a 'b\n", 'UNBALANCED_QUOTES');
  expectError(t, 'SET a "b"c\n', 'UNBALANCED_QUOTES');
  expectError(t, "SET a 'b'c\n", 'UNBALANCED_QUOTES');
});

test('requests before a malformed one are still yielded, then the iterator throws', (t) => {
  const p = new RespParser();
  const seen: string[] = [];
  const err = t.throws(() => {
    for (const cmd of p.feed(b('PING\r\n*1\r\n$3\r\nGET\r\n*1\r\n:5\r\n'))) seen.push(cmd.name);
  }, { instanceOf: ProtocolError });
  t.deepEqual(seen, ['PING', 'GET']);
  t.is(err?.code, 'BAD_TYPE_BYTE');
});

test('a bad type byte inside an array is BAD_TYPE_BYTE', (t) => {
  expectError(t, '*2\r\n$3\r\nGET\r\n+a\r\n', 'BAD_TYPE_BYTE');
  expectError(t, '*1\r\n*1\r\n$1\r\na\r\n', 'BAD_TYPE_BYTE');
});

test('non-numeric, empty, signed or too-negative lengths are BAD_LENGTH', (t) => {
  expectError(t, '*x\r\n', 'BAD_LENGTH');
  expectError(t, '*\r\n', 'BAD_LENGTH');
  expectError(t, '*1\r\n$\r\n', 'BAD_LENGTH');
  expectError(t, '*1\r\n$1a\r\n', 'BAD_LENGTH');
  expectError(t, '*1\r\n$+1\r\n', 'BAD_LENGTH');
  expectError(t, '*-2\r\n', 'BAD_LENGTH');
  expectError(t, '*1\r\n$-2\r\n', 'BAD_LENGTH');
  expectError(t, '*1\r\n$-1\r\n', 'BAD_LENGTH'); // null bulk is no request argument
  expectError(t, '*1 \r\n', 'BAD_LENGTH');
  expectError(t, '*01\r\n$4\r\nPING\r\n', 'BAD_LENGTH'); // leading zero, as Redis
  expectError(t, '*1\r\n$-0\r\n', 'BAD_LENGTH');
  expectError(t, '*-01\r\n', 'BAD_LENGTH');
  expectError(t, '*99999999999999999999\r\n', 'BAD_LENGTH');
  expectError(t, '*1111111111111111111111111111111111111', 'LENGTH_LINE_TOO_LONG'); // no LF within 32 bytes
});

test('missing CRLF after a bulk payload or a bare-LF length line is MISSING_CRLF', (t) => {
  expectError(t, '*1\r\n$4\r\nPINGxx', 'MISSING_CRLF');
  expectError(t, '*1\r\n$4\r\nPING\rx', 'MISSING_CRLF');
  expectError(t, '*1\r\n$4\r\nPINGG\r\n', 'MISSING_CRLF');
  expectError(t, '*1\n$4\r\nPING\r\n', 'MISSING_CRLF');
  expectError(t, '*1\r\n$4\nPING\r\n', 'MISSING_CRLF');
});

test('bulkBytesMax: exactly the limit passes, one more byte is BULK_TOO_LARGE', (t) => {
  const at = encodeRequest(['SET', 'k', 'x'.repeat(10)]);
  t.is(parseAll([at], { bulkBytesMax: 10, inlineBytesMax: 16 }).length, 1);
  expectError(t, encodeRequest(['SET', 'k', 'x'.repeat(11)]), 'BULK_TOO_LARGE', { bulkBytesMax: 10, inlineBytesMax: 16 });
  // Rejected from the header alone, before any payload arrives.
  expectError(t, '*1\r\n$536870913\r\n', 'BULK_TOO_LARGE');
});

test('arrayLenMax: exactly the limit passes, one more is ARRAY_TOO_LONG', (t) => {
  const words = Array.from({ length: 4 }, (_, i) => `w${i}`);
  t.is(parseAll([encodeRequest(words)], { arrayLenMax: 4 }).length, 1);
  expectError(t, encodeRequest([...words, 'w4']), 'ARRAY_TOO_LONG', { arrayLenMax: 4 });
  expectError(t, `*${1024 * 1024 + 1}\r\n`, 'ARRAY_TOO_LONG');
});

test('inlineBytesMax counts the line with its LF; a longer line without LF fails early', (t) => {
  const line = `SET k ${'v'.repeat(9)}\n`; // 16 bytes
  t.is(line.length, 16);
  t.is(parseAll([b(line)], { inlineBytesMax: 16 }).length, 1);
  expectError(t, `SET k ${'v'.repeat(10)}\n`, 'INLINE_TOO_LONG', { inlineBytesMax: 16 });
  // No LF at all: fails as soon as the limit is reached, fed one byte at a time.
  const p = new RespParser({ inlineBytesMax: 16 });
  const err = t.throws(() => {
    for (let i = 0; i < 100; i++) [...p.feed(b('x'))];
  }, { instanceOf: ProtocolError });
  t.is(err?.code, 'INLINE_TOO_LONG');
  t.is(p.bufferedBytes, 0); // dropped on death
});

test('default inline limit is 64 KiB', (t) => {
  expectError(t, Buffer.alloc(64 * 1024, 0x61), 'INLINE_TOO_LONG');
  t.is(parseAll([Buffer.concat([b('GET '), Buffer.alloc(64 * 1024 - 5, 0x61), b('\n')])]).length, 1);
});

test('requestBytesMax bounds the whole request', (t) => {
  const frame = encodeRequest(['SET', 'k', 'aaaa', 'bbbb']); // 4+9+7+10+10 = 40 bytes
  t.is(frame.length, 40);
  t.is(parseAll([frame], { requestBytesMax: 40, bulkBytesMax: 10, inlineBytesMax: 16 }).length, 1);
  expectError(t, frame, 'REQUEST_TOO_LARGE', { requestBytesMax: 39, bulkBytesMax: 10, inlineBytesMax: 16 });
  // The budget is per request, not per connection.
  t.is(parseAll([frame, frame, frame], { requestBytesMax: 40, bulkBytesMax: 10, inlineBytesMax: 16 }).length, 3);
});

test('limits are validated', (t) => {
  t.throws(() => new RespParser({ bulkBytesMax: 0 }));
  t.throws(() => new RespParser({ bulkBytesMax: 10, requestBytesMax: 5 }));
  t.throws(() => new RespParser({ inlineBytesMax: 1.5 }));
});

test('a large bulk split over many chunks is assembled once and exactly', (t) => {
  const value = Buffer.alloc(3 * 1024 * 1024);
  for (let i = 0; i < value.length; i++) value[i] = (i * 7) & 0xff;
  const frame = encodeRequest(['SET', 'big', value]);
  const p = new RespParser();
  const out: Command[] = [];
  for (let i = 0; i < frame.length; i += 65536) out.push(...p.feed(frame.subarray(i, i + 65536)));
  t.is(out.length, 1);
  t.true(out[0]!.args[1]!.equals(value));
  t.is(p.bufferedBytes, 0);
});

test('a half-read request is buffered, not yielded', (t) => {
  const p = new RespParser();
  t.deepEqual([...p.feed(b('*2\r\n$3\r\nGET\r\n$1\r'))], []);
  t.true(p.bufferedBytes > 0);
  t.deepEqual(show([...p.feed(b('\na\r\n'))]), [['GET', 'a']]);
});

/** Arbitrary requests: 1..6 binary words (first word non-empty). */
const requestArb = fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 6 })
  .map((ws) => ws.map((w) => Buffer.from(w)));

test('property: encodeRequest -> parse round trips under arbitrary chunking', (t) => {
  fc.assert(
    fc.property(fc.array(requestArb, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 8 }), (reqs, cuts) => {
      const stream = Buffer.concat(reqs.map((r) => encodeRequest(r)));
      const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((x, y) => x - y);
      const chunks: Buffer[] = [];
      let prev = 0;
      for (const pt of [...points, stream.length]) {
        chunks.push(stream.subarray(prev, pt));
        prev = pt;
      }
      const got = parseAll(chunks);
      if (got.length !== reqs.length) return false;
      return got.every((cmd, i) => {
        const want = reqs[i]!;
        return cmd.name === want[0]!.toString('utf8').toUpperCase()
          && cmd.args.length === want.length - 1
          && cmd.args.every((a, j) => a.equals(want[j + 1]!));
      });
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('length-line errors say which line failed (the array count or a bulk length), as Redis words them apart', (t) => {
  const lineOf = (input: string): [string | undefined, string | undefined] => {
    const err = t.throws(() => [...new RespParser().feed(b(input))], { instanceOf: ProtocolError });
    return [err?.code, err?.line];
  };
  t.deepEqual(lineOf('*x\r\n'), ['BAD_LENGTH', 'count']);
  t.deepEqual(lineOf('*1\r\n$x\r\n'), ['BAD_LENGTH', 'bulk']);
  t.deepEqual(lineOf(`*${'1'.repeat(40)}`), ['LENGTH_LINE_TOO_LONG', 'count']);
  t.deepEqual(lineOf(`*1\r\n$${'1'.repeat(40)}`), ['LENGTH_LINE_TOO_LONG', 'bulk']);
  t.deepEqual(lineOf('*1\n'), ['MISSING_CRLF', 'count']);
  const typeByte = t.throws(() => [...new RespParser().feed(b('*1\r\n:1\r\n'))], { instanceOf: ProtocolError });
  t.is(typeByte?.got, 0x3a);
});

test('preAuth bounds apply after the real ones and can be lifted between requests', (t) => {
  const p = new RespParser();
  p.preAuth = { arrayLenMax: 2, bulkBytesMax: 4 };
  t.deepEqual(show([...p.feed(encodeRequest(['AUTH', 'pw']))]), [['AUTH', 'pw']]);
  p.preAuth = undefined;
  t.deepEqual(show([...p.feed(encodeRequest(['SET', 'k', 'value']))]), [['SET', 'k', 'value']]);
  p.preAuth = { arrayLenMax: 2, bulkBytesMax: 4 };
  t.throws(() => [...p.feed(encodeRequest(['GET', 'k', 'x']))], { instanceOf: ProtocolError, message: /^UNAUTH_ARRAY_TOO_LONG/ });
  const q = new RespParser({ bulkBytesMax: 100 });
  q.preAuth = { arrayLenMax: 10, bulkBytesMax: 4 };
  t.throws(() => [...q.feed(b('*2\r\n$4\r\nECHO\r\n$200\r\n'))], { instanceOf: ProtocolError, message: /^BULK_TOO_LARGE/ }, 'over the real limit: the real error first');
  const r = new RespParser({ bulkBytesMax: 100 });
  r.preAuth = { arrayLenMax: 10, bulkBytesMax: 4 };
  t.throws(() => [...r.feed(b('*2\r\n$4\r\nECHO\r\n$50\r\n'))], { instanceOf: ProtocolError, message: /^UNAUTH_BULK_TOO_LARGE/ });
});
