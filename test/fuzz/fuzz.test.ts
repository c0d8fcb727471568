import test from 'ava';
import fc from 'fast-check';
import { ConfigError } from '../../src/config/config-error.js';
import { parseLabConfig } from '../../src/config/lab-config.js';
import { encodeFrame } from '../../src/net/frame-codec.js';
import { ProtocolError } from '../../src/protocol/protocol-error.js';
import { encodeRequest } from '../../src/protocol/resp-encoder.js';
import { RespReplyParser } from '../../src/protocol/resp-reply-parser.js';
import { CONFIG_REASON_CHARS_MAX } from './config-target.js';
import { runFrames } from './frame-target.js';
import { chunkings, cutAt, FuzzViolation, type FuzzTarget } from './fuzz-target.js';
import { applyMutations } from './mutate.js';
import { runResp } from './resp-target.js';
import { FUZZ_TARGETS, propertyOf, runBatch } from './targets.js';

/**
 * The small seeded run of every fuzz target that `npm test` does (a few
 * seconds in all); `npm run fuzz -- --inputs 1000000` is the campaign.
 * Fixed seeds: a failure here replays with the seed fast-check prints.
 */
const SEEDED_RUNS: Record<string, number> = { resp: 300, inline: 2000, reply: 300, config: 600, frame: 200, memcache: 300 };

for (const [name, target] of FUZZ_TARGETS) {
  test(`fuzz ${name}: ${SEEDED_RUNS[name] ?? 200} seeded inputs hold every property (${target.about})`, (t) => {
    fc.assert(propertyOf(target), { seed: 20261206, numRuns: SEEDED_RUNS[name] ?? 200 });
    t.pass();
  });
}

test('teeth: a split-sensitive bug is caught, shrunk, and replays from the printed seed and path', (t) => {
  // A "parser" that loses a CR arriving at the end of a chunk: whole input fine, some splits not.
  const buggy: FuzzTarget<{ bytes: Buffer; cuts: number[] }> = {
    name: 'planted',
    about: 'a planted bug',
    arbitrary: fc.record({ bytes: fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)), cuts: fc.array(fc.nat(), { maxLength: 3 }) }),
    check(input) {
      const parse = (chunks: Buffer[]): string => chunks.map((c) => (c.at(-1) === 0x0d ? c.subarray(0, -1) : c).toString('latin1')).join('');
      const whole = parse([input.bytes]);
      for (const chunks of chunkings(input.bytes, input.cuts, 64)) {
        if (parse(chunks) !== whole) throw new FuzzViolation(`split ${chunks.map((c) => c.length).join('+')} differs`);
      }
    },
  };
  const r = runBatch(buggy as FuzzTarget<unknown>, 1, 2000);
  t.true(r.failed);
  t.regex(r.error!, /split .* differs/);
  t.truthy(r.path);
  // Shrunk to a minimal input: a single CR somewhere before the end.
  t.regex(r.counterexample!, /13/);
  const replay = fc.check(propertyOf(buggy as FuzzTarget<unknown>), { seed: r.seed, path: r.path!, numRuns: 1 });
  t.true(replay.failed, 'the printed seed and path replay the failure');
});

test('teeth: the RESP bounds and error checks fire on a parser that would break them', (t) => {
  // The check itself: a partial request over a tighter bound is reported, as is an unequal split.
  t.throws(() => runResp([Buffer.from('*1\r\n$10\r\nabc')], undefined, 2), { instanceOf: FuzzViolation, message: /buffers 3 bytes after a feed, bound 2/ });
  const ok = runResp(cutAt(encodeRequest(['SET', 'k', 'v']), [3, 9]));
  t.is(ok.commands.length, 1);
  t.is(ok.error, undefined);
  const bad = runResp([Buffer.from('*1\r\n$x\r\n')]);
  t.is(bad.error?.code, 'BAD_LENGTH');
});

test('frames: an oversize frame fails at its header, before its body is held; a good stream decodes in any chunking', (t) => {
  const frame = encodeFrame({ t: 'req', id: 1, body: 'x'.repeat(100) }, 1 << 20);
  t.is(runFrames([frame.subarray(0, 4)], 40).error?.code, 'FRAME_TOO_LARGE');
  for (const chunks of chunkings(frame, [7], 64)) t.is(runFrames(chunks, 512).frames.length, 1);
  const garbage = runFrames([Buffer.from([0, 0, 0, 1, 0xc1])], 512);
  t.is(garbage.error?.code, 'BAD_FRAME');
});

test('mutations: every op lands inside the input and is deterministic', (t) => {
  const base = Buffer.from('*1\r\n$4\r\nPING\r\n');
  const ms = [
    { op: 'flip' as const, at: 1000, xor: 1 },
    { op: 'insert' as const, at: 3, bytes: new Uint8Array([0x41]) },
    { op: 'delete' as const, at: 0, n: 2 },
    { op: 'duplicate' as const, at: 2, n: 3 },
    { op: 'token' as const, at: 5, token: '-1', replace: 1 },
  ];
  t.deepEqual(applyMutations(base, ms), applyMutations(base, ms));
  t.is(applyMutations(base, [{ op: 'delete', at: 0, n: 100 }]).length, 0);
  t.deepEqual(cutAt(Buffer.from('abcd'), [2, 2, 9]).map((b) => b.toString()), ['ab', 'cd', '']);
});

test('regression (config fuzzer): an error quotes a huge token cut short, never whole', (t) => {
  // Found by the config target: `mode xxxx...` echoed every x into a one-line error.
  for (const text of [`mode ${'x'.repeat(5000)}\n`, `${'y'.repeat(5000)} 1\n`, `follower_info ${'1'.repeat(5000)}:1\n`, `follower_info 127.0.0.1:8101\nlog_level ${'z'.repeat(5000)}\n`, `data_dir a ${'b'.repeat(5000)}\n`]) {
    const err = t.throws(() => parseLabConfig(text, 'f.conf'), { instanceOf: ConfigError });
    t.true(err!.reason.length <= CONFIG_REASON_CHARS_MAX, `${err!.reason.length} chars: ${err!.reason.slice(0, 120)}`);
    t.regex(err!.reason, /\.\.\. \(50\d\d chars\)/);
  }
});

test('regression (reply fuzzer): a bad integer reply of a whole line is a short reason, not the line', (t) => {
  // Found by the reply target: `:` + 300 junk bytes put all 300 into the error.
  const parser = new RespReplyParser();
  const err = t.throws(() => [...parser.feed(Buffer.from(`:\0${'x'.repeat(60_000)}\r\n`))], { instanceOf: ProtocolError });
  t.is(err!.code, 'BAD_INTEGER');
  t.true(err!.reason.length < 100, err!.reason.slice(0, 120));
  t.regex(err!.reason, /^integer reply "\\u0000x+"\.\.\. \(60001 chars\)$/);
  const big = t.throws(() => [...new RespReplyParser().feed(Buffer.from(`:${'9'.repeat(40)}\r\n`))], { instanceOf: ProtocolError });
  t.regex(big!.reason, /\.\.\. \(40 chars\) outside the safe range$/);
});
