import test from 'ava';
import { isNetError } from '../../src/net/net-error.js';
import { RpcClient } from '../../src/net/rpc-client.js';
import { frameBytes, helloBytes, rawDial } from './fake-peer.js';
import { freePort, recordingLogger, startNode, waitFor } from './helpers.js';

function client(t: import('ava').ExecutionContext, port: number, cluster = 'test'): RpcClient {
  const c = new RpcClient({
    cluster,
    address: { host: '127.0.0.1', port },
    logger: recordingLogger(),
    limits: { reconnectDelayMinMs: 10, reconnectDelayMaxMs: 100 },
  });
  t.teardown(() => c.close());
  return c;
}

test('a coordinator-side client gets replies, and the node sees it as from 0', async (t) => {
  const node = await startNode(t, 4);
  node.transport.onRequest(async (from, body) => ({ from, body }));
  const c = client(t, node.port);
  t.deepEqual(await c.request({ op: 'get', key: Buffer.from('k') }, 2_000), { from: 0, body: { op: 'get', key: Buffer.from('k') } });
});

test('a coordinator connection may not carry raft messages: the node closes it', async (t) => {
  const node = await startNode(t, 4);
  const got: unknown[] = [];
  node.transport.onRaft((_f, m) => got.push(m));
  const raw = await rawDial(t, node.port);
  raw.socket.write(Buffer.concat([helloBytes('test', 0, 'coordinator'), frameBytes({ t: 'raft', msg: { type: 'vote' } })]));
  await waitFor(() => raw.closed(), 3_000, 'node closes the connection');
  t.deepEqual(got, []);
  t.truthy(node.logger.entries.find((e) => /raft message from a coordinator/.test(String(e.fields['reason']))));
});

test('a node that is down fails requests fast; after it starts, the client reconnects by itself', async (t) => {
  const port = await freePort();
  const c = client(t, port);
  const started = Date.now();
  t.true(isNetError(await t.throwsAsync(c.request('x', 10_000)), 'UNREACHABLE'));
  t.true(Date.now() - started < 3_000, 'fails fast, not at the 10 s timeout');
  const node = await startNode(t, 4, { port });
  node.transport.onRequest(async () => 'up');
  await waitFor(() => c.stats().state === 'ready', 5_000, 'reconnect');
  t.is(await c.request('x', 2_000), 'up');
});

test('a client of the wrong cluster is refused', async (t) => {
  const node = await startNode(t, 4);
  node.transport.onRequest(async () => 'ok');
  const c = client(t, node.port, 'other');
  const err = await t.throwsAsync(c.request('x', 2_000));
  t.true(isNetError(err, 'UNREACHABLE'), String(err));
  t.regex((err as Error).message, /refused us: cluster "other"/);
});
