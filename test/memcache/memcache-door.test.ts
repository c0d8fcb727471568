import test from 'ava';
import pino from 'pino';
import { casOf, encodeItem } from '../../src/kv/mc-item.js';
import { startMemcacheDoor } from '../../src/memcache/memcache-door.js';
import { parseCidr, type Cidr } from '../../src/memcache/allow-list.js';
import { FrontDoorStats } from '../../src/server/front-door-stats.js';
import { sendThenHalfClose } from '../helpers/half-close.js';
import { MemoryKv } from '../helpers/memory-kv.js';
import { freePorts } from '../helpers/ports.js';

const log = pino({ level: 'silent' });

async function door(t: { teardown(fn: () => Promise<void>): void }, o: { kv?: MemoryKv; allow?: Cidr[]; itemBytesMax?: number } = {}) {
  const kv = o.kv ?? new MemoryKv();
  const [port] = await freePorts(1);
  const stats = new FrontDoorStats();
  const d = await startMemcacheDoor({ listen: { host: '127.0.0.1', port: port! }, kv, items: () => kv.data.size, stats, log, ...(o.allow !== undefined ? { allow: o.allow } : {}), ...(o.itemBytesMax !== undefined ? { itemBytesMax: o.itemBytesMax } : {}) });
  t.teardown(() => d.close());
  return { port: port!, kv, stats, door: d };
}

/** Sends the bytes, half-closes, and returns every byte the server sent before it closed. */
async function say(port: number, bytes: string | Buffer): Promise<string> {
  const r = await sendThenHalfClose(port, bytes);
  return r.reply;
}

test('set/get/gets/delete: memcached reply bytes exactly; a plain set is the same key the other doors read', async (t) => {
  const { port, kv } = await door(t);
  t.is(await say(port, 'set k 0 0 5\r\nhello\r\nget k\r\n'), 'STORED\r\nVALUE k 0 5\r\nhello\r\nEND\r\n');
  t.deepEqual(kv.data.get('k'), [Buffer.from('hello')], 'flags 0: stored as the bytes themselves');
  const cas = casOf(Buffer.from('hello'));
  t.is(await say(port, 'gets k missing\r\n'), `VALUE k 0 5 ${cas}\r\nhello\r\nEND\r\n`);
  t.is(await say(port, 'delete k\r\ndelete k\r\nget k\r\n'), 'DELETED\r\nNOT_FOUND\r\nEND\r\n');
});

test('flags travel with the item; binary data with CR LF inside is kept exactly', async (t) => {
  const { port, kv } = await door(t);
  const data = Buffer.from('a\r\nb\x00\xff', 'latin1');
  const out = await say(port, Buffer.concat([Buffer.from(`set bin 4294967295 0 ${data.length}\r\n`), data, Buffer.from('\r\nget bin\r\n')]));
  t.is(out, `STORED\r\nVALUE bin 4294967295 ${data.length}\r\n${data.toString('latin1')}\r\nEND\r\n`);
  t.deepEqual(kv.data.get('bin'), [encodeItem(0xffffffff, data)]);
});

test('add/replace/append/prepend/cas/incr/decr/touch/gat answer as memcached', async (t) => {
  const { port } = await door(t);
  t.is(await say(port, 'replace k 0 0 1\r\nx\r\nadd k 3 0 1\r\nx\r\nadd k 0 0 1\r\ny\r\nappend k 0 0 1\r\n>\r\nprepend k 0 0 1\r\n<\r\nget k\r\n'), 'NOT_STORED\r\nSTORED\r\nNOT_STORED\r\nSTORED\r\nSTORED\r\nVALUE k 3 3\r\n<x>\r\nEND\r\n');
  const cas = casOf(encodeItem(3, Buffer.from('<x>')));
  t.is(await say(port, `cas k 0 0 1 1\r\nz\r\ncas k 0 0 1 ${cas}\r\nz\r\ncas nokey 0 0 1 1\r\nz\r\nget k\r\n`), 'EXISTS\r\nSTORED\r\nNOT_FOUND\r\nVALUE k 0 1\r\nz\r\nEND\r\n');
  t.is(await say(port, 'set n 0 0 2\r\n10\r\nincr n 5\r\ndecr n 100\r\nincr nokey 1\r\nincr k 1\r\nincr n x\r\n'), 'STORED\r\n15\r\n0\r\nNOT_FOUND\r\nCLIENT_ERROR cannot increment or decrement non-numeric value\r\nCLIENT_ERROR invalid numeric delta argument\r\n');
  t.is(await say(port, 'set w 0 0 20\r\n18446744073709551615\r\nincr w 2\r\n'), 'STORED\r\n1\r\n', 'incr wraps at 2^64');
  t.is(await say(port, 'touch n 100\r\ntouch nokey 100\r\ngat 0 n nokey\r\ngats 0 n\r\n'), `TOUCHED\r\nNOT_FOUND\r\nVALUE n 0 1\r\n0\r\nEND\r\nVALUE n 0 1 ${casOf(Buffer.from('0'))}\r\n0\r\nEND\r\n`);
});

test('exptime: negative expires at once, relative seconds and absolute unix times both stored as absolute expiries', async (t) => {
  const { port, kv } = await door(t);
  t.is(await say(port, 'set gone 0 -1 1\r\nx\r\nget gone\r\n'), 'STORED\r\nEND\r\n');
  const before = Date.now();
  await say(port, `set rel 0 100 1\r\nx\r\nset abs 0 ${Math.floor(before / 1000) + 3600} 1\r\nx\r\n`);
  const rel = kv.expires.get('rel')!;
  t.true(rel >= before + 100_000 && rel <= Date.now() + 100_000);
  t.is(kv.expires.get('abs'), (Math.floor(before / 1000) + 3600) * 1000);
  t.is(await say(port, `set old 0 ${60 * 60 * 24 * 30 + 1} 1\r\nx\r\nget old\r\n`), 'STORED\r\nEND\r\n', 'above 30 days is a unix time: long past');
});

test('noreply: executed, answered with nothing; pipelined replies keep their order', async (t) => {
  const { port, kv } = await door(t);
  kv.delayMs = 5;
  t.is(await say(port, 'set a 0 0 1 noreply\r\n1\r\nincr a 1 noreply\r\nget a\r\ndelete a noreply\r\nget a\r\nset b 0 0 1\r\n2\r\n'), 'VALUE a 0 1\r\n2\r\nEND\r\nEND\r\nSTORED\r\n');
});

test('error lines: unknown command, bad numbers, long keys, bad data chunk, too large, and the stream reads on', async (t) => {
  const { port } = await door(t, { itemBytesMax: 10 });
  t.is(await say(port, 'bogus\r\n\r\nset k 0 0\r\nget\r\nversion\r\n'), 'ERROR\r\nERROR\r\nERROR\r\nERROR\r\nVERSION 1.6.21\r\n');
  t.is(await say(port, `set ${'k'.repeat(251)} 0 0 1\r\nx\r\nget ${'k'.repeat(251)}\r\nset k x 0 1\r\nx\r\nget k\r\n`), 'CLIENT_ERROR bad command line format\r\nCLIENT_ERROR bad command line format\r\nCLIENT_ERROR bad command line format\r\nEND\r\n');
  t.is(await say(port, 'set k 0 0 1\r\nxyz\r\nget k\r\n'), 'CLIENT_ERROR bad data chunk\r\nERROR\r\nEND\r\n', 'as memcached: the rest of the bad block is read as a command');
  t.is(await say(port, `set big 0 0 11\r\n${'x'.repeat(11)}\r\nget big\r\n`), 'SERVER_ERROR object too large for cache\r\nEND\r\n');
  t.is(await say(port, `set a 0 0 6\r\n123456\r\nappend a 0 0 4\r\n7890\r\nappend a 0 0 5\r\nxxxxx\r\nget a\r\n`), 'STORED\r\nSTORED\r\nSERVER_ERROR out of memory storing object\r\nVALUE a 0 10\r\n1234567890\r\nEND\r\n', 'appends stop at the item limit');
  t.is(await say(port, 'touch k x\r\ndelete k 0\r\n'), 'CLIENT_ERROR invalid exptime argument\r\nCLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n');
  t.is(await say(port, `get${' k'.repeat(10)}\r\n`), 'END\r\n');
  t.is(await say(port, `${'x'.repeat(3000)}\r\nversion\r\n`), 'CLIENT_ERROR line too long\r\n', 'a line too long ends the connection');
});

test("memcached-lite's short form: set <key> <bytes>, then the data line", async (t) => {
  const { port } = await door(t);
  t.is(await say(port, 'set test0 5\r\nhello\r\nget test0\r\n'), 'STORED\r\nVALUE test0 0 5\r\nhello\r\nEND\r\n');
});

test('quit closes after the replies before it; stats, version, verbosity, flush_all now and delayed', async (t) => {
  const { port } = await door(t);
  t.is(await say(port, 'set k 0 0 1\r\nx\r\nquit\r\nget k\r\n'), 'STORED\r\n');
  const stats = await say(port, 'get k\r\nget nope\r\nstats\r\n');
  t.regex(stats, /STAT pid \d+\r\n/);
  t.regex(stats, /STAT curr_items 1\r\n/);
  t.regex(stats, /STAT get_hits 1\r\n/);
  t.regex(stats, /STAT get_misses 1\r\n/);
  t.regex(stats, /STAT curr_connections 1\r\n/);
  t.true(stats.endsWith('END\r\n'));
  t.is(await say(port, 'verbosity 1\r\nverbosity 1 noreply\r\nversion\r\n'), 'OK\r\nVERSION 1.6.21\r\n');
  t.is(await say(port, 'set a 0 0 1\r\n1\r\nflush_all\r\nget a k\r\nset b 0 0 1\r\n2\r\nflush_all 1 noreply\r\nget b\r\n'), 'STORED\r\nOK\r\nEND\r\nSTORED\r\nVALUE b 0 1\r\n2\r\nEND\r\n');
  await new Promise((r) => setTimeout(r, 1300));
  t.is(await say(port, 'get b\r\n'), 'END\r\n', 'a delayed flush_all lands at its time');
});

test('memcache_allow: a client outside the list is refused with a clear line and closed', async (t) => {
  const { port } = await door(t, { allow: [parseCidr('10.0.0.0/8') as Cidr] });
  t.is(await say(port, 'version\r\n'), 'SERVER_ERROR client address not allowed\r\n');
  const ok = await door(t, { allow: [parseCidr('127.0.0.0/8') as Cidr] });
  t.is(await say(ok.port, 'version\r\n'), 'VERSION 1.6.21\r\n');
});
