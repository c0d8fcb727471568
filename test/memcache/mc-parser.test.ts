import test from 'ava';
import { McParser } from '../../src/memcache/mc-parser.js';
import { FuzzViolation } from '../fuzz/fuzz-target.js';
import { runMc } from '../fuzz/memcache-target.js';

const feedAll = (p: McParser, ...chunks: string[]) => chunks.flatMap((c) => p.feed(Buffer.from(c, 'latin1')));

test('a storage request split anywhere parses to one request with its data block', (t) => {
  const bytes = 'set k 5 100 4 noreply\r\nab\r\n\r\n';
  for (let i = 1; i < bytes.length; i++) {
    const [r, ...rest] = feedAll(new McParser(), bytes.slice(0, i), bytes.slice(i));
    t.is(rest.length, 0);
    t.like(r, { t: 'store', mode: 'set', flags: 5, exptime: 100, noreply: true, cas: '' });
    t.deepEqual((r as { data: Buffer }).data, Buffer.from('ab\r\n'));
  }
});

test('token counts and numbers as memcached checks them; the short memcached-lite form', (t) => {
  const p = new McParser();
  t.like(feedAll(p, 'set k 2\r\nhi\r\n')[0], { t: 'store', mode: 'set', flags: 0, exptime: 0 });
  t.like(feedAll(p, 'cas k 0 0 1 99999999999999999999\r\nx\r\n')[0], { t: 'refused', reply: 'CLIENT_ERROR bad command line format' }, 'a cas beyond 64 bits: the block is skipped');
  t.like(feedAll(p, 'set k 0 0 -1\r\n')[0], { t: 'refused', reply: 'CLIENT_ERROR bad command line format' });
  t.like(feedAll(p, 'add k 0 0\r\n')[0], { t: 'refused', reply: 'ERROR' });
  t.like(feedAll(p, 'set k 4294967296 0 1\r\nx\r\n')[0], { t: 'refused', reply: 'CLIENT_ERROR bad command line format' }, 'flags are 32 bits');
  t.like(feedAll(p, 'set k\x01 0 0 1\r\nx\r\n')[0], { t: 'refused', reply: 'CLIENT_ERROR bad command line format' }, 'no control characters in keys');
  t.like(feedAll(p, 'incr k 18446744073709551616\r\n')[0], { t: 'refused', reply: 'CLIENT_ERROR invalid numeric delta argument' });
  t.like(feedAll(p, 'flush_all 10 noreply\r\n')[0], { t: 'flush_all', delay: 10, noreply: true });
  t.like(feedAll(p, 'GET k\r\n')[0], { t: 'refused', reply: 'ERROR' }, 'command names are case-sensitive');
  t.false(p.dead);
});

test('bounds: a long line kills the parser with a clear error; a too-large block is skipped without being held', (t) => {
  const p = new McParser({ itemBytesMax: 4 });
  t.deepEqual(feedAll(p, 'set k 0 0 100000\r\n'), []);
  for (let i = 0; i < 100; i++) p.feed(Buffer.alloc(1000, 0x61));
  t.is(p.bufferedBytes, 0, 'skipped, not kept');
  t.like(feedAll(p, '\r\n')[0], { t: 'refused', reply: 'SERVER_ERROR object too large for cache' });
  const long = new McParser();
  t.like(feedAll(long, 'x'.repeat(2000), 'x'.repeat(2000))[0], { t: 'refused', reply: 'CLIENT_ERROR line too long', close: true });
  t.true(long.dead);
  t.deepEqual(feedAll(long, 'version\r\n'), []);
  t.like(feedAll(new McParser(), `get ${'k '.repeat(5000)}\r\n`)[0], { t: 'get' }, 'a multi-get line may be long');
});

test('teeth: the fuzz checks fire on a bound broken or an error that is not memcached words', (t) => {
  t.throws(() => runMc([Buffer.from('set k 0 0 10\r\n12345')], 3), { instanceOf: FuzzViolation, message: /holds 5 bytes after a feed, bound 3/ });
  t.is(runMc([Buffer.from('bogus\r\n')]).requests.length, 1);
});
