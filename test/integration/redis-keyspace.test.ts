import test from 'ava';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { waitFor } from '../helpers/processes.js';
import { freePorts } from '../helpers/ports.js';
import { RaftProcCluster } from '../helpers/raft-cluster.js';
import { raftWithRedis, twoPcWithRedis } from '../helpers/redis-door-cluster.js';
import { keySlot } from '../../src/sharding/slot.js';

const run = promisify(execFile);

/** Keys over all three groups (slots 0..5461, 5462..10922, 10923..16383), a hash-tagged run in one slot among them. */
const KEYS = [...Array.from({ length: 300 }, (_, i) => `user:${i}`), ...Array.from({ length: 200 }, (_, i) => `{orders}${i}`), 'a*b', 'a?b', '[x]', 'h\\llo'];
const PROBES = ['__ready', '__probe'];

/** Every key a full SCAN returns, cursor by cursor, each call's reply checked for shape. */
async function scanAll(r: Redis, ...opts: (string | number)[]): Promise<{ keys: string[]; calls: number }> {
  const keys: string[] = [];
  let cursor = '0';
  let calls = 0;
  do {
    const [next, batch] = await r.scan(cursor, ...(opts as ['COUNT', number]));
    if (!/^\d+$/.test(next)) throw new Error(`cursor ${next} is not an unsigned decimal`);
    keys.push(...batch);
    cursor = next;
    calls++;
  } while (cursor !== '0');
  return { keys, calls };
}

const sorted = (xs: Iterable<string>): string[] => [...xs].sort();
const user = (ks: Iterable<string>): string[] => sorted([...ks].filter((k) => !PROBES.includes(k)));

async function fill(r: Redis): Promise<void> {
  const p = r.pipeline();
  for (const k of KEYS) p.set(k, 'v');
  const results = (await p.exec())!;
  if (results.some(([err]) => err !== null)) throw new Error('a SET failed');
}

test.serial('coordinator over 3 groups: SCAN returns every key once in small calls, MATCH/COUNT/TYPE as Redis, KEYS with globs, expired keys left out', async (t) => {
  const { redisPort } = await twoPcWithRedis(t);
  const r = new Redis({ port: redisPort, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  t.teardown(() => r.disconnect());
  await fill(r);
  const groupsHit = new Set(KEYS.map((k) => Math.floor(keySlot(Buffer.from(k)) / 5462)));
  t.is(groupsHit.size, 3);

  const { keys, calls } = await scanAll(r, 'COUNT', 7);
  t.deepEqual(user(keys), sorted(KEYS));
  t.is(keys.length, new Set(keys).size, 'a quiet keyspace: each key once');
  t.true(calls >= 50, `COUNT 7 over ${KEYS.length} keys took ${calls} calls`);

  t.deepEqual(sorted((await scanAll(r, 'MATCH', 'user:1?', 'COUNT', 50)).keys), sorted(Array.from({ length: 10 }, (_, i) => `user:1${i}`)));
  t.deepEqual(sorted((await scanAll(r, 'TYPE', 'string', 'COUNT', 1000)).keys).filter((k) => !PROBES.includes(k)), sorted(KEYS));
  t.deepEqual(await r.scan('0', 'TYPE', 'hash'), ['0', []]);
  await t.throwsAsync(r.scan('abc'), { message: 'ERR invalid cursor' });
  await t.throwsAsync(r.scan('0', 'COUNT', '0'), { message: 'ERR syntax error' });
  await t.throwsAsync(r.scan('0', 'COUNT', 'x'), { message: 'ERR value is not an integer or out of range' });
  await t.throwsAsync(r.call('SCAN', '0', 'MATCH'), { message: 'ERR syntax error' });

  t.deepEqual(user(await r.keys('*')), sorted(KEYS));
  t.deepEqual(sorted(await r.keys('user:2[0-4]')), ['user:20', 'user:21', 'user:22', 'user:23', 'user:24']);
  t.deepEqual(sorted(await r.keys('{orders}1[^0-9]*')), []);
  t.is((await r.keys('{orders}*')).length, 200);
  t.deepEqual(await r.keys('a\\*b'), ['a*b']);
  t.deepEqual(sorted(await r.keys('a?b')), ['a*b', 'a?b']);
  t.deepEqual(await r.keys('\\[x\\]'), ['[x]']);
  t.deepEqual(await r.keys('h\\\\llo'), ['h\\llo']);
  t.deepEqual(await r.keys('nothing*'), []);

  t.is(await r.set('short', 'v', 'PX', 200), 'OK');
  t.deepEqual(await r.keys('short'), ['short']);
  await new Promise((res) => setTimeout(res, 300));
  t.deepEqual(await r.keys('short'), []);
  t.false((await scanAll(r, 'COUNT', 1000)).keys.includes('short'));
});

test.serial('ioredis scanStream and redis-cli --scan see the same keys; a key present throughout is returned while others come and go', async (t) => {
  const { redisPort } = await twoPcWithRedis(t);
  const r = new Redis({ port: redisPort, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  t.teardown(() => r.disconnect());
  await fill(r);
  const streamed: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const s = r.scanStream({ match: 'user:*', count: 25 });
    s.on('data', (batch: string[]) => streamed.push(...batch));
    s.on('end', resolve);
    s.on('error', reject);
  });
  t.deepEqual(sorted(new Set(streamed)), sorted(KEYS.filter((k) => k.startsWith('user:'))));

  // Churn between calls: keys added and removed never hide one that stays.
  const seen = new Set<string>();
  let cursor = '0';
  let round = 0;
  do {
    const [next, batch] = await r.scan(cursor, 'COUNT', 20);
    for (const k of batch) seen.add(k);
    await r.set(`churn:${round}`, 'x');
    if (round % 3 === 0) await r.del(`{orders}${round}`);
    cursor = next;
    round++;
  } while (cursor !== '0');
  const stayed = KEYS.filter((k) => !(k.startsWith('{orders}') && Number(k.slice(8)) % 3 === 0 && Number(k.slice(8)) < round));
  t.deepEqual(stayed.filter((k) => !seen.has(k)), []);

  if (spawnSync('redis-cli', ['--version']).status === 0) {
    const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(redisPort), '--scan', '--pattern', 'user:*']);
    t.deepEqual(sorted(new Set(stdout.trim().split('\n'))), sorted(KEYS.filter((k) => k.startsWith('user:'))));
  }
});

test.serial('kvstoreraftsystem with groups 3: SCAN resumes on any peer and across a group leader being killed mid-iteration', async (t) => {
  const c = await RaftProcCluster.create(3, 'groups 3');
  t.teardown(() => c.group.cleanup());
  const ports = await freePorts(3);
  const base = c.configFor.bind(c);
  c.configFor = (id: number) => `${base(id)}redis_info 127.0.0.1:${ports[id - 1]}\n`;
  c.startAll();
  await c.leader();
  const rs = ports.map((port) => new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 3, retryStrategy: () => 100 }));
  // Peer 3's client loses its server on purpose.
  for (const r of rs) r.on('error', () => {});
  t.teardown(() => rs.forEach((r) => r.disconnect()));
  await waitFor('every group to take writes', async () => {
    try {
      await fill(rs[0]!);
      return true;
    } catch {
      return undefined;
    }
  }, 10_000, 200);
  // Half the iteration through peer 1, the rest through peer 2 after peer 3 (leading some group) is killed.
  const seen: string[] = [];
  let cursor = '0';
  for (let i = 0; i < 20; i++) {
    const [next, batch] = await rs[0]!.scan(cursor, 'COUNT', 10);
    seen.push(...batch);
    cursor = next;
  }
  t.not(cursor, '0');
  await c.kill(3);
  do {
    const [next, batch] = await waitFor('a scan step to succeed', async () => {
      try {
        return await rs[1]!.scan(cursor, 'COUNT', 10);
      } catch {
        return undefined;
      }
    }, 10_000, 100);
    seen.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  t.deepEqual(user(new Set(seen)), sorted(KEYS));
  t.deepEqual(user(await rs[1]!.keys('*')), sorted(KEYS));
  // WAIT at a peer: after writes in every group with peer 3 down, one follower per group holds them.
  await fill(rs[1]!);
  t.is(await rs[1]!.wait(1, 0), 1);
  t.is(await rs[1]!.wait(2, 200), 1);
});

test.serial('kvstoreraftsystem with one group: SCAN and KEYS over the peer\'s own replica, WAIT counts its two followers', async (t) => {
  const { redisPort } = await raftWithRedis(t);
  const r = new Redis({ port: redisPort, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  t.teardown(() => r.disconnect());
  await fill(r);
  const { keys, calls } = await scanAll(r, 'COUNT', 25);
  t.deepEqual(user(keys), sorted(KEYS));
  t.true(calls >= 20, `${calls} calls`);
  t.deepEqual(sorted(await r.keys('user:1?')), sorted(Array.from({ length: 10 }, (_, i) => `user:1${i}`)));
  t.is(await r.wait(2, 2000), 2);
});

test.serial('WAIT counts the followers holding the connection\'s writes; CLUSTER SLOTS/SHARDS describe one shard and ioredis Cluster works through it', async (t) => {
  const { cluster, redisPort } = await twoPcWithRedis(t);
  const r = new Redis({ port: redisPort, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  t.teardown(() => r.disconnect());
  t.is(await r.set('w', '1'), 'OK');
  t.is(await r.wait(2, 2000), 2);
  t.is(await r.wait(0, 0), 2);
  await t.throwsAsync(r.wait(1, -1), { message: 'ERR timeout is negative' });
  await t.throwsAsync(r.call('WAIT', '1', 'x'), { message: 'ERR timeout is not an integer or out of range' });
  await t.throwsAsync(r.call('WAIT', 'x', '0'), { message: 'ERR value is not an integer or out of range' });
  // One participant down: its group replicas can no longer all hold new writes; WAIT 2 gives up at its timeout with what holds them.
  await cluster.killParticipant(3);
  await waitFor('writes to go on with two of three', async () => {
    try {
      return (await r.set('w', '2')) === 'OK' ? true : undefined;
    } catch {
      return undefined;
    }
  }, 10_000, 100);
  const t0 = Date.now();
  const n = await r.wait(2, 300);
  t.true(n === 1, `WAIT 2 300 answered ${n}`);
  t.true(Date.now() - t0 >= 250, 'it waited out its timeout');

  const slots = (await r.call('CLUSTER', 'SLOTS')) as unknown[];
  t.deepEqual(slots, [[0, 16383, ['127.0.0.1', redisPort, (slots[0] as unknown[][])[2]![2], []]]]);
  t.regex(String((slots[0] as unknown[][])[2]![2]), /^[0-9a-f]{40}$/);
  t.regex(String(await r.call('CLUSTER', 'INFO')), /^cluster_state:ok\r\ncluster_slots_assigned:16384\r\n/);
  const shards = (await r.call('CLUSTER', 'SHARDS')) as unknown[];
  t.deepEqual((shards[0] as unknown[]).slice(0, 2), ['slots', [0, 16383]]);
  t.is(await r.call('CLUSTER', 'KEYSLOT', '{user1000}.following'), keySlot(Buffer.from('user1000')));

  const cl = new Cluster([{ host: '127.0.0.1', port: redisPort }], { redisOptions: { maxRetriesPerRequest: 1 } });
  t.teardown(() => cl.disconnect());
  t.is(await cl.set('via-cluster', 'hello'), 'OK');
  t.is(await cl.get('via-cluster'), 'hello');
  t.is(await cl.mset('{c}a', '1', '{c}b', '2'), 'OK');
  t.deepEqual(await cl.mget('{c}a', '{c}b'), ['1', '2']);
  t.is(await r.get('via-cluster'), 'hello');
});
