import test from 'ava';
import { Redis } from 'ioredis';
import { createClient, WatchError } from 'redis';
import { raftWithRedis, twoPcWithRedis } from '../helpers/redis-door-cluster.js';

/** Keys that CRC16-slot into each of the three groups: {b} 3300 (group 1), {c} 7365 (group 2), {a} 15495 (group 3). */
const g1 = '{b}';
const g2 = '{c}';
const g3 = '{a}';

function ioredis(t: { teardown(fn: () => void): void }, port: number): Redis {
  const r = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  t.teardown(() => r.disconnect());
  return r;
}

test.serial('MULTI/EXEC through the coordinator: one block over three groups, answered per command; WATCH fails EXEC when a key changed', async (t) => {
  const { redisPort } = await twoPcWithRedis(t);
  const r = ioredis(t, redisPort);
  const other = ioredis(t, redisPort);
  await r.set(`${g2}n`, '10');
  const out = await r.multi().set(`${g1}a`, 'x').incrby(`${g2}n`, 5).get(`${g3}missing`).append(`${g1}a`, 'yz').incr(`${g1}a`).mget(`${g1}a`, `${g2}n`).exec();
  t.deepEqual(out!.map(([err, v]) => (err === null ? v : `error: ${err.message}`)), ['OK', 15, null, 3, 'error: ERR value is not an integer or out of range', ['xyz', '15']]);

  // WATCH, a change by another client, then EXEC: null, and nothing of the block applied (in any group).
  await r.watch(`${g1}w`, `${g3}w`);
  await other.set(`${g3}w`, 'changed');
  t.is(await r.multi().set(`${g1}w`, 'mine').set(`${g2}w`, 'mine').exec(), null);
  t.deepEqual(await other.mget(`${g1}w`, `${g2}w`, `${g3}w`), [null, null, 'changed']);
  // Unchanged since WATCH: the block runs.
  await r.watch(`${g1}w`, `${g3}w`);
  t.deepEqual(await r.multi().set(`${g1}w`, 'mine').set(`${g2}w`, 'mine').exec(), [[null, 'OK'], [null, 'OK']]);
  // MSETNX over groups: all or nothing.
  t.is(await r.msetnx(`${g1}nx`, '1', `${g2}nx`, '2'), 1);
  t.is(await r.msetnx(`${g2}nx`, '9', `${g3}nx`, '3'), 0);
  t.deepEqual(await r.mget(`${g1}nx`, `${g2}nx`, `${g3}nx`), ['1', '2', null]);
  // A queued command refused at once dooms the block.
  await t.throwsAsync(r.multi().set(`${g1}q`, '1').call('NOSUCH').exec(), { message: /EXECABORT/ });
  t.is(await r.exists(`${g1}q`), 0);
  // FLUSHALL: every group emptied in one transaction; the store serves on.
  t.is(await r.flushall(), 'OK');
  t.is(await r.exists(`${g1}a`, `${g2}n`, `${g1}w`, `${g2}w`, `${g3}w`, `${g1}nx`, `${g2}nx`), 0);
  t.is(await r.set(`${g3}after`, '1'), 'OK');
  t.is(await r.flushdb('ASYNC'), 'OK');
  t.is(await r.get(`${g3}after`), null);
});

test.serial('KEYS and SCAN after an acknowledged MSET or FLUSHALL over three groups see it whole, though other groups commit it after the reply', async (t) => {
  const { redisPort } = await twoPcWithRedis(t);
  const r = ioredis(t, redisPort);
  await r.del('__ready');
  const keys = [`${g1}k`, `${g2}k`, `${g3}k`];
  for (let round = 0; round < 40; round++) {
    await r.mset(...keys.flatMap((k) => [k, String(round)]));
    t.deepEqual((await r.keys('*')).sort(), [...keys].sort(), `round ${round}: KEYS after MSET`);
    await r.flushall();
    t.deepEqual(await r.keys('*'), [], `round ${round}: KEYS after FLUSHALL`);
    await r.set(`${g2}k`, 'one');
    await r.flushall();
    t.deepEqual(await r.scan('0', 'COUNT', 1000), ['0', []], `round ${round}: SCAN after FLUSHALL`);
  }
});

test.serial('bank transfers: ioredis WATCH/MULTI and node-redis blind MULTI between accounts in three groups keep the total at every MGET', async (t) => {
  const { redisPort } = await twoPcWithRedis(t);
  const accounts = [g1, g2, g3].flatMap((g) => [`${g}acct:0`, `${g}acct:1`, `${g}acct:2`]);
  const setup = ioredis(t, redisPort);
  await setup.mset(...accounts.flatMap((a) => [a, '100']));
  const total = 100 * accounts.length;
  let seed = 7;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const pair = (): [string, string] => {
    const from = rand(accounts.length);
    const to = (from + 1 + rand(accounts.length - 1)) % accounts.length;
    return [accounts[from]!, accounts[to]!];
  };
  let watchedCommits = 0;
  let watchConflicts = 0;
  const watchClient = async (): Promise<void> => {
    const r = ioredis(t, redisPort);
    for (let i = 0; i < 15; i++) {
      const [from, to] = pair();
      for (;;) {
        await r.watch(from, to);
        const [a] = (await r.mget(from)) as [string];
        const amount = Math.min(Number(a), 1 + rand(20));
        const res = await r.multi().decrby(from, amount).incrby(to, amount).exec();
        if (res !== null) {
          watchedCommits++;
          break;
        }
        watchConflicts++;
      }
    }
  };
  const blindClient = async (): Promise<void> => {
    const c = createClient({ url: `redis://127.0.0.1:${redisPort}` });
    c.on('error', () => {});
    await c.connect();
    t.teardown(() => c.destroy());
    for (let i = 0; i < 15; i++) {
      const [from, to] = pair();
      const res = await c.multi().decrBy(from, 3).incrBy(to, 3).exec();
      t.is(res.length, 2);
    }
    // node-redis raises WatchError when EXEC answers null (a key outside the accounts: the total stays).
    const flag = `${g2}flag:${rand(1000)}`;
    await c.watch(flag);
    await setup.set(flag, 'touched');
    await t.throwsAsync(c.multi().incrBy(accounts[0]!, 1).exec(), { instanceOf: WatchError });
  };
  let reads = 0;
  let stop = false;
  const reader = async (): Promise<void> => {
    const r = ioredis(t, redisPort);
    while (!stop) {
      const vs = (await r.mget(...accounts)) as string[];
      t.is(vs.reduce((s, v) => s + Number(v), 0), total, `a read saw a partial transfer: ${vs.join(',')}`);
      reads++;
    }
  };
  const readerDone = reader();
  await Promise.all([watchClient(), watchClient(), blindClient(), blindClient()]);
  stop = true;
  await readerDone;
  const final = (await setup.mget(...accounts)) as string[];
  t.is(final.reduce((s, v) => s + Number(v), 0), total);
  t.is(watchedCommits, 30);
  t.true(reads > 5, `${reads} reads`);
  t.log(`transfers: 30 watched (${watchConflicts} WATCH retries) + 30 blind; ${reads} consistent MGETs of ${accounts.length} accounts`);
});

test.serial('MULTI/EXEC and MSETNX on kvstoreraftsystem (the lab shape, one group)', async (t) => {
  const { redisPort } = await raftWithRedis(t);
  const r = ioredis(t, redisPort);
  t.deepEqual(await r.multi().set('a', '1').incr('a').get('a').exec(), [[null, 'OK'], [null, 2], [null, '2']]);
  t.is(await r.msetnx('a', '5', 'b', '6'), 0);
  t.is(await r.msetnx('b', '6', 'c', '7'), 1);
  await r.watch('a');
  await ioredis(t, redisPort).set('a', 'other');
  t.is(await r.multi().set('a', 'mine').exec(), null);
  t.is(await r.get('a'), 'other');
  t.is(await r.flushall(), 'OK');
  t.is(await r.exists('a', 'b', 'c'), 0);
});
