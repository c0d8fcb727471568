import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { sendThenHalfClose } from '../helpers/half-close.js';
import { memcachedTool, pythonWithPymemcache, raftWithMemcache, twoPcWithMemcache } from '../helpers/memcache-door-cluster.js';
import { cmd } from '../helpers/resp-client.js';

const run = promisify(execFile);
const tools = { cp: memcachedTool('cp'), cat: memcachedTool('cat'), rm: memcachedTool('rm') };
const python = pythonWithPymemcache();
/** libmemcached-tools and python3-pymemcache come from Debian (.ci/run installs them). */
const withTools = tools.cp !== undefined && tools.cat !== undefined && tools.rm !== undefined ? test.serial : test.serial.skip;
const withPython = python !== undefined ? test.serial : test.serial.skip;
const HERE = fileURLToPath(new URL('.', import.meta.url));

test.serial('raw socket on a 2PC cluster: exact reply bytes, error lines, noreply, a pipeline over three groups, half-close, flush_all', async (t) => {
  const { cluster, mcPort } = await twoPcWithMemcache(t);
  // {a} {b} {c} hash to three different groups.
  const pipeline = ['{a}k', '{b}k', '{c}k'].map((k, i) => `set ${k} ${i} 0 1\r\n${i}\r\n`).join('') + 'get {a}k {b}k {c}k nokey\r\n';
  t.is((await sendThenHalfClose(mcPort, pipeline)).reply, 'STORED\r\nSTORED\r\nSTORED\r\nVALUE {a}k 0 1\r\n0\r\nVALUE {b}k 1 1\r\n1\r\nVALUE {c}k 2 1\r\n2\r\nEND\r\n');
  const r = await sendThenHalfClose(mcPort, 'set n 0 0 1 noreply\r\n7\r\nincr n 3 noreply\r\nincr n 1\r\ndecr n 100\r\nincr {a}k 1\r\nbogus\r\nset k 0 0 1\r\nxx\r\ndelete n\r\ndelete n\r\n');
  t.is(r.reply, '11\r\n0\r\n1\r\nERROR\r\nCLIENT_ERROR bad data chunk\r\nERROR\r\nDELETED\r\nNOT_FOUND\r\n');
  t.true(r.serverEnded, 'after a half-close, every reply, then the server closes');
  t.is((await sendThenHalfClose(mcPort, `set big 0 0 ${1024 * 1024 + 1}\r\n${'x'.repeat(1024 * 1024 + 1)}\r\nget big\r\n`)).reply, 'SERVER_ERROR object too large for cache\r\nEND\r\n', 'the 1 MiB item limit');
  t.is((await sendThenHalfClose(mcPort, 'set test0 5\r\nhello\r\nget test0\r\n')).reply, 'STORED\r\nVALUE test0 0 5\r\nhello\r\nEND\r\n', "memcached-lite's short set");
  // flush_all: one replicated flush per group; every door sees the keys gone.
  t.is((await sendThenHalfClose(mcPort, 'flush_all\r\nget {a}k {b}k {c}k test0\r\n')).reply, 'OK\r\nEND\r\n');
  t.is(await cmd(cluster.coordinatorPort, 'GET', '{b}k'), '*1\r\n$3\r\nnil\r\n');
});

withTools('memccp / memccat / memcrm (libmemcached-tools) store, read back and remove files, flags and binary bytes included; other doors see the same keys', async (t) => {
  const { cluster, mcPort, redisPort } = await twoPcWithMemcache(t);
  const dir = mkdtempSync(join(tmpdir(), 'kvstore-memcp-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const servers = `--servers=127.0.0.1:${mcPort}`;
  const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  writeFileSync(join(dir, 'greeting'), 'hello world');
  writeFileSync(join(dir, 'blob'), binary);
  await run(tools.cp!, [servers, join(dir, 'greeting')], { timeout: 10_000 });
  await run(tools.cp!, [servers, '--flags=77', join(dir, 'blob')], { timeout: 10_000 });
  // memccat ends what it prints with a newline of its own.
  t.is((await run(tools.cat!, [servers, 'greeting'], { timeout: 10_000 })).stdout, 'hello world\n');
  const blob = await run(tools.cat!, [servers, 'blob'], { timeout: 10_000, encoding: 'buffer' });
  t.deepEqual(blob.stdout, Buffer.concat([binary, Buffer.from('\n')]));
  t.regex((await run(tools.cat!, [servers, '--flags', 'blob'], { timeout: 10_000 })).stdout, /77/);
  // The same key through the lab port and the Redis endpoint: flags 0 values are the bytes themselves.
  t.is(await cmd(cluster.coordinatorPort, 'GET', 'greeting'), '*1\r\n$11\r\nhello world\r\n');
  const redis = new Redis({ port: redisPort, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  t.teardown(() => redis.disconnect());
  t.is(await redis.get('greeting'), 'hello world');
  await redis.set('from-redis', 'set via Redis');
  t.is((await run(tools.cat!, [servers, 'from-redis'], { timeout: 10_000 })).stdout, 'set via Redis\n');
  await run(tools.rm!, [servers, 'greeting'], { timeout: 10_000 });
  t.is(await redis.get('greeting'), null);
  await t.throwsAsync(run(tools.cat!, [servers, 'greeting'], { timeout: 10_000 }), undefined, 'memccat of a removed key fails');
});

withPython('pymemcache (python3-pymemcache) against a raft follower: every command, cas, flags, binary values, expiry, noreply', async (t) => {
  // Peer 1 serves memcached; whether leader or follower, writes go through the group's leader.
  const { mcPort } = await raftWithMemcache(t, 1);
  const { stdout } = await run(python!, [join(HERE, 'memcache', 'pymemcache-check.py'), String(mcPort)], { timeout: 30_000 });
  const got = JSON.parse(stdout) as Record<string, unknown>;
  t.deepEqual(got, {
    version: '1.6.21',
    set: true,
    get: 'hello',
    flags: ['x', 42],
    binary_ok: true,
    cas_stale: false,
    cas_ok: true,
    cas_missing: null,
    after_cas: 'swapped',
    add_existing: false,
    add_new: true,
    replace_missing: false,
    append: true,
    prepend: true,
    after_pend: '<swapped>',
    incr: 15,
    decr: 0,
    incr_missing: null,
    incr_text: "b'cannot increment or decrement non-numeric value'",
    get_many: { 'py:k': '<swapped>', 'py:n': '0', 'py:new': 'v' },
    touch: true,
    touch_missing: false,
    ttl_before: 'soon',
    ttl_after: null,
    quiet: 'q',
    delete: true,
    delete_missing: false,
    stats_has: ['cmd_get', 'curr_connections', 'curr_items', 'get_hits', 'pid', 'uptime'],
  });
});
