import test from 'ava';
import { connect, createServer } from 'node:net';
import pino from 'pino';
import { LAB_ERROR_REPLY } from '../../src/protocol/resp-encoder.js';
import { encodeRequest } from '../../src/protocol/resp-encoder.js';
import { CLIENT_SERVER_OPTIONS, ClientConnection } from '../../src/server/client-connection.js';
import { parserLimitsOf } from '../../src/server/client-limits.js';
import type { ClientLimits } from '../../src/server/client-limits.js';
import { ClientPool } from '../../src/server/client-pool.js';
import { FrontDoorStats } from '../../src/server/front-door-stats.js';
import { MemoryKv } from '../helpers/memory-kv.js';
import { waitFor } from '../helpers/processes.js';

const log = pino({ level: 'silent' });
const MiB = 1024 * 1024;

/** The lab port as coordinator.ts wires it: admission, then a ClientConnection whose replies the pool bounds. */
async function labPort(t: { teardown(fn: () => void): void }, limits: Partial<ClientLimits>, kv = new MemoryKv()): Promise<{ port: number; stats: FrontDoorStats; kv: MemoryKv }> {
  const stats = new FrontDoorStats();
  const pool = new ClientPool(stats, log, limits);
  const server = createServer(CLIENT_SERVER_OPTIONS, (socket) => {
    socket.on('error', () => {});
    if (!pool.admit(socket, LAB_ERROR_REPLY)) return;
    new ClientConnection(socket, Buffer.alloc(0), kv, { pipelineMax: 1024, parser: parserLimitsOf(pool.limits, undefined), pool }, log, undefined, { stats });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    pool.close();
    server.close();
  });
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return { port: addr.port, stats, kv };
}

function collect(port: number): { out: () => string; closed: () => boolean; write: (b: Buffer) => void; destroy: () => void; pause: () => void } {
  const s = connect(port, '127.0.0.1');
  let out = '';
  let closed = false;
  s.on('data', (d) => (out += d.toString('latin1')));
  s.on('error', () => {});
  s.on('close', () => (closed = true));
  return { out: () => out, closed: () => closed, write: (b) => s.write(b), destroy: () => s.destroy(), pause: () => s.pause() };
}

test('lab port: beyond maxclients a connection gets the lab\'s -ERROR and is closed; the admitted ones are served byte for byte as before', async (t) => {
  const { port, stats } = await labPort(t, { maxclients: 1 });
  const a = collect(port);
  a.write(encodeRequest(['SET', 'k', 'v']));
  a.write(encodeRequest(['GET', 'k']));
  await waitFor('replies', () => a.out().length >= '+OK\r\n*1\r\n$1\r\nv\r\n'.length);
  t.is(a.out(), '+OK\r\n*1\r\n$1\r\nv\r\n');
  const b = collect(port);
  await waitFor('refused', () => b.closed());
  t.is(b.out(), '-ERROR\r\n');
  t.is(stats.connectionsRejected, 1);
  a.destroy();
});

test('lab port: a client that never reads its replies is closed at the output hard limit', async (t) => {
  const { port, stats, kv } = await labPort(t, { outputHardBytes: 2 * MiB, outputSoftBytes: 0 });
  kv.data.set('big', [Buffer.alloc(MiB, 'v')]);
  const slow = collect(port);
  slow.pause();
  slow.write(Buffer.concat(Array.from({ length: 200 }, () => encodeRequest(['GET', 'big']))));
  await waitFor('closed by the output limit', () => stats.outputBufferDisconnections === 1, 5000);
  await waitFor('gone', () => stats.connectionsOpen === 0);
  t.pass();
  slow.destroy();
});
