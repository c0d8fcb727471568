import test from 'ava';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { tmpdir } from 'node:os';
import { waitFor } from '../helpers/processes.js';
import { PtySession } from '../helpers/pty.js';
import { cmd, sendRaw } from '../helpers/resp-client.js';
import { freePorts } from '../helpers/ports.js';
import { RaftProcCluster } from '../helpers/raft-cluster.js';
import { raftWithRedis, twoPcWithRedis } from '../helpers/redis-door-cluster.js';

const run = promisify(execFile);
const hasRedisTools = spawnSync('redis-cli', ['--version']).status === 0 && spawnSync('redis-benchmark', ['--version']).status === 0;
/** redis-cli and redis-benchmark come from Debian's redis-tools (.ci/run installs them). */
const withTools = hasRedisTools ? test.serial : test.serial.skip;

/** Keys that CRC16-slot into each of the three groups (0..5461, 5462..10922, 10923..16383): {a} 15495, {b} 3300, {c} 7365. */
const inGroups = ['{b}k', '{c}k', '{a}k'];

test.serial('ioredis (RESP3 by default): strings, cross-group MSET/MGET/DEL, a pipeline, INFO; the lab port reads the same data', async (t) => {
  const { cluster, redisPort } = await twoPcWithRedis(t);
  const r = new Redis({ port: redisPort, host: '127.0.0.1', maxRetriesPerRequest: 1, connectionName: 'it-ioredis' });
  t.teardown(() => r.disconnect());
  t.regex(await r.client('INFO') as string, /name=it-ioredis .* resp=3 /);
  t.is(await r.set('greeting', 'hello world'), 'OK');
  t.is(await r.get('greeting'), 'hello world');
  t.is(await r.get('no-such-key'), null);
  // The lab port answers in its own dialect for the same key: one stored word.
  t.is(await cmd(cluster.coordinatorPort, 'GET', 'greeting'), '*1\r\n$11\r\nhello world\r\n');
  t.is(await r.mset(inGroups[0]!, '1', inGroups[1]!, '2', inGroups[2]!, '3'), 'OK');
  t.deepEqual(await r.mget(...inGroups, 'missing'), ['1', '2', '3', null]);
  t.is(await r.exists(...inGroups, 'missing'), 3);
  t.is(await r.del(...inGroups), 3);
  t.is(await r.exists(...inGroups), 0);
  const p = r.pipeline();
  for (let i = 0; i < 50; i++) p.set(`p:${i}`, String(i));
  for (let i = 0; i < 50; i++) p.get(`p:${i}`);
  const results = (await p.exec())!;
  t.deepEqual(results.slice(50).map(([err, v]: [Error | null, unknown]) => [err, v]), Array.from({ length: 50 }, (_, i) => [null, String(i)]));
  t.regex(await r.info('server'), /redis_version:7\.2\.0/);
  // Read-modify-write commands are one replicated command each, applied where the value is.
  t.is(await r.incr('counter'), 1);
  t.is(await r.incrby('counter', 41), 42);
  t.is(await r.decrby('counter', 2), 40);
  await t.throwsAsync(r.incr('greeting'), { message: 'ERR value is not an integer or out of range' });
  t.is(await r.append('greeting', '!'), 12);
  t.is(await r.set('greeting', 'x', 'NX'), null);
  t.is(await r.set('fresh', 'x', 'NX'), 'OK');
  t.is(await r.set('fresh', 'y', 'GET'), 'x');
  t.is(await r.getdel('fresh'), 'y');
  t.is(await r.exists('fresh'), 0);
  await t.throwsAsync(r.call('NOSUCH', 'x'), { message: "ERR unknown command 'NOSUCH', with args beginning with: 'x' " });
});

test.serial('ioredis with protocol 2 and node-redis with RESP 2 and 3: same answers, each protocol on the wire', async (t) => {
  const { redisPort } = await twoPcWithRedis(t);
  const r2 = new Redis({ port: redisPort, host: '127.0.0.1', protocol: 2, maxRetriesPerRequest: 1 });
  t.teardown(() => r2.disconnect());
  t.regex(await r2.client('INFO') as string, / resp=2 /);
  t.is(await r2.set('k2', 'v2'), 'OK');
  t.is(await r2.get('k2'), 'v2');

  for (const RESP of [2, 3] as const) {
    const c = createClient({ url: `redis://127.0.0.1:${redisPort}`, RESP, name: `node-redis-${RESP}` });
    c.on('error', () => {});
    await c.connect();
    t.teardown(() => c.destroy());
    t.regex(String(await c.sendCommand(['CLIENT', 'INFO'])), new RegExp(`name=node-redis-${RESP} .* resp=${RESP} `));
    t.is(await c.get('k2'), 'v2');
    t.is(await c.get('missing'), null);
    t.is(await c.set(`nr${RESP}`, 'x y'), 'OK');
    t.is(await c.del([`nr${RESP}`, 'missing']), 1);
    const replies = await c.multi().set('{t}a', '1').set('{t}b', '2').mGet(['{t}a', '{t}b']).execAsPipeline();
    t.deepEqual(replies, ['OK', 'OK', ['1', '2']]);
    t.is(await c.ping(), 'PONG');
    t.regex(await c.info('persistence'), /loading:0/);
  }
});

test.serial('expiry: SET PX and EXPIRE through ioredis; expired keys read as missing and are removed on every replica by replicated deletes', async (t) => {
  const { cluster, redisPort } = await twoPcWithRedis(t);
  const r = new Redis({ port: redisPort, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  t.teardown(() => r.disconnect());
  t.is(await r.set('stays', 'v'), 'OK');
  for (const k of inGroups) t.is(await r.set(k, 'short-lived', 'PX', 400), 'OK');
  t.is(await r.set('later', 'v'), 'OK');
  t.is(await r.expire('later', 100), 1);
  const pttl = await r.pttl(inGroups[0]!);
  t.true(pttl > 0 && pttl <= 400, `pttl ${pttl}`);
  t.is(await r.ttl('later'), 100);
  t.is(await r.ttl('stays'), -1);
  t.deepEqual(await r.mget(...inGroups), ['short-lived', 'short-lived', 'short-lived']);
  await new Promise((res) => setTimeout(res, 600));
  t.deepEqual(await r.mget(...inGroups), [null, null, null]);
  t.is(await r.exists(...inGroups), 0);
  t.is(await r.ttl(inGroups[1]!), -2);
  // Each participant holds a replica of every group: the sweep's deletes reached all of them.
  // Left: __ready (the helper's probe), stays, later (one expiry).
  for (const port of cluster.participantPorts) {
    await waitFor(`participant ${port} to drop the expired keys`, async () => /db0:keys=3,expires=1,/.test(await cmd(port, 'INFO', 'keyspace')), 5_000, 100);
  }
  // DBSIZE at the coordinator: each group's leader's count, from the heartbeats.
  await waitFor('DBSIZE to count the three keys left', async () => (await r.dbsize()) === 3, 5_000, 100);
  t.pass();
});

withTools('redis-cli plain, with -x, -r and --pipe, and redis-benchmark -t set,get,incr,mset -P 16 -n 20000 (and MSET over random keys in every group) with no errors', async (t) => {
  const { redisPort } = await twoPcWithRedis(t);
  const cli = async (args: string[], input?: string): Promise<string> => {
    const child = execFile('redis-cli', ['-h', '127.0.0.1', '-p', String(redisPort), ...args]);
    const out = new Promise<string>((resolve, reject) => {
      let s = '';
      child.stdout!.on('data', (d: Buffer) => (s += d.toString()));
      child.on('error', reject);
      child.on('close', () => resolve(s));
    });
    child.stdin!.end(input ?? '');
    return out;
  };
  t.is(await cli(['set', 'cli', 'plain value']), 'OK\n');
  t.is(await cli(['get', 'cli']), 'plain value\n');
  t.is(await cli(['-x', 'set', 'cli-x'], 'from\nstdin'), 'OK\n');
  t.is(await cli(['get', 'cli-x']), 'from\nstdin\n');
  t.is(await cli(['--no-raw', 'get', 'nothing']), '(nil)\n');
  // -r: the same command N times; --pipe: mass insertion of raw RESP from stdin, ended by its ECHO marker.
  t.is(await cli(['-r', '5', 'incr', 'cli-r']), '1\n2\n3\n4\n5\n');
  const mass = Array.from({ length: 2000 }, (_, i) => `*3\r\n$3\r\nSET\r\n$${`pipe:${i}`.length}\r\npipe:${i}\r\n$${String(i).length}\r\n${i}\r\n`).join('');
  const piped = await cli(['--pipe'], mass);
  t.regex(piped, /All data transferred/);
  t.regex(piped, /errors: 0, replies: 2000/);
  t.is(await cli(['get', 'pipe:1999']), '1999\n');
  t.regex(await cli(['-3', 'hello', '3']), /^server redis\nversion 7\.2\.0\nproto 3\nid \d+\nmode standalone\nrole master\nmodules \n$/);
  const { stdout, stderr } = await run('redis-benchmark', ['-h', '127.0.0.1', '-p', String(redisPort), '-t', 'set,get,incr,mset', '-P', '16', '-n', '20000', '-q'], { timeout: 180_000 });
  const text = `${stdout}\n${stderr}`;
  t.notRegex(text, /error|WARNING/i);
  t.regex(text, /SET: [\d.]+ requests per second/);
  t.regex(text, /GET: [\d.]+ requests per second/);
  t.regex(text, /INCR: [\d.]+ requests per second/);
  t.regex(text, /MSET \(10 keys\): [\d.]+ requests per second/);
  // -r: each MSET names 10 random keys, nearly always in all three groups: 800 pipelined transactions meet each other's locks.
  const random = await run('redis-benchmark', ['-h', '127.0.0.1', '-p', String(redisPort), '-t', 'mset', '-r', '100000', '-P', '16', '-n', '3000', '-q'], { timeout: 180_000 });
  const rtext = `${random.stdout}\n${random.stderr}`;
  t.notRegex(rtext, /error|WARNING/i);
  t.regex(rtext, /MSET \(10 keys\): [\d.]+ requests per second/);
  for (const m of `${text}\n${rtext}`.matchAll(/(SET|GET|INCR|MSET \(10 keys\)): ([\d.]+ requests per second[^\r\n]*)/g)) t.log(`${m[1]}: ${m[2]}`);
});

withTools('redis-cli interactively through a pty: it reads COMMAND DOCS for its hints, then commands answer as on Redis', async (t) => {
  const { redisPort } = await raftWithRedis(t);
  const cli = new PtySession(`redis-cli -h 127.0.0.1 -p ${redisPort}`, tmpdir(), { TERM: 'xterm' });
  t.teardown(() => cli.kill());
  // redis-cli's line editor asks the terminal where the cursor is (ESC[6n), twice: at the start, then at the far right.
  let asked = 0;
  cli.child.stdout?.on('data', (d: Buffer) => {
    for (let i = d.indexOf('\x1b[6n'); i >= 0; i = d.indexOf('\x1b[6n', i + 1)) cli.child.stdin?.write(asked++ % 2 === 0 ? '\x1b[1;1R' : '\x1b[1;120R');
  });
  const prompt = `127.0.0.1:${redisPort}> `;
  let at = await cli.expect(prompt);
  /** Types a line once the prompt is up (its cursor queries answered), then waits for the answer and the next prompt. */
  const ask = async (line: string, answer: string): Promise<void> => {
    cli.type(line);
    at = await cli.expect(answer, at).catch((err: unknown) => {
      t.log(`screen since the last prompt: ${JSON.stringify(cli.output.slice(at))}`);
      throw err;
    });
    at = await cli.expect(prompt, at);
  };
  await ask('set greeting "hello world"', 'OK');
  await ask('get greeting', '"hello world"');
  // The hint comes from kvstore's COMMAND DOCS.
  cli.child.stdin?.write('expire greeting ');
  at = await cli.expect('seconds [NX|XX|GT|LT]', at);
  await ask('100', '(integer) 1');
  await ask('incr n', '(integer) 1');
  await ask('get nothing', '(nil)');
  await ask('bogus x', "(error) ERR unknown command 'bogus', with args beginning with: 'x'");
  cli.type('quit');
  t.is(await cli.exited, 0);
});

withTools('a kvstoreraftsystem peer serves the Redis endpoint too; a half-closed pipe gets every reply', async (t) => {
  const { redisPort } = await raftWithRedis(t);
  const { stdout } = await run('sh', ['-c', `printf 'SET a 1\\r\\nGET a\\r\\nDEL a\\r\\nGET a\\r\\n' | redis-cli -h 127.0.0.1 -p ${redisPort}`]);
  t.is(stdout, 'OK\n1\n1\n\n');
  const r = new Redis({ port: redisPort, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  t.teardown(() => r.disconnect());
  t.is(await r.set('raft', 'yes'), 'OK');
  t.is(await r.get('raft'), 'yes');
  t.is(await r.incr('raft-n'), 1);
  t.is(await r.del('__probe'), 1, "the cluster helper's probe key");
  await waitFor('DBSIZE to count both keys on this peer', async () => (await r.dbsize()) === 2, 5_000, 50);
});

test.serial('requirepass guards the Redis endpoint too: NOAUTH without a password, ioredis and node-redis with one (HELLO 3 AUTH)', async (t) => {
  const c = await RaftProcCluster.create(3, 'requirepass s3cret');
  t.teardown(() => c.cleanup());
  const [redisPort] = await freePorts(1);
  const base = c.configFor.bind(c);
  c.configFor = (id: number) => `${base(id)}${id === 1 ? `redis_info 127.0.0.1:${redisPort}\n` : ''}`;
  c.startAll();
  await waitFor('the Redis endpoint to serve an authenticated SET', async () => (await sendRaw(redisPort!, 'AUTH s3cret\r\nSET a 1\r\n', 3_000, 2)) === '+OK\r\n+OK\r\n', 15_000, 100);
  t.is(await sendRaw(redisPort!, 'GET a\r\n'), '-NOAUTH Authentication required.\r\n');
  t.is(await sendRaw(redisPort!, 'AUTH default nope\r\n'), '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
  const r = new Redis({ port: redisPort!, host: '127.0.0.1', password: 's3cret', maxRetriesPerRequest: 1 });
  t.teardown(() => r.disconnect());
  t.is(await r.get('a'), '1');
  t.regex(await r.client('INFO') as string, / resp=3 /);
  const nr = createClient({ url: `redis://default:s3cret@127.0.0.1:${redisPort}` });
  nr.on('error', () => {});
  await nr.connect();
  t.teardown(() => nr.destroy());
  t.is(await nr.incr('n'), 1);
  const bad = createClient({ url: `redis://default:wrong@127.0.0.1:${redisPort}`, socket: { reconnectStrategy: false } });
  bad.on('error', () => {});
  await t.throwsAsync(bad.connect(), { message: /WRONGPASS/ });
});
