import test from 'ava';
import { connect, type Socket } from 'node:net';
import pino from 'pino';
import { encodeRequest } from '../../src/protocol/resp-encoder.js';
import { startRedisDoor } from '../../src/redis/redis-door.js';
import { FrontDoorStats } from '../../src/server/front-door-stats.js';
import { MemoryKv } from '../helpers/memory-kv.js';
import { freePorts } from '../helpers/ports.js';

const log = pino({ level: 'silent' });

async function door(t: { teardown(fn: () => Promise<void>): void }): Promise<{ kv: MemoryKv; port: number }> {
  const kv = new MemoryKv();
  const [port] = await freePorts(1);
  const d = await startRedisDoor({ listen: { host: '127.0.0.1', port: port! }, kv, info: () => '', dbsize: () => kv.data.size, stats: new FrontDoorStats(), log });
  t.teardown(() => d.close());
  return { kv, port: port! };
}

/** One connection kept open: `send` writes commands and resolves with exactly the bytes expected (or what came in 2 s). */
class Client {
  #buf = '';
  #waiter: (() => void) | undefined;
  private constructor(private readonly s: Socket) {
    s.on('data', (d) => {
      this.#buf += d.toString('latin1');
      this.#waiter?.();
    });
  }
  static open(port: number): Promise<Client> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new Client(s)));
      s.on('error', reject);
    });
  }
  async send(cmds: string[][], expect: string): Promise<string> {
    this.s.write(Buffer.concat(cmds.map((c) => encodeRequest(c))));
    const deadline = Date.now() + 2000;
    while (this.#buf.length < expect.length && Date.now() < deadline) await new Promise<void>((r) => ((this.#waiter = r), setTimeout(r, 50)));
    const out = this.#buf;
    this.#buf = '';
    return out;
  }
  close(): void {
    this.s.destroy();
  }
}

async function client(t: { teardown(fn: () => void): void }, port: number): Promise<Client> {
  const c = await Client.open(port);
  t.teardown(() => c.close());
  return c;
}

test('MULTI queues, EXEC runs the block in order and answers each command as Redis does', async (t) => {
  const { port } = await door(t);
  const c = await client(t, port);
  const want = '+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*5\r\n+OK\r\n:2\r\n$1\r\n2\r\n$-1\r\n+PONG\r\n';
  t.is(await c.send([['MULTI'], ['SET', 'a', '1'], ['INCR', 'a'], ['GET', 'a'], ['GET', 'missing'], ['PING'], ['EXEC']], want), want);
  t.is(await c.send([['EXEC']], '-ERR EXEC without MULTI\r\n'), '-ERR EXEC without MULTI\r\n');
});

test('an error inside EXEC is that command\'s reply; the others still apply', async (t) => {
  const { kv, port } = await door(t);
  const c = await client(t, port);
  const want = '+OK\r\n+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*3\r\n-ERR value is not an integer or out of range\r\n:5\r\n-ERR syntax error\r\n';
  t.is(await c.send([['SET', 's', 'text'], ['MULTI'], ['INCR', 's'], ['APPEND', 'b', 'hello'], ['SET', 'x', '1', 'BOGUS'], ['EXEC']], want), want);
  t.is(kv.data.get('b')?.[0]?.toString(), 'hello');
  t.is(kv.data.get('x'), undefined);
});

test('a command refused while queueing dooms the block: EXECABORT, nothing applied', async (t) => {
  const { kv, port } = await door(t);
  const c = await client(t, port);
  const want =
    "+OK\r\n+QUEUED\r\n-ERR wrong number of arguments for 'get' command\r\n-ERR unknown command 'nosuch', with args beginning with: \r\n-EXECABORT Transaction discarded because of previous errors.\r\n";
  t.is(await c.send([['MULTI'], ['SET', 'a', '1'], ['GET'], ['nosuch'], ['EXEC']], want), want);
  t.false(kv.data.has('a'));
});

test('nested MULTI, WATCH inside MULTI and DISCARD behave as in Redis', async (t) => {
  const { kv, port } = await door(t);
  const c = await client(t, port);
  const want = '+OK\r\n-ERR MULTI calls can not be nested\r\n-ERR WATCH inside MULTI is not allowed\r\n+QUEUED\r\n+OK\r\n-ERR DISCARD without MULTI\r\n';
  t.is(await c.send([['MULTI'], ['MULTI'], ['WATCH', 'a'], ['SET', 'a', '1'], ['DISCARD'], ['DISCARD']], want), want);
  t.false(kv.data.has('a'), 'DISCARD dropped the queued SET');
});

test('WATCH: a watched key changed by another client makes EXEC a null array and applies nothing', async (t) => {
  const { kv, port } = await door(t);
  const a = await client(t, port);
  const b = await client(t, port);
  t.is(await a.send([['SET', 'k', 'v1'], ['WATCH', 'k']], '+OK\r\n+OK\r\n'), '+OK\r\n+OK\r\n');
  t.is(await b.send([['SET', 'k', 'v2']], '+OK\r\n'), '+OK\r\n');
  const want = '+OK\r\n+QUEUED\r\n+QUEUED\r\n*-1\r\n';
  t.is(await a.send([['MULTI'], ['SET', 'k', 'mine'], ['SET', 'other', 'x'], ['EXEC']], want), want);
  t.is(kv.data.get('k')?.[0]?.toString(), 'v2');
  t.false(kv.data.has('other'));
  // EXEC forgot the watch: the same block now runs.
  const again = '+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n';
  t.is(await a.send([['MULTI'], ['SET', 'k', 'mine'], ['EXEC']], again), again);
  t.is(kv.data.get('k')?.[0]?.toString(), 'mine');
});

test('WATCH of an unchanged key lets EXEC run; UNWATCH forgets; RESP3 answers a failed EXEC with null', async (t) => {
  const { port } = await door(t);
  const a = await client(t, port);
  const b = await client(t, port);
  const ok = '+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n:1\r\n';
  t.is(await a.send([['WATCH', 'n', 'm'], ['MULTI'], ['INCR', 'n'], ['EXEC']], ok), ok);
  t.is(await a.send([['WATCH', 'n'], ['UNWATCH']], '+OK\r\n+OK\r\n'), '+OK\r\n+OK\r\n');
  t.is(await b.send([['INCR', 'n']], ':2\r\n'), ':2\r\n');
  const runs = '+OK\r\n+QUEUED\r\n*1\r\n:3\r\n';
  t.is(await a.send([['MULTI'], ['INCR', 'n'], ['EXEC']], runs), runs);
  const hello = await a.send([['HELLO', '3']], '%');
  t.true(hello.startsWith('%'));
  t.is(await a.send([['WATCH', 'n']], '+OK\r\n'), '+OK\r\n');
  t.is(await b.send([['INCR', 'n']], ':4\r\n'), ':4\r\n');
  const nul = '+OK\r\n+QUEUED\r\n_\r\n';
  t.is(await a.send([['MULTI'], ['INCR', 'n'], ['EXEC']], nul), nul);
});

test('MSETNX sets every key or none; inside MULTI it is refused', async (t) => {
  const { kv, port } = await door(t);
  const c = await client(t, port);
  t.is(await c.send([['MSETNX', 'p', '1', 'q', '2']], ':1\r\n'), ':1\r\n');
  t.is(await c.send([['MSETNX', 'q', '9', 'r', '3']], ':0\r\n'), ':0\r\n');
  t.false(kv.data.has('r'));
  t.is(kv.data.get('q')?.[0]?.toString(), '2');
  t.is(await c.send([['MSETNX', 'a', '1', 'b']], "-ERR wrong number of arguments for 'msetnx' command\r\n"), "-ERR wrong number of arguments for 'msetnx' command\r\n");
  const refused = await c.send([['MULTI'], ['MSETNX', 'z', '1'], ['EXEC']], '+OK\r\n-ERR kvstore: MSETNX is not supported inside MULTI (its keys may span groups); run it alone\r\n-EXECABORT Transaction discarded because of previous errors.\r\n');
  t.regex(refused, /-EXECABORT/);
});

test('DEL, EXISTS, MGET, MSET, EXPIRE and TTL inside one block see each other in order', async (t) => {
  const { kv, port } = await door(t);
  const c = await client(t, port);
  const want = '+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*7\r\n+OK\r\n:2\r\n:1\r\n:1\r\n*3\r\n$-1\r\n$1\r\n2\r\n$-1\r\n:100\r\n:1\r\n';
  const got = await c.send(
    [['MULTI'], ['MSET', 'x', '1', 'y', '2'], ['EXISTS', 'x', 'y'], ['DEL', 'x', 'x'], ['EXPIRE', 'y', '100'], ['MGET', 'x', 'y', 'z'], ['TTL', 'y'], ['EXISTS', 'y'], ['EXEC']],
    want,
  );
  t.is(got, want);
  t.true(kv.expires.has('y'));
});

test('WATCH: a change and its undo between WATCH and the client\'s own read fail EXEC (the block would run on a value the client never had at WATCH)', async (t) => {
  const { kv, port } = await door(t);
  const a = await client(t, port);
  const b = await client(t, port);
  t.is(await a.send([['SET', 'acct', '81'], ['WATCH', 'acct']], '+OK\r\n+OK\r\n'), '+OK\r\n+OK\r\n');
  t.is(await b.send([['DECRBY', 'acct', '5']], ':76\r\n'), ':76\r\n');
  t.is(await a.send([['GET', 'acct']], '$2\r\n76\r\n'), '$2\r\n76\r\n');
  t.is(await b.send([['INCRBY', 'acct', '5']], ':81\r\n'), ':81\r\n');
  // The value is what WATCH saw again, but not what this client read and decided on.
  const want = '+OK\r\n+QUEUED\r\n*-1\r\n';
  t.is(await a.send([['MULTI'], ['DECRBY', 'acct', '1'], ['EXEC']], want), want);
  t.is(kv.data.get('acct')?.[0]?.toString(), '81');
  // A read that agrees with WATCH keeps the watch; then the block runs.
  t.is(await a.send([['WATCH', 'acct'], ['GET', 'acct']], '+OK\r\n$2\r\n81\r\n'), '+OK\r\n$2\r\n81\r\n');
  const runs = '+OK\r\n+QUEUED\r\n*1\r\n:80\r\n';
  t.is(await a.send([['MULTI'], ['DECRBY', 'acct', '1'], ['EXEC']], runs), runs);
  // The connection's own write to a watched key touches it, as in Redis, even when it leaves the same value.
  const own = '+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n*-1\r\n';
  t.is(await a.send([['WATCH', 'acct'], ['SET', 'acct', '80'], ['MULTI'], ['INCR', 'acct'], ['EXEC']], own), own);
  t.is(kv.data.get('acct')?.[0]?.toString(), '80');
});
