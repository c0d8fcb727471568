import test from 'ava';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import pino from 'pino';
import { encodeRequest } from '../../src/protocol/resp-encoder.js';
import { startRedisDoor } from '../../src/redis/redis-door.js';
import { RequirePass } from '../../src/server/client-auth.js';
import type { ClientLimits } from '../../src/server/client-limits.js';
import { ClientPool } from '../../src/server/client-pool.js';
import { FrontDoorStats } from '../../src/server/front-door-stats.js';
import { MemoryKv } from '../helpers/memory-kv.js';
import { freePorts } from '../helpers/ports.js';
import { waitFor } from '../helpers/processes.js';

const log = pino({ level: 'silent' });
const MiB = 1024 * 1024;

type Teardown = { teardown(fn: () => void | Promise<void>): void };

async function door(t: Teardown, limits: Partial<ClientLimits> = {}, kv = new MemoryKv(), requirepass?: RequirePass): Promise<{ port: number; kv: MemoryKv; stats: FrontDoorStats; pool: ClientPool }> {
  const [port] = await freePorts(1);
  const stats = new FrontDoorStats();
  const pool = new ClientPool(stats, log, limits);
  const d = await startRedisDoor({ listen: { host: '127.0.0.1', port: port! }, kv, info: () => '', dbsize: () => kv.data.size, stats, log, pool, ...(requirepass !== undefined ? { requirepass } : {}) });
  t.teardown(async () => {
    pool.close();
    await d.close();
  });
  return { port: port!, kv, stats, pool };
}

/** A connected client that collects what it is sent and notes when the server closes. */
class Client {
  out = '';
  closed = false;
  readonly socket: Socket;
  readonly ready: Promise<void>;
  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.ready = new Promise((r) => this.socket.once('connect', () => r()));
    this.socket.on('data', (d) => (this.out += d.toString('latin1')));
    this.socket.on('error', () => {});
    this.socket.on('close', () => (this.closed = true));
  }
  async send(bytes: Buffer | string, expect?: string): Promise<string> {
    const from = this.out.length;
    this.socket.write(bytes);
    if (expect !== undefined) await waitFor(`reply ${JSON.stringify(expect)}`, () => this.out.length - from >= expect.length || this.closed, 3000, 5);
    return this.out.slice(from);
  }
  async whenClosed(): Promise<void> {
    await waitFor('server closes the connection', () => this.closed, 3000, 5);
  }
}

const req = (...words: string[]): Buffer => encodeRequest(words);

test('maxclients: the connection beyond it gets Redis\'s exact refusal and is closed; CONFIG GET and a freed slot agree', async (t) => {
  const { port, stats } = await door(t, { maxclients: 2 });
  const a = new Client(port);
  const b = new Client(port);
  t.is(await a.send(req('PING'), '+PONG\r\n'), '+PONG\r\n');
  t.is(await b.send(req('CONFIG', 'GET', 'maxclients'), '*2\r\n$10\r\nmaxclients\r\n$1\r\n2\r\n'), '*2\r\n$10\r\nmaxclients\r\n$1\r\n2\r\n');
  const c = new Client(port);
  await c.whenClosed();
  t.is(c.out, '-ERR max number of clients reached\r\n');
  t.is(stats.connectionsRejected, 1);
  t.is(stats.connectionsOpen, 2);
  t.is(stats.connectionsReceived, 2, 'a refused connection is not counted as received, as Redis');
  a.socket.destroy();
  await waitFor('slot freed', () => stats.connectionsOpen === 1);
  const d = new Client(port);
  t.is(await d.send(req('PING'), '+PONG\r\n'), '+PONG\r\n');
  for (const x of [b, d]) x.socket.destroy();
});

test('protocol errors answer Redis 7.2\'s exact texts, then the connection closes', async (t) => {
  const { port } = await door(t);
  const cases: Array<[string, string]> = [
    ['*1\r\n+PING\r\n', "-ERR Protocol error: expected '$', got '+'\r\n"],
    ['*x\r\n', '-ERR Protocol error: invalid multibulk length\r\n'],
    ['*3000000000\r\n', '-ERR Protocol error: invalid multibulk length\r\n'],
    [`*${'1'.repeat(40)}`, '-ERR Protocol error: too big mbulk count string\r\n'],
    ['*1\r\n$x\r\n', '-ERR Protocol error: invalid bulk length\r\n'],
    ['*1\r\n$-5\r\n', '-ERR Protocol error: invalid bulk length\r\n'],
    [`*1\r\n$${'1'.repeat(40)}`, '-ERR Protocol error: too big bulk count string\r\n'],
    ['*2\r\n$3\r\nGET\r\n$600000000\r\n', '-ERR Protocol error: invalid bulk length\r\n'],
    [`PING ${'x'.repeat(70_000)}`, '-ERR Protocol error: too big inline request\r\n'],
    ['SET "a b\r\n', '-ERR Protocol error: unbalanced quotes in request\r\n'],
  ];
  for (const [input, reply] of cases) {
    const c = new Client(port);
    await c.ready;
    c.socket.write(input);
    await c.whenClosed();
    t.is(c.out, reply, JSON.stringify(input.slice(0, 40)));
  }
});

test('client_query_buffer_limit: a request declaring more is closed without a reply, as Redis, and counted', async (t) => {
  const { port, stats, kv } = await door(t, { queryBufferBytes: MiB });
  const c = new Client(port);
  await c.ready;
  // Two 600 KB words: each under proto-max-bulk-len (clamped to the 1 MiB query buffer), together over it.
  const big = 'x'.repeat(600_000);
  c.socket.write(`*3\r\n$3\r\nSET\r\n$600000\r\n${big}\r\n$600000\r\n`);
  await c.whenClosed();
  t.is(c.out, '');
  t.is(stats.queryBufferDisconnections, 1);
  t.is(kv.data.size, 0);
  const ok = new Client(port);
  t.is(await ok.send(req('CONFIG', 'GET', 'client-query-buffer-limit'), '*2\r\n$25\r\nclient-query-buffer-limit\r\n$7\r\n1048576\r\n'), '*2\r\n$25\r\nclient-query-buffer-limit\r\n$7\r\n1048576\r\n');
  t.is(await ok.send(req('CONFIG', 'GET', 'proto-max-bulk-len'), '*2\r\n$18\r\nproto-max-bulk-len\r\n$7\r\n1048576\r\n'), '*2\r\n$18\r\nproto-max-bulk-len\r\n$7\r\n1048576\r\n');
  ok.socket.destroy();
});

test('output hard limit: a client that pipelines GETs of a large value and never reads is closed; others are served', async (t) => {
  const { port, stats, kv } = await door(t, { outputHardBytes: 4 * MiB, outputSoftBytes: 0 });
  kv.data.set('big', [Buffer.alloc(MiB, 'v')]);
  const slow = new Client(port);
  await slow.ready;
  slow.socket.pause(); // never reads
  slow.socket.write(Buffer.concat(Array.from({ length: 500 }, () => req('GET', 'big'))));
  await waitFor('output limit closes the slow client', () => stats.outputBufferDisconnections === 1, 5000);
  await waitFor('slow client gone', () => stats.connectionsOpen === 0);
  const other = new Client(port);
  t.is(await other.send(req('STRLEN', 'big'), ':1048576\r\n'), ':1048576\r\n');
  const obl = '*2\r\n$26\r\nclient-output-buffer-limit\r\n$74\r\nnormal 4194304 0 60 slave 268435456 67108864 60 pubsub 33554432 8388608 60\r\n';
  t.is(await other.send(req('CONFIG', 'GET', 'client-output-buffer-limit'), obl), obl);
  other.socket.destroy();
  slow.socket.destroy();
});

test('output soft limit: unsent replies over it for outputSoftSec close the client at the sweep; under it, the client stays', async (t) => {
  const { port, stats, kv, pool } = await door(t, { outputHardBytes: 0, outputSoftBytes: 2 * MiB, outputSoftSec: 30 });
  kv.data.set('big', [Buffer.alloc(MiB, 'v')]);
  const slow = new Client(port);
  await slow.ready;
  slow.socket.pause();
  slow.socket.write(Buffer.concat(Array.from({ length: 20 }, () => req('GET', 'big'))));
  const fine = new Client(port);
  t.is(await fine.send(req('PING'), '+PONG\r\n'), '+PONG\r\n');
  await waitFor('replies pending', () => kv.ops.length === 20);
  await new Promise((r) => setTimeout(r, 50));
  pool.sweep(Date.now());
  t.is(stats.outputBufferDisconnections, 0, 'over the soft limit, but not yet for its seconds');
  pool.sweep(Date.now() + 31_000);
  t.is(stats.outputBufferDisconnections, 1);
  // The slow client reads nothing, so it may never see the close: the server's count says it.
  await waitFor('slow client gone', () => stats.connectionsOpen === 1);
  t.false(fine.closed);
  fine.socket.destroy();
});

test('timeout: an idle client is closed at the sweep; one waiting on a running request is not idle', async (t) => {
  const { port, stats, kv, pool } = await door(t, { idleTimeoutSec: 30 });
  const idle = new Client(port);
  t.is(await idle.send(req('PING'), '+PONG\r\n'), '+PONG\r\n');
  const busy = new Client(port);
  t.is(await busy.send(req('CONFIG', 'GET', 'timeout'), '*2\r\n$7\r\ntimeout\r\n$2\r\n30\r\n'), '*2\r\n$7\r\ntimeout\r\n$2\r\n30\r\n');
  kv.delayMs = 3000;
  busy.socket.write(req('GET', 'k'));
  await waitFor('request running', () => kv.ops.length === 1);
  // Sweeps at made-up times: a loaded machine cannot make the client look idle early.
  pool.sweep(Date.now());
  t.is(stats.idleDisconnections, 0);
  pool.sweep(Date.now() + 31_000);
  t.is(stats.idleDisconnections, 1);
  await idle.whenClosed();
  t.false(busy.closed);
  busy.socket.destroy();
});

test('the request window: pipelined GETs of a large value run a few at a time, small ones ramp up to pipelineMax; replies stay in order', async (t) => {
  const kv = new MemoryKv();
  kv.delayMs = 5;
  let running = 0;
  let runningMax = 0;
  const inner = kv.openSession.bind(kv);
  kv.openSession = () => {
    const s = inner();
    return {
      execute: async (op) => {
        running++;
        runningMax = Math.max(runningMax, running);
        try {
          return await s.execute(op);
        } finally {
          running--;
        }
      },
      close: () => s.close(),
    };
  };
  const { port } = await door(t, {}, kv);
  kv.data.set('big', [Buffer.alloc(2 * MiB, 'v')]);
  kv.data.set('small', [Buffer.from('s')]);
  const c = new Client(port);
  const bigReply = `$${2 * MiB}\r\n`.length + 2 * MiB + 2;
  const out = await c.send(Buffer.concat(Array.from({ length: 30 }, () => req('GET', 'big'))), 'x'.repeat(30 * bigReply));
  t.is(out.length, 30 * bigReply);
  // Never more than the first burst of WINDOW_START; after it, 16 MiB of 2 MiB replies: 8 at once.
  t.true(runningMax <= 16, `${runningMax} GETs of 2 MiB ran at once`);
  runningMax = 0;
  const smallOut = await c.send(Buffer.concat(Array.from({ length: 3000 }, (_, i) => req('GET', i % 2 === 0 ? 'small' : 'missing'))), '$1\r\ns\r\n$-1\r\n'.repeat(1500));
  t.is(smallOut, '$1\r\ns\r\n$-1\r\n'.repeat(1500));
  t.true(runningMax > 100, `small GETs ramp up (${runningMax} at once)`);
  t.true(runningMax <= 1024, 'never past pipelineMax');
  c.socket.destroy();
});

test('before AUTH only small requests are read, with Redis 7.2\'s texts; after AUTH the usual limits, and RESET brings the bound back', async (t) => {
  const { port } = await door(t, {}, new MemoryKv(), new RequirePass(Buffer.from('pw')));
  const tooMany = new Client(port);
  await tooMany.ready;
  tooMany.socket.write(req('MSET', 'a', '1', 'b', '2', 'c', '3', 'd', '4', 'e', '5'));
  await tooMany.whenClosed();
  t.is(tooMany.out, '-ERR Protocol error: unauthenticated multibulk length\r\n');
  const tooBig = new Client(port);
  await tooBig.ready;
  tooBig.socket.write(`*2\r\n$4\r\nECHO\r\n$${16 * 1024 + 1}\r\n`);
  await tooBig.whenClosed();
  t.is(tooBig.out, '-ERR Protocol error: unauthenticated bulk length\r\n');
  const ok = new Client(port);
  const word = 'w'.repeat(20_000);
  const echoed = `$20000\r\n${word}\r\n`;
  // AUTH and the large ECHO in one write: AUTH runs before the ECHO is parsed, as in Redis.
  t.is(await ok.send(Buffer.concat([req('AUTH', 'pw'), req('ECHO', word)]), `+OK\r\n${echoed}`), `+OK\r\n${echoed}`);
  t.is(await ok.send(req('RESET'), '+RESET\r\n'), '+RESET\r\n');
  ok.socket.write(req('ECHO', word));
  await ok.whenClosed();
  t.true(ok.out.endsWith('+RESET\r\n-ERR Protocol error: unauthenticated bulk length\r\n'));
});

test('a pipelined WATCH ... EXEC that the client half-closes right after still gets every reply, then the server ends', async (t) => {
  const kv = new MemoryKv();
  kv.delayMs = 30; // WATCH's read is still running when the FIN arrives: the commands after it are held
  const { port } = await door(t, {}, kv);
  const c = new Client(port);
  await c.ready;
  c.socket.write(Buffer.concat([req('WATCH', 'k'), req('MULTI'), req('SET', 'k', 'v'), req('EXEC'), req('GET', 'k')]));
  c.socket.end();
  await c.whenClosed();
  t.is(c.out, '+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n$1\r\nv\r\n');
});
