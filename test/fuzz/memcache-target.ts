import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { McParser, type McParserLimits } from '../../src/memcache/mc-parser.js';
import type { McRequest } from '../../src/memcache/mc-request.js';
import { chunkings, EVERY_SPLIT_BYTES_MAX, show, violation, type FuzzTarget } from './fuzz-target.js';
import { describe } from './resp-target.js';
import { mutated } from './mutate.js';

/** Small limits, so inputs of a few hundred bytes reach every one (a valid line of the generator below fits in 96). */
export const FUZZ_MC_LIMITS: McParserLimits = { itemBytesMax: 16, lineBytesMax: 96, keysLineBytesMax: 160 };
/** What the parser may hold between feeds: a partial line (and its \r), or a data block with its \r\n. */
const MC_BUFFERED_BYTES_MAX = Math.max(FUZZ_MC_LIMITS.keysLineBytesMax + 1, FUZZ_MC_LIMITS.itemBytesMax + 2);

export interface McInput {
  readonly bytes: Buffer;
  /** Set for well-formed inputs: the requests they must parse to. */
  readonly expected: readonly McRequest[] | undefined;
  readonly cuts: readonly number[];
}

interface McOutcome {
  readonly requests: McRequest[];
  readonly dead: boolean;
  readonly leftoverBytes: number;
}

const REPLY_LINE = /^(ERROR|CLIENT_ERROR [\x20-\x7e]{1,120}|SERVER_ERROR [\x20-\x7e]{1,120})$/;

/** Feeds the chunks in order, checking the bounds after each one. */
export function runMc(chunks: readonly Buffer[], bufferedMax = MC_BUFFERED_BYTES_MAX): McOutcome {
  const parser = new McParser(FUZZ_MC_LIMITS);
  const requests: McRequest[] = [];
  let fed = 0;
  for (const chunk of chunks) {
    fed += chunk.length;
    const wasDead = parser.dead;
    let got: McRequest[];
    try {
      got = parser.feed(chunk);
    } catch (err) {
      return violation(`the parser threw ${describe(err)}`);
    }
    if (wasDead && got.length > 0) violation('a dead parser produced requests');
    for (const r of got) {
      requests.push(r);
      if (r.t === 'refused' && !REPLY_LINE.test(r.reply)) violation(`unclear error line ${JSON.stringify(r.reply)}`);
      if (r.t === 'refused' && r.close && !parser.dead) violation('a closing refusal left the parser alive');
    }
    // Every request consumes at least one byte (its \n): more would be requests made up.
    if (requests.length > fed) violation(`${requests.length} requests from ${fed} bytes`);
    if (parser.bufferedBytes > bufferedMax) violation(`the parser holds ${parser.bufferedBytes} bytes after a feed, bound ${bufferedMax}`);
  }
  return { requests, dead: parser.dead, leftoverBytes: parser.bufferedBytes };
}

function summary(o: McOutcome): string {
  return `${o.requests.length} requests${o.dead ? ', dead' : ''}, ${o.leftoverBytes} bytes left`;
}

// ---- inputs ----

const keyArb = fc.stringMatching(/^[!-~]{1,12}$/);
const dataArb = fc.uint8Array({ maxLength: FUZZ_MC_LIMITS.itemBytesMax }).map((a) => Buffer.from(a));

/** A well-formed request and its bytes. */
const requestArb: fc.Arbitrary<{ bytes: Buffer; req: McRequest }> = fc.oneof(
  fc.record({ mode: fc.constantFrom('set', 'add', 'replace', 'append', 'prepend', 'cas' as const), key: keyArb, flags: fc.nat(), exptime: fc.integer({ min: -5, max: 3_000_000 }), data: dataArb, cas: fc.bigUint({ max: (1n << 64n) - 1n }), noreply: fc.boolean() }).map((r) => {
    const cas = r.mode === 'cas' ? r.cas.toString() : '';
    const line = `${r.mode} ${r.key} ${r.flags} ${r.exptime} ${r.data.length}${cas !== '' ? ` ${cas}` : ''}${r.noreply ? ' noreply' : ''}\r\n`;
    return { bytes: Buffer.concat([Buffer.from(line, 'latin1'), r.data, Buffer.from('\r\n')]), req: { t: 'store', mode: r.mode, key: Buffer.from(r.key, 'latin1'), flags: r.flags, exptime: r.exptime, cas, noreply: r.noreply, data: r.data } as McRequest };
  }),
  fc.record({ keys: fc.array(keyArb, { minLength: 1, maxLength: 4 }), withCas: fc.boolean() }).map((r) => ({
    bytes: Buffer.from(`${r.withCas ? 'gets' : 'get'} ${r.keys.join(' ')}\r\n`, 'latin1'),
    req: { t: 'get', withCas: r.withCas, keys: r.keys.map((k) => Buffer.from(k, 'latin1')) } as McRequest,
  })),
  fc.record({ key: keyArb, delta: fc.bigUint({ max: (1n << 64n) - 1n }), decr: fc.boolean(), noreply: fc.boolean() }).map((r) => ({
    bytes: Buffer.from(`${r.decr ? 'decr' : 'incr'} ${r.key} ${r.delta}${r.noreply ? ' noreply' : ''}\r\n`, 'latin1'),
    req: { t: 'arith', decr: r.decr, key: Buffer.from(r.key, 'latin1'), delta: r.delta.toString(), noreply: r.noreply } as McRequest,
  })),
  fc.record({ key: keyArb, noreply: fc.boolean() }).map((r) => ({ bytes: Buffer.from(`delete ${r.key}${r.noreply ? ' noreply' : ''}\r\n`, 'latin1'), req: { t: 'delete', key: Buffer.from(r.key, 'latin1'), noreply: r.noreply } as McRequest })),
  fc.constantFrom<{ bytes: Buffer; req: McRequest }>({ bytes: Buffer.from('version\r\n'), req: { t: 'version' } }, { bytes: Buffer.from('stats\r\n'), req: { t: 'stats', args: [] } }),
);

const validArb = fc.array(requestArb, { maxLength: 5 }).map((rs) => ({ bytes: Buffer.concat(rs.map((r) => r.bytes)), expected: rs.map((r) => r.req) }));

const MC_TOKENS = ['\r\n', '\n', '\r', ' ', 'noreply', '0', '-1', '17', '16', '4294967296', '18446744073709551616', 'set', 'cas', 'get', 'gat', 'incr', 'x'.repeat(100), 'k'.repeat(251), '\0', '\x7f'];

const mcishArb = fc
  .array(fc.constantFrom('set', 'get', 'gets', 'gat', 'cas', 'delete', 'incr', 'touch', 'flush_all', 'quit', ' ', '\r\n', '\n', '\r', '0', '1', '16', '17', '-1', 'k', 'noreply', 'x'), { maxLength: 80 })
  .map((parts) => Buffer.from(parts.join(''), 'latin1'));

const cutsArb = fc.array(fc.nat({ max: 1 << 16 }), { maxLength: 6 });

export const mcArb: fc.Arbitrary<McInput> = fc.oneof(
  fc.record({ v: validArb, cuts: cutsArb }).map(({ v, cuts }) => ({ bytes: v.bytes, expected: v.expected, cuts })),
  fc.record({ bytes: mutated(validArb.map((v) => v.bytes), MC_TOKENS), cuts: cutsArb }).map((r) => ({ ...r, expected: undefined })),
  fc.record({ bytes: mcishArb, cuts: cutsArb }).map((r) => ({ ...r, expected: undefined })),
  fc.record({ bytes: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)), cuts: cutsArb }).map((r) => ({ ...r, expected: undefined })),
);

/**
 * The memcached text parser: never throws, holds at most a partial line or
 * one data block between feeds, answers every refusal with a clear
 * memcached error line, stays dead after a closing one, and parses the same
 * whether the bytes come whole or split anywhere.
 */
export const memcacheTarget: FuzzTarget<McInput> = {
  name: 'memcache',
  about: 'memcached text parser (src/memcache/mc-parser.ts), storage blocks and lines, whole and split at every byte',
  arbitrary: mcArb,
  check(input) {
    const whole = runMc([input.bytes]);
    if (input.expected !== undefined) {
      if (!isDeepStrictEqual(whole.requests, input.expected)) violation(`a valid pipeline parsed to other requests: ${JSON.stringify(whole.requests).slice(0, 300)}; input ${show(input.bytes)}`);
      if (whole.leftoverBytes !== 0 || whole.dead) violation(`a valid pipeline left ${whole.leftoverBytes} bytes${whole.dead ? ' and a dead parser' : ''}`);
    }
    for (const chunks of chunkings(input.bytes, input.cuts, EVERY_SPLIT_BYTES_MAX)) {
      const split = runMc(chunks);
      if (!isDeepStrictEqual(whole, split)) violation(`split into ${chunks.map((c) => c.length).join('+')}: ${summary(split)}; whole: ${summary(whole)}; input ${show(input.bytes)}`);
    }
  },
};
