import test from 'ava';
import { connect, type Socket } from 'node:net';
import { encodeRequest } from '../../src/protocol/resp-encoder.js';
import { hasRedisServer, startRedisServer } from '../helpers/redis-server.js';
import { RawReplySplitter, sortedTree, type RawReply } from '../helpers/resp-raw.js';
import { twoPcWithRedis } from '../helpers/redis-door-cluster.js';
import { CORPUS, RESP3_CORPUS, WHY, type CorpusEntry } from './redis-corpus.js';

const withServer = hasRedisServer ? test.serial : test.serial.skip;

/** One connection that sends a request and waits for exactly one reply. */
class Conn {
  private readonly splitter = new RawReplySplitter();
  private readonly queue: RawReply[] = [];
  private waiter: (() => void) | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.queue.push(...this.splitter.feed(d));
      this.waiter?.();
    });
  }

  static open(port: number): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new Conn(s)));
      s.once('error', reject);
    });
  }

  async send(entry: CorpusEntry, timeoutMs = 3_000): Promise<RawReply> {
    this.socket.write('raw' in entry.send ? Buffer.from(entry.send.raw, 'latin1') : encodeRequest(entry.send.map((w) => Buffer.from(w, 'latin1'))));
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length === 0) {
      if (Date.now() > deadline) throw new Error(`no reply to ${describe(entry)}`);
      await new Promise<void>((r) => {
        this.waiter = r;
        setTimeout(r, 50);
      });
    }
    return this.queue.shift()!;
  }

  close(): void {
    this.socket.destroy();
  }
}

function describe(e: CorpusEntry): string {
  return 'raw' in e.send ? JSON.stringify(e.send.raw) : e.send.map((w) => JSON.stringify(w)).join(' ');
}

const show = (r: RawReply): string => JSON.stringify(r.bytes.toString('latin1'));

/** What is wrong with kvstore's reply to one entry against Redis's, or undefined. */
function mismatch(e: CorpusEntry, redis: RawReply, kv: RawReply): string | undefined {
  switch (e.compare) {
    case 'bytes':
    case 'eventually':
      return redis.bytes.equals(kv.bytes) ? undefined : `redis ${show(redis)}, kvstore ${show(kv)}`;
    case 'sorted':
      return JSON.stringify(sortedTree(redis.tree)) === JSON.stringify(sortedTree(kv.tree)) ? undefined : `(sorted) redis ${show(redis)}, kvstore ${show(kv)}`;
    case 'near': {
      const ok = redis.tree.type === ':' && kv.tree.type === ':' && Math.abs(Number(redis.tree.text) - Number(kv.tree.text)) <= 50;
      return ok ? undefined : `(near) redis ${show(redis)}, kvstore ${show(kv)}`;
    }
    case 'differs':
      return e.kvstore!.test(kv.bytes.toString('latin1')) ? undefined : `(documented difference) kvstore ${show(kv)} does not match ${String(e.kvstore)}`;
  }
}

async function runCorpus(redisPort: number, kvPort: number, corpus: readonly CorpusEntry[], log: (s: string) => void): Promise<string[]> {
  const [redis, kv] = await Promise.all([Conn.open(redisPort), Conn.open(kvPort)]);
  const problems: string[] = [];
  try {
    for (const e of corpus) {
      const [r, first] = await Promise.all([redis.send(e), kv.send(e)]);
      let k = first;
      for (const until = Date.now() + 2_000; e.compare === 'eventually' && !r.bytes.equals(k.bytes) && Date.now() < until; ) {
        await new Promise((res) => setTimeout(res, 50));
        k = await kv.send(e);
      }
      const bad = mismatch(e, r, k);
      if (bad !== undefined) problems.push(`${describe(e)}: ${bad}`);
      else if (e.compare === 'differs') log(`documented: ${describe(e)}: redis ${show(r)}, kvstore ${show(k)}`);
    }
  } finally {
    redis.close();
    kv.close();
  }
  return problems;
}

withServer('reply bytes: the corpus answers as a real redis-server, RESP2 then RESP3 after HELLO 3, but for the documented differences', async (t) => {
  const [{ port: redisPort, version }, { redisPort: kvPort }] = await Promise.all([startRedisServer(t), twoPcWithRedis(t)]);
  t.log(`reference: redis-server ${version}`);
  // The cluster helper's readiness probe is the only key kvstore starts with.
  const clean = await Conn.open(kvPort);
  await clean.send({ send: ['DEL', '__ready'], compare: 'bytes' });
  clean.close();

  const problems = [...(await runCorpus(redisPort, kvPort, CORPUS, (s) => t.log(s))), ...(await runCorpus(redisPort, kvPort, RESP3_CORPUS, (s) => t.log(s)))];
  for (const p of problems) t.log(p);
  t.deepEqual(problems, []);
  t.true(CORPUS.length + RESP3_CORPUS.length > 250);
});

test('every documented difference has a reason, and every entry that differs names one of them', (t) => {
  const reasons = new Set<string>(Object.values(WHY));
  for (const e of [...CORPUS, ...RESP3_CORPUS]) {
    if (e.compare === 'differs') {
      t.true(e.why !== undefined && reasons.has(e.why), describe(e));
      t.true(e.kvstore instanceof RegExp, describe(e));
    } else t.is(e.why, undefined, describe(e));
  }
});

/** A small seeded generator (mulberry32), so a failing pattern can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

withServer('glob: kvstore\'s stringmatchlen port picks the same keys as redis-server\'s KEYS for random patterns', async (t) => {
  const { port } = await startRedisServer(t);
  const { globMatch } = await import('../../src/kv/glob-match.js');
  const next = rng(0x5eed);
  const pick = (alphabet: string, max: number): string => Array.from({ length: Math.floor(next() * (max + 1)) }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
  const keys = new Set<string>(['', 'a', '*', '?', '[', ']', '\\', '-', '^']);
  while (keys.size < 60) keys.add(pick('ab-]^\\[*?', 4));
  const conn = await Conn.open(port);
  t.teardown(() => conn.close());
  for (const k of keys) await conn.send({ send: ['SET', k, 'v'], compare: 'bytes' });
  const problems: string[] = [];
  for (let i = 0; i < 400; i++) {
    const pattern = pick('ab*?[]^-\\', 6);
    const reply = await conn.send({ send: ['KEYS', pattern], compare: 'bytes' });
    const theirs = (reply.tree.items ?? []).map((x) => x.text).sort();
    const ours = [...keys].filter((k) => (pattern === '*' ? true : globMatch(Buffer.from(pattern, 'latin1'), Buffer.from(k, 'latin1')))).sort();
    if (JSON.stringify(theirs) !== JSON.stringify(ours)) problems.push(`KEYS ${JSON.stringify(pattern)}: redis ${JSON.stringify(theirs)}, kvstore ${JSON.stringify(ours)}`);
  }
  t.deepEqual(problems, []);
});
