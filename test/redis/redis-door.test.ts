import test from 'ava';
import { connect } from 'node:net';
import pino from 'pino';
import { encodeRequest } from '../../src/protocol/resp-encoder.js';
import { startRedisDoor } from '../../src/redis/redis-door.js';
import type { RedisDoor } from '../../src/redis/redis-door.js';
import { RequirePass } from '../../src/server/client-auth.js';
import { FrontDoorStats } from '../../src/server/front-door-stats.js';
import { MemoryKv } from '../helpers/memory-kv.js';
import { freePorts } from '../helpers/ports.js';

const log = pino({ level: 'silent' });

async function door(t: { teardown(fn: () => Promise<void>): void }, kv = new MemoryKv(), requirepass?: RequirePass): Promise<{ door: RedisDoor; kv: MemoryKv; port: number }> {
  const [port] = await freePorts(1);
  const d = await startRedisDoor({
    listen: { host: '127.0.0.1', port: port! },
    kv,
    info: () => '# Server\r\nredis_version:7.2.0\r\n\r\n# Persistence\r\nloading:0\r\n',
    dbsize: () => kv.data.size,
    stats: new FrontDoorStats(),
    log,
    ...(requirepass !== undefined ? { requirepass } : {}),
  });
  t.teardown(() => d.close());
  return { door: d, kv, port: port! };
}

/**
 * Writes `bytes`, optionally half-closes, and collects what the server sends
 * until it has `expect` bytes or closes (or 3 s pass).
 */
function exchange(port: number, bytes: Buffer | string, o: { halfClose?: boolean; expect?: string } = {}): Promise<{ out: string; ended: boolean }> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let out = '';
    let ended = false;
    const done = (): void => {
      clearTimeout(timer);
      s.destroy();
      resolve({ out, ended });
    };
    const timer = setTimeout(done, 3000);
    s.on('connect', () => {
      s.write(bytes);
      if (o.halfClose === true) s.end();
    });
    s.on('data', (d) => {
      out += d.toString('latin1');
      if (o.expect !== undefined && out.length >= o.expect.length) done();
    });
    s.on('end', () => {
      ended = true;
      done();
    });
    s.on('error', done);
  });
}

const req = (...words: string[]): Buffer => encodeRequest(words);
const all = (...reqs: Buffer[]): Buffer => Buffer.concat(reqs);

test('GET is a bulk string, $-1 when missing; SET stores the whole value as one word', async (t) => {
  const { port, kv } = await door(t);
  const expect = '$-1\r\n+OK\r\n$11\r\nhello world\r\n';
  const { out } = await exchange(port, all(req('GET', 'k'), req('SET', 'k', 'hello world'), req('GET', 'k')), { expect });
  t.is(out, expect);
  t.deepEqual(kv.data.get('k'), [Buffer.from('hello world')]);
});

test('a value stored as several words (by the lab port) reads back joined by single spaces', async (t) => {
  const { port, kv } = await door(t);
  kv.data.set('k', [Buffer.from('Cloud'), Buffer.from('Computing')]);
  t.is((await exchange(port, req('GET', 'k'), { expect: '$15\r\nCloud Computing\r\n' })).out, '$15\r\nCloud Computing\r\n');
});

test('HELLO 3 answers a RESP3 map, and later replies are RESP3 (null is _)', async (t) => {
  const { port } = await door(t);
  const hello =
    '%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$5\r\n7.2.0\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:1\r\n' +
    '$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n';
  const expect = `${hello}_\r\n`;
  t.is((await exchange(port, all(req('HELLO', '3'), req('GET', 'missing')), { expect })).out, expect);
});

test('HELLO 2 answers a flat array; HELLO 4 is NOPROTO; a bad option is a syntax error naming it', async (t) => {
  const { port } = await door(t);
  const { out } = await exchange(port, all(req('HELLO', '4'), req('HELLO', '3', 'BOGUS'), req('HELLO', 'x'), req('HELLO', '2')), { halfClose: true });
  const lines = out.split('\r\n');
  t.is(lines[0], '-NOPROTO unsupported protocol version');
  t.is(lines[1], "-ERR Syntax error in HELLO option 'BOGUS'");
  t.is(lines[2], '-ERR Protocol version is not an integer or out of range');
  t.is(lines[3], '*14');
});

test('HELLO 3 AUTH default <any> SETNAME n succeeds as on a Redis without a password; other users are WRONGPASS', async (t) => {
  const { port } = await door(t);
  const { out } = await exchange(port, all(req('HELLO', '3', 'AUTH', 'default', 'pw', 'SETNAME', 'app'), req('CLIENT', 'GETNAME'), req('AUTH', 'bob', 'pw'), req('AUTH', 'pw')), { halfClose: true });
  t.true(out.startsWith('%7\r\n'));
  t.true(out.includes('$3\r\napp\r\n'));
  t.true(out.includes('-WRONGPASS invalid username-password pair or user is disabled.\r\n'));
  t.true(out.endsWith('-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n'));
});

test('pipelined replies come back in request order even when the store answers slowly', async (t) => {
  const kv = new MemoryKv();
  kv.delayMs = 20;
  const { port } = await door(t, kv);
  const reqs = [req('SET', 'a', '1'), req('PING'), req('GET', 'a'), req('ECHO', 'e'), req('DEL', 'a', 'b'), req('EXISTS', 'a')];
  const expect = '+OK\r\n+PONG\r\n$1\r\n1\r\n$1\r\ne\r\n:1\r\n:0\r\n';
  t.is((await exchange(port, all(...reqs), { expect })).out, expect);
});

test('a client that half-closes gets every reply, then the server ends the connection', async (t) => {
  const kv = new MemoryKv();
  kv.delayMs = 30;
  const { port } = await door(t, kv);
  const r = await exchange(port, all(req('SET', 'k', 'v'), req('GET', 'k'), Buffer.from('PING\r\n')), { halfClose: true });
  t.is(r.out, '+OK\r\n$1\r\nv\r\n+PONG\r\n');
  t.true(r.ended);
});

test('an unknown command or a wrong arity is an error and the connection lives on', async (t) => {
  const { port } = await door(t);
  const expect = "-ERR unknown command 'foo', with args beginning with: 'bar' \r\n-ERR wrong number of arguments for 'get' command\r\n+PONG\r\n";
  t.is((await exchange(port, all(req('foo', 'bar'), req('GET'), req('PING')), { expect })).out, expect);
});

test('a malformed request gets a protocol error, then the connection closes', async (t) => {
  const { port } = await door(t);
  const r = await exchange(port, '*1\r\n+PING\r\n');
  t.is(r.out, "-ERR Protocol error: expected '$', got '+'\r\n");
  t.true(r.ended);
});

test('QUIT answers +OK and closes; nothing after it runs', async (t) => {
  const { port, kv } = await door(t);
  const r = await exchange(port, all(req('QUIT'), req('SET', 'x', 'y')));
  t.is(r.out, '+OK\r\n');
  t.true(r.ended);
  t.false(kv.data.has('x'));
});

test('SELECT 0 is OK, other databases are out of range; CONFIG GET answers what redis-benchmark asks', async (t) => {
  const { port } = await door(t);
  const { out } = await exchange(port, all(req('SELECT', '0'), req('SELECT', '1'), req('SELECT', 'x'), req('CONFIG', 'GET', 'save'), req('CONFIG', 'GET', 'appendonly')), { halfClose: true });
  t.is(out, '+OK\r\n-ERR DB index is out of range\r\n-ERR value is not an integer or out of range\r\n*2\r\n$4\r\nsave\r\n$0\r\n\r\n*2\r\n$10\r\nappendonly\r\n$3\r\nyes\r\n');
});

test('CONFIG GET takes globs in any case and several patterns', async (t) => {
  const { port } = await door(t);
  const { out } = await exchange(port, req('config', 'get', 'MAXMEM*', 'databases'), { halfClose: true });
  t.is(out, '*6\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n$16\r\nmaxmemory-policy\r\n$10\r\nnoeviction\r\n$9\r\ndatabases\r\n$1\r\n1\r\n');
});

test('INFO is a bulk string in RESP2 and a verbatim string in RESP3', async (t) => {
  const { port } = await door(t);
  const text = '# Server\r\nredis_version:7.2.0\r\n\r\n# Persistence\r\nloading:0\r\n';
  const { out } = await exchange(port, all(req('INFO'), req('HELLO', '3'), req('INFO')), { halfClose: true });
  t.true(out.startsWith(`$${text.length}\r\n${text}\r\n%7\r\n`));
  t.true(out.endsWith(`=${text.length + 4}\r\ntxt:${text}\r\n`));
});

test('CLIENT ID, SETNAME, GETNAME, SETINFO and LIST', async (t) => {
  const { port } = await door(t);
  const { out } = await exchange(
    port,
    all(req('CLIENT', 'ID'), req('CLIENT', 'SETNAME', 'a b'), req('CLIENT', 'SETNAME', 'worker'), req('CLIENT', 'SETINFO', 'LIB-NAME', 'ioredis'), req('CLIENT', 'SETINFO', 'color', 'x'), req('CLIENT', 'LIST')),
    { halfClose: true },
  );
  const lines = out.split('\r\n');
  t.is(lines[0], ':1');
  t.is(lines[1], '-ERR Client names cannot contain spaces, newlines or special characters.');
  t.is(lines[2], '+OK');
  t.is(lines[3], '+OK');
  t.is(lines[4], "-ERR Unrecognized option 'color'");
  t.regex(lines[6]!, /^id=1 addr=127\.0\.0\.1:\d+ laddr=127\.0\.0\.1:\d+ fd=-1 name=worker .* cmd=client\|list user=default redir=-1 resp=2 lib-name=ioredis lib-ver=\n$/);
});

test('COMMAND COUNT, INFO and DOCS describe the table', async (t) => {
  const { port } = await door(t);
  const { out } = await exchange(port, all(req('COMMAND', 'COUNT'), req('COMMAND', 'INFO', 'get', 'nosuch'), req('COMMAND', 'DOCS', 'get')), { halfClose: true });
  t.regex(out, /^:\d+\r\n/);
  t.true(out.includes('*2\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n'));
  t.true(out.includes('$-1\r\n'));
  t.true(out.includes('$7\r\nsummary\r\n$34\r\nReturns the string value of a key.\r\n'));
});

test('SET options are parsed as Redis does: conflicts are syntax errors, bad expiries named; nothing sent', async (t) => {
  const { port, kv } = await door(t);
  const { out } = await exchange(port, all(req('SET', 'k', 'v', 'NX', 'XX'), req('SET', 'k', 'v', 'EX', 'x'), req('SET', 'k', 'v', 'EX', '0'), req('SET', 'k', 'v', 'EX', '9223372036854775'), req('SET', 'k', 'v', 'GET', 'GET'), req('SET', 'k', 'v', 'EX', '1', 'KEEPTTL')), { halfClose: true });
  t.deepEqual(out.split('\r\n').slice(0, 6), [
    '-ERR syntax error',
    '-ERR value is not an integer or out of range',
    "-ERR invalid expire time in 'set' command",
    "-ERR invalid expire time in 'set' command",
    '-ERR syntax error',
    '-ERR syntax error',
  ]);
  t.is(kv.ops.length, 0);
});

test('SET NX / XX / GET, SETNX and GETSET answer as Redis: OK or null, the old value with GET', async (t) => {
  const { port } = await door(t);
  const reqs = [
    req('SET', 'k', 'a', 'XX'), // missing: not set
    req('SET', 'k', 'a', 'NX'), // set
    req('SET', 'k', 'b', 'NX', 'GET'), // exists: not set, old value
    req('SET', 'k', 'c', 'GET'), // set, old value
    req('SETNX', 'k', 'd'),
    req('GETSET', 'k', 'e'),
    req('GET', 'k'),
  ];
  const expect = '$-1\r\n+OK\r\n$1\r\na\r\n$1\r\na\r\n:0\r\n$1\r\nc\r\n$1\r\ne\r\n';
  t.is((await exchange(port, all(...reqs), { expect })).out, expect);
});

test('INCR, INCRBY, DECR, DECRBY, APPEND, STRLEN, GETDEL with Redis error texts', async (t) => {
  const { port } = await door(t);
  const reqs = [
    req('INCR', 'n'),
    req('INCRBY', 'n', '41'),
    req('DECR', 'n'),
    req('DECRBY', 'n', '-10'),
    req('INCRBY', 'n', 'x'),
    req('DECRBY', 'n', '-9223372036854775808'),
    req('SET', 'big', '9223372036854775807'),
    req('INCR', 'big'),
    req('APPEND', 'txt', 'ab'),
    req('APPEND', 'txt', 'cd'),
    req('INCR', 'txt'),
    req('STRLEN', 'txt'),
    req('GETDEL', 'txt'),
    req('GETDEL', 'txt'),
  ];
  const expect = [
    ':1', ':42', ':41', ':51',
    '-ERR value is not an integer or out of range',
    '-ERR decrement would overflow',
    '+OK',
    '-ERR increment or decrement would overflow',
    ':2', ':4',
    '-ERR value is not an integer or out of range',
    ':4',
    '$4', 'abcd',
    '$-1', '',
  ].join('\r\n');
  t.is((await exchange(port, all(...reqs), { expect })).out, expect);
});

test('a store failure is an ERR with its reason; keys over several groups would be CROSSSLOT', async (t) => {
  const kv = new MemoryKv();
  kv.openSession = () => ({ execute: () => Promise.reject(Object.assign(new Error('no participant leads group 2'), { code: 'NO_LEADER' })), close: () => {} });
  const { port } = await door(t, kv);
  const expect = '-ERR kvstore NO_LEADER: no participant leads group 2\r\n';
  t.is((await exchange(port, req('GET', 'k'), { expect })).out, expect);
});

test('MSET stores one word per key, all in one op; MGET answers each key or null; MSET with a key alone is wrong arity', async (t) => {
  const { port, kv } = await door(t);
  const expect = "+OK\r\n*3\r\n$1\r\n1\r\n$-1\r\n$3\r\n2 2\r\n-ERR wrong number of arguments for 'mset' command\r\n";
  const { out } = await exchange(port, all(req('MSET', 'a', '1', 'b', '2 2'), req('MGET', 'a', 'nope', 'b'), req('MSET', 'a', '1', 'b')), { expect });
  t.is(out, expect);
  t.deepEqual(kv.ops[0], { type: 'mset', pairs: [[Buffer.from('a'), Buffer.from('1')], [Buffer.from('b'), Buffer.from('2 2')]] });
});

test('SET EX/PX/KEEPTTL, EXPIRE family, TTL, PTTL, PERSIST; an expired key reads as missing', async (t) => {
  const { port } = await door(t);
  const reqs = [
    req('SET', 'k', 'v', 'EX', '100'),
    req('TTL', 'k'),
    req('SET', 'k', 'w', 'KEEPTTL'),
    req('TTL', 'k'),
    req('PERSIST', 'k'),
    req('TTL', 'k'),
    req('TTL', 'missing'),
    req('EXPIRE', 'k', '50', 'XX'),
    req('EXPIRE', 'k', '50', 'NX'),
    req('EXPIRE', 'k', '60', 'GT'),
    req('EXPIRE', 'k', '10', 'NX', 'GT'),
    req('EXPIRE', 'k', '10', 'GT', 'LT'),
    req('EXPIRE', 'k', '10', 'SOON'),
    req('PEXPIRE', 'k', '1'),
    req('SET', 'gone', 'v', 'PX', '1'),
  ];
  const head = [
    '+OK', ':100', '+OK', ':100', ':1', ':-1', ':-2', ':0', ':1', ':1',
    '-ERR NX and XX, GT or LT options at the same time are not compatible',
    '-ERR GT and LT options at the same time are not compatible',
    '-ERR Unsupported option SOON',
    ':1', '+OK',
  ].join('\r\n') + '\r\n';
  t.is((await exchange(port, all(...reqs), { expect: head })).out, head);
  await new Promise((r) => setTimeout(r, 20));
  const later = '$-1\r\n$-1\r\n:-2\r\n:0\r\n';
  t.is((await exchange(port, all(req('GET', 'k'), req('GET', 'gone'), req('PTTL', 'gone'), req('EXISTS', 'k', 'gone')), { expect: later })).out, later);
});

test('DBSIZE counts the keys the process knows of', async (t) => {
  const { port, kv } = await door(t);
  kv.data.set('a', [Buffer.from('1')]);
  kv.data.set('b', [Buffer.from('2')]);
  t.is((await exchange(port, req('DBSIZE'), { expect: ':2\r\n' })).out, ':2\r\n');
});

test('requirepass: before AUTH only AUTH, HELLO, QUIT and RESET run; a wrong password is WRONGPASS; RESET forgets the AUTH', async (t) => {
  const { port, kv } = await door(t, new MemoryKv(), new RequirePass(Buffer.from('s3cret')));
  const reqs = [
    req('GET', 'k'),
    req('PING'),
    req('nosuch'),
    req('HELLO', '3'),
    req('AUTH', 'wrong'),
    req('AUTH', 'bob', 's3cret'),
    req('AUTH', 's3cret'),
    req('SET', 'k', 'v'),
    req('RESET'),
    req('GET', 'k'),
    req('HELLO', '2', 'AUTH', 'default', 's3cret'),
    req('GET', 'k'),
  ];
  const { out } = await exchange(port, all(...reqs), { halfClose: true });
  const lines = out.split('\r\n');
  t.deepEqual(lines.slice(0, 10), [
    '-NOAUTH Authentication required.',
    '-NOAUTH Authentication required.',
    "-ERR unknown command 'nosuch', with args beginning with: ",
    '-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
    '-WRONGPASS invalid username-password pair or user is disabled.',
    '-WRONGPASS invalid username-password pair or user is disabled.',
    '+OK',
    '+OK',
    '+RESET',
    '-NOAUTH Authentication required.',
  ]);
  t.is(lines[10], '*14');
  t.true(out.endsWith('$1\r\nv\r\n'));
  t.is(kv.ops.filter((o) => o.type === 'set').length, 1, 'nothing ran before AUTH');
});
