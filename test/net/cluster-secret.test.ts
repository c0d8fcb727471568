import test from 'ava';
import { createServer, type Socket } from 'node:net';
import { encodeFrame, FrameDecoder, PEER_MAGIC } from '../../src/net/frame-codec.js';
import { isNetError } from '../../src/net/net-error.js';
import { AUTH_NONCE_BYTES, ClusterSecret } from '../../src/net/peer-auth.js';
import { RpcClient } from '../../src/net/rpc-client.js';
import { parseWireFrame, type HelloFrame, type WireFrame } from '../../src/net/wire.js';
import { closeServer, listen, mesh, recordingLogger, sleep, startNode, waitFor, type LogEntry, type TestNode } from './helpers.js';

const SECRET = new ClusterSecret(Buffer.from('correct horse battery staple'));
const WRONG = new ClusterSecret(Buffer.from('Tr0ub4dor&3'));

function refusals(entries: LogEntry[], msg: RegExp): LogEntry[] {
  return entries.filter((e) => e.level === 'warn' && msg.test(e.msg));
}

/** Node a talks to node b: a raft message delivered and an RPC answered, in both directions. */
async function talk(a: TestNode, b: TestNode): Promise<void> {
  const atB: unknown[] = [];
  const atA: unknown[] = [];
  b.transport.onRaft((_f, m) => atB.push(m));
  a.transport.onRaft((_f, m) => atA.push(m));
  b.transport.onRequest(async (from) => `b serves ${from}`);
  a.transport.onRequest(async (from) => `a serves ${from}`);
  a.transport.send(b.id, { type: 'heartbeat' });
  b.transport.send(a.id, { type: 'heartbeat' });
  await waitFor(() => atA.length === 1 && atB.length === 1, 5_000, 'raft messages both ways');
  if ((await a.transport.request(b.id, 'x', 2_000)) !== `b serves ${a.id}`) throw new Error('a -> b rpc');
  if ((await b.transport.request(a.id, 'x', 2_000)) !== `a serves ${b.id}`) throw new Error('b -> a rpc');
}

test('peers holding the same cluster_secret talk both ways, raft and RPC', async (t) => {
  const a = await startNode(t, 1, { clusterSecret: SECRET });
  const b = await startNode(t, 2, { clusterSecret: SECRET });
  mesh(a, b);
  await talk(a, b);
  t.deepEqual(refusals([...a.logger.entries, ...b.logger.entries], /refus/), []);
});

/** b must never see anything from a; a logs its refusal naming the remote address (or b does). */
async function neverServed(t: import('ava').ExecutionContext, a: TestNode, b: TestNode): Promise<void> {
  const atB: unknown[] = [];
  let served = 0;
  b.transport.onRaft((_f, m) => atB.push(m));
  b.transport.onRequest(async () => {
    served++;
    return 'served';
  });
  a.transport.setAddress(b.id, { host: '127.0.0.1', port: b.port });
  for (let k = 0; k < 5; k++) a.transport.send(b.id, { type: 'heartbeat', k });
  const err = await t.throwsAsync(a.transport.request(b.id, 'x', 2_000));
  t.true(isNetError(err, 'UNREACHABLE') || isNetError(err, 'TIMEOUT'), String(err));
  await sleep(100);
  t.deepEqual(atB, []);
  t.is(served, 0);
}

test('a dialer with a wrong secret is refused by the acceptor, logged with its address, never served', async (t) => {
  const a = await startNode(t, 1, { clusterSecret: WRONG });
  const b = await startNode(t, 2, { clusterSecret: SECRET });
  await neverServed(t, a, b);
  const seen = refusals(b.logger.entries, /refusing internal connection/);
  t.true(seen.length >= 1);
  t.regex(String(seen[0]!.fields['reason']), /wrong cluster_secret proof/);
  t.regex(String(seen[0]!.fields['remote']), /^127\.0\.0\.1:\d+$/);
  t.is(seen[0]!.fields['from'], 1);
  // The dialer learns why.
  await waitFor(() => a.logger.entries.some((e) => /wrong cluster_secret proof/.test(String(e.fields['reason']))), 3_000, 'dialer told');
});

test('a dialer without a secret is refused by an acceptor that has one, and an acceptor without one refuses a dialer that has one', async (t) => {
  const none = await startNode(t, 1);
  const secured = await startNode(t, 2, { clusterSecret: SECRET });
  await neverServed(t, none, secured);
  t.regex(String(refusals(secured.logger.entries, /refusing internal connection/)[0]?.fields['reason']), /requires a cluster_secret proof/);
  const none2 = await startNode(t, 3);
  const secured2 = await startNode(t, 4, { clusterSecret: SECRET });
  await neverServed(t, secured2, none2);
  t.regex(String(refusals(none2.logger.entries, /refusing internal connection/)[0]?.fields['reason']), /this node has no cluster_secret/);
});

/**
 * A node that answers the handshake as if it knew the secret but proves
 * `proveWith` (undefined: it sends a helloAck with no proof at all), and
 * records every frame it gets afterwards.
 */
async function impostor(t: import('ava').ExecutionContext, selfId: number, proveWith: ClusterSecret | undefined): Promise<{ port: number; after: WireFrame[]; acked: () => number }> {
  const after: WireFrame[] = [];
  let acked = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    const decoder = new FrameDecoder(1 << 20);
    let hello: HelloFrame | undefined;
    const nonce = Buffer.alloc(AUTH_NONCE_BYTES, 9);
    let first = true;
    socket.on('data', (chunk: Buffer) => {
      if (first) {
        first = false;
        if (chunk[0] !== PEER_MAGIC) return socket.destroy();
        chunk = chunk.subarray(1);
      }
      for (const body of decoder.push(chunk)) {
        const f = parseWireFrame(body);
        if (f.t === 'hello') {
          hello = f;
          socket.write(encodeFrame({ t: 'challenge', from: selfId, nonce }, 1 << 20));
        } else if (f.t === 'proof' && hello !== undefined) {
          acked++;
          const t0 = { cluster: hello.cluster, dialerRole: hello.role, dialerId: hello.from, acceptorId: selfId, dialerNonce: hello.nonce!, acceptorNonce: nonce };
          socket.write(encodeFrame(proveWith === undefined ? { t: 'helloAck', from: selfId } : { t: 'helloAck', from: selfId, proof: proveWith.proof('acceptor', t0) }, 1 << 20));
        } else after.push(f);
      }
    });
  });
  const port = await listen(server);
  t.teardown(() => closeServer(server, sockets));
  return { port, after, acked: () => acked };
}

for (const [what, proveWith] of [['a wrong secret', WRONG], ['no proof', undefined]] as const) {
  test(`an acceptor that proves ${what} is refused by the dialer, logged with its address, and never sent anything`, async (t) => {
    const fake = await impostor(t, 2, proveWith);
    const a = await startNode(t, 1, { clusterSecret: SECRET });
    a.transport.setAddress(2, { host: '127.0.0.1', port: fake.port });
    for (let k = 0; k < 5; k++) a.transport.send(2, { type: 'heartbeat', k });
    const err = await t.throwsAsync(a.transport.request(2, 'x', 2_000));
    t.true(isNetError(err) && err.code !== 'TIMEOUT', String(err));
    await waitFor(() => fake.acked() >= 1, 3_000, 'impostor reached helloAck');
    await sleep(100);
    t.deepEqual(fake.after, [], 'no raft message or request ever reached the impostor');
    const seen = refusals(a.logger.entries, /refusing peer: cluster_secret check failed/);
    t.true(seen.length >= 1);
    t.is(seen[0]!.fields['remote'], `127.0.0.1:${fake.port}`);
    t.regex(String(seen[0]!.fields['reason']), proveWith === undefined ? /did not prove/ : /wrong cluster_secret proof/);
  });
}

test('a node refusing a wrong-secret peer keeps serving the right ones', async (t) => {
  const a = await startNode(t, 1, { clusterSecret: SECRET });
  const b = await startNode(t, 2, { clusterSecret: SECRET });
  const bad = await startNode(t, 3, { clusterSecret: WRONG });
  await neverServed(t, bad, b);
  mesh(a, b);
  await talk(a, b);
});

test('the coordinator\'s RPC client proves the secret too: matching served, wrong or missing refused', async (t) => {
  const node = await startNode(t, 4, { clusterSecret: SECRET });
  node.transport.onRequest(async (from) => `from ${from}`);
  const client = (secret: ClusterSecret | undefined): RpcClient => {
    const c = new RpcClient({
      cluster: 'test',
      address: { host: '127.0.0.1', port: node.port },
      logger: recordingLogger(),
      limits: { reconnectDelayMinMs: 10, reconnectDelayMaxMs: 100 },
      ...(secret !== undefined ? { clusterSecret: secret } : {}),
    });
    t.teardown(() => c.close());
    return c;
  };
  t.is(await client(SECRET).request('x', 2_000), 'from 0');
  for (const s of [WRONG, undefined]) {
    const err = await t.throwsAsync(client(s).request('x', 2_000));
    t.true(isNetError(err, 'UNREACHABLE'), String(err));
    t.regex((err as Error).message, /refused us: (wrong cluster_secret proof|this node requires)/);
  }
  t.is(refusals(node.logger.entries, /refusing internal connection/).length, 2);
});

test('a dialer that stalls after its hello is dropped at the handshake timeout, unserved', async (t) => {
  const b = await startNode(t, 2, { clusterSecret: SECRET, limits: { handshakeTimeoutMs: 200 } });
  const { connect } = await import('node:net');
  const s = connect(b.port, '127.0.0.1');
  s.on('error', () => {});
  s.resume(); // read the challenge, so the close is seen
  t.teardown(() => s.destroy());
  let closed = false;
  s.on('close', () => (closed = true));
  const hello = { t: 'hello', version: 1, cluster: 'test', from: 7, role: 'peer', nonce: Buffer.alloc(AUTH_NONCE_BYTES, 1) };
  s.write(Buffer.concat([Buffer.from([PEER_MAGIC]), encodeFrame(hello, 1 << 20)]));
  await waitFor(() => closed, 3_000, 'closed at the handshake timeout');
  t.regex(String(refusals(b.logger.entries, /refusing internal connection/)[0]?.fields['reason']), /no cluster_secret proof within 200 ms/);
});
