import test from 'ava';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { encodeRequest } from '../../src/protocol/resp-encoder.js';
import { openFilesSoftLimit } from '../../src/server/fd-limit.js';
import { freePorts } from '../helpers/ports.js';
import { REPO, waitFor } from '../helpers/processes.js';
import { RaftProcCluster } from '../helpers/raft-cluster.js';
import { cmd } from '../helpers/resp-client.js';

type Teardown = { teardown(fn: () => void | Promise<void>): void };

/** One kvstoreraftsystem peer (one group) with the Redis endpoint and `extra` config lines. */
async function onePeer(t: Teardown, extra: string): Promise<{ redisPort: number; pid: number }> {
  const c = await RaftProcCluster.create(1);
  t.teardown(() => c.group.cleanup());
  const [redisPort] = await freePorts(1);
  const base = c.configFor.bind(c);
  c.configFor = (id: number) => `${base(id)}redis_info 127.0.0.1:${redisPort}\n${extra}`;
  c.startAll();
  await c.leader();
  await waitFor('redis endpoint', async () => (await cmd(redisPort!, 'PING')) === '+PONG\r\n');
  return { redisPort: redisPort!, pid: c.proc(1).child.pid! };
}

function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

function infoField(info: string, name: string): number {
  const m = new RegExp(`\\r\\n${name}:(\\d+)\\r\\n`).exec(info);
  if (m === null) throw new Error(`INFO has no ${name}`);
  return Number(m[1]);
}

const MiB = 1024 * 1024;

test('10,000 concurrent clients from a separate process each PING, SET and GET; the 10,001st gets maxclients\' refusal', async (t) => {
  const clients = 10_000;
  // Node raises its soft limit to the hard one; the server and the flooder each need a descriptor per client.
  const openFiles = openFilesSoftLimit();
  if (openFiles !== undefined && openFiles < clients + 100) {
    t.fail(`ulimit -Hn is ${openFiles}: 10000 clients need at least ${clients + 100} open files (README, "Many clients")`);
    return;
  }
  const { redisPort, pid } = await onePeer(t, '');
  t.is(await cmd(redisPort, 'CONFIG', 'GET', 'maxclients'), '*2\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n');
  const rssBefore = rssBytes(pid);
  const child = spawn(process.execPath, ['--import=tsx', join(REPO, 'test/helpers/conn-flood.ts'), String(redisPort), String(clients)], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  const lines = createInterface({ input: child.stdout });
  const hold = await new Promise<string>((resolve) => lines.on('line', (l) => (l.startsWith('HOLD') || l.startsWith('FAIL') ? resolve(l) : undefined)));
  t.true(hold.startsWith('HOLD '), hold);
  const r = JSON.parse(hold.slice(5)) as { ok: number; failed: number; open: number; ms: number; failures: string[] };
  t.deepEqual(r.failures, []);
  t.is(r.ok, clients);
  t.is(r.open, clients);
  const rssHeld = rssBytes(pid);
  // One more is beyond maxclients: Redis's exact refusal, then closed.
  t.is(await cmd(redisPort, 'PING'), '-ERR max number of clients reached\r\n');
  const perConnection = (rssHeld - rssBefore) / clients;
  t.log(`10000 clients in ${r.ms} ms; server RSS ${(rssBefore / MiB).toFixed(0)} -> ${(rssHeld / MiB).toFixed(0)} MiB: ${(perConnection / 1024).toFixed(1)} KiB per connection (keys and log included)`);
  // Teeth for memory: a connection must stay cheap (Redis's is ~20 KiB with its buffers).
  t.true(perConnection < 64 * 1024, `${perConnection} bytes per connection`);
  child.stdin.write('release\n');
  const code = await new Promise<number | null>((res) => child.once('exit', res));
  t.is(code, 0);
  await waitFor('clients gone', async () => infoField(await cmd(redisPort, 'INFO'), 'connected_clients') === 1, 10_000);
  const info = await cmd(redisPort, 'INFO');
  t.is(infoField(info, 'rejected_connections'), 1);
  t.is(infoField(info, 'maxclients'), 10_000);
});

/** A client that pipelines `gets` GETs of `key` and never reads a reply. */
function nonReader(port: number, key: string, gets: number): () => void {
  const s = connect(port, '127.0.0.1');
  s.on('error', () => {});
  s.pause();
  s.on('connect', () => s.write(Buffer.concat(Array.from({ length: gets }, () => encodeRequest(['GET', key])))));
  return () => s.destroy();
}

test('a client that pipelines GETs of a 1 MiB value and never reads is cut at the output limit; server memory stays bounded and others are served', async (t) => {
  const { redisPort, pid } = await onePeer(t, 'client_output_buffer_limit 16mb 8mb 2\n');
  const value = 'v'.repeat(MiB);
  t.is(await cmd(redisPort, 'SET', 'big', value), '+OK\r\n');
  t.is(await cmd(redisPort, 'CONFIG', 'GET', 'client-output-buffer-limit'), '*2\r\n$26\r\nclient-output-buffer-limit\r\n$80\r\nnormal 16777216 8388608 2 slave 268435456 67108864 60 pubsub 33554432 8388608 60\r\n');
  const rssBefore = rssBytes(pid);
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssBytes(pid))), 20);
  t.teardown(() => clearInterval(sampler));
  // Each asks for 2 GiB of replies; unbounded, three of them would take 6 GiB.
  for (let round = 1; round <= 3; round++) {
    const stop = nonReader(redisPort, 'big', 2048);
    t.teardown(stop);
    await waitFor(`non-reader ${round} cut`, async () => infoField(await cmd(redisPort, 'INFO', 'stats'), 'client_output_buffer_limit_disconnections') === round, 10_000);
    // Meanwhile everyone else is served.
    t.is(await cmd(redisPort, 'STRLEN', 'big'), `:${MiB}\r\n`);
    t.is(await cmd(redisPort, 'PING'), '+PONG\r\n');
    stop();
  }
  clearInterval(sampler);
  const grew = rssPeak - rssBefore;
  t.log(`server RSS ${(rssBefore / MiB).toFixed(0)} MiB, peak ${(rssPeak / MiB).toFixed(0)} MiB while 3 non-readers asked for 6 GiB of replies`);
  t.true(grew < 256 * MiB, `RSS grew by ${(grew / MiB).toFixed(0)} MiB`);
});

test('timeout closes an idle client of a real node; CONFIG GET timeout says the configured value', async (t) => {
  const { redisPort } = await onePeer(t, 'timeout 1\n');
  t.is(await cmd(redisPort, 'CONFIG', 'GET', 'timeout'), '*2\r\n$7\r\ntimeout\r\n$1\r\n1\r\n');
  const s = connect(redisPort, '127.0.0.1');
  s.on('error', () => {});
  let out = '';
  let closed = false;
  s.on('data', (d) => (out += d.toString('latin1')));
  s.on('close', () => (closed = true));
  s.write(encodeRequest(['PING']));
  await waitFor('PONG', () => out === '+PONG\r\n');
  const at = Date.now();
  await waitFor('idle close', () => closed, 5000);
  const after = Date.now() - at;
  t.true(after >= 900, `closed after ${after} ms`);
  t.true(after < 3500, `closed after ${after} ms`);
});
