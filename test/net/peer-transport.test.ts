import test from 'ava';
import { FrameDecoder } from '../../src/net/frame-codec.js';
import { isNetError, NetError } from '../../src/net/net-error.js';
import { parseWireFrame } from '../../src/net/wire.js';
import { PeerTransport } from '../../src/net/peer-transport.js';
import { pino } from 'pino';
import { frameBytes, helloBytes, rawDial } from './fake-peer.js';
import { freePort, mesh, sleep, startNode, waitFor } from './helpers.js';

test('two transports exchange raft messages both ways and RPCs with replies', async (t) => {
  const a = await startNode(t, 1);
  const b = await startNode(t, 2);
  mesh(a, b);
  const atA: [number, unknown][] = [];
  const atB: [number, unknown][] = [];
  a.transport.onRaft((from, msg) => atA.push([from, msg]));
  b.transport.onRaft((from, msg) => atB.push([from, msg]));
  b.transport.onRequest(async (from, body) => ({ echo: body, from }));
  a.transport.onRequest(async (from, body) => {
    throw Object.assign(new Error(`no ${String(body)}`), { code: 'NOT_LEADER' });
  });

  const data = Buffer.from([0, 1, 2, 255]);
  a.transport.send(2, { type: 'app', term: 1, entries: [{ data }] });
  b.transport.send(1, { type: 'appResp', term: 1 });
  await waitFor(() => atA.length === 1 && atB.length === 1);
  t.deepEqual(atB[0], [1, { type: 'app', term: 1, entries: [{ data }] }]);
  t.deepEqual(atA[0], [2, { type: 'appResp', term: 1 }]);

  t.deepEqual(await a.transport.request(2, ['GET', 'k'], 2_000), { echo: ['GET', 'k'], from: 1 });
  const err = await t.throwsAsync(b.transport.request(1, 'way', 2_000));
  t.true(isNetError(err, 'REMOTE_ERROR'));
  t.is((err as NetError).remoteCode, 'NOT_LEADER');
  t.regex(err!.message, /no way/);
  // Several requests in flight at once are matched to their own replies.
  const replies = await Promise.all([1, 2, 3, 4, 5].map((i) => a.transport.request(2, i, 2_000)));
  t.deepEqual(replies, [1, 2, 3, 4, 5].map((i) => ({ echo: i, from: 1 })));
});

test('traffic per peer counts bytes and frames both ways over both connections, and only grows', async (t) => {
  const a = await startNode(t, 1);
  const b = await startNode(t, 2);
  mesh(a, b);
  const atB: unknown[] = [];
  b.transport.onRaft((_from, msg) => atB.push(msg));
  a.transport.onRaft(() => {});
  b.transport.onRequest(async (_from, body) => body);
  for (let k = 0; k < 5; k++) a.transport.send(2, { type: 'heartbeat', term: 1, k });
  await waitFor(() => atB.length === 5);
  t.deepEqual(await a.transport.request(2, 'ping', 2_000), 'ping');
  const ab = a.transport.stats().traffic['2']!;
  const ba = b.transport.stats().traffic['1']!;
  // a -> b: hello + 5 messages + 1 request on a's link; b answers on it (helloAck + reply).
  t.is(ab.framesSent, 7);
  t.true(ab.framesReceived >= 2);
  t.true(ab.bytesSent > 0 && ab.bytesReceived > 0);
  // b saw the same connection from the other end: what a sent, b received.
  // (but the magic byte, which the connection sniffer reads before the transport sees the socket).
  t.is(ba.bytesReceived, ab.bytesSent - 1);
  t.is(ba.framesReceived, 7);
  b.transport.send(1, { type: 'heartbeatResp', term: 1 });
  await waitFor(() => b.transport.stats().traffic['1']!.bytesSent > ba.bytesSent);
  t.true(b.transport.stats().traffic['1']!.framesSent > ba.framesSent, 'b dialed a: its own link adds to the same peer');
});

test('a request with no reply in time fails with TIMEOUT', async (t) => {
  const a = await startNode(t, 1);
  const b = await startNode(t, 2);
  mesh(a, b);
  b.transport.onRequest(() => new Promise(() => {}));
  const started = Date.now();
  const err = await t.throwsAsync(a.transport.request(2, 'x', 150));
  t.true(isNetError(err, 'TIMEOUT'));
  t.true(Date.now() - started < 5_000);
});

test('garbage after the magic byte closes that connection only; another peer keeps working on the same server', async (t) => {
  const a = await startNode(t, 1);
  const b = await startNode(t, 2);
  mesh(a, b);
  const atB: unknown[] = [];
  b.transport.onRaft((_from, msg) => atB.push(msg));

  // A well-formed hello, then a frame whose body is not msgpack.
  const raw = await rawDial(t, b.port);
  raw.socket.write(helloBytes('test', 9));
  raw.socket.write(Buffer.from([0, 0, 0, 3, 0xd9, 0x05, 0x41]));
  // And one that is garbage from the first byte after the magic.
  const raw2 = await rawDial(t, b.port);
  raw2.socket.write(Buffer.from([0xf5, 0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
  await waitFor(() => raw.closed() && raw2.closed(), 3_000, 'garbage connections closed');

  const warnings = b.logger.entries.filter((e) => e.level === 'warn' && e.msg.includes('bad input'));
  t.deepEqual(warnings.map((w) => w.fields['code']).sort(), ['BAD_FRAME', 'FRAME_TOO_LARGE']);
  a.transport.send(2, { type: 'heartbeat', n: 1 });
  await waitFor(() => atB.length === 1, 3_000, 'delivery from the good peer');
  t.deepEqual(await (async () => {
    b.transport.onRequest(async (_f, body) => body);
    return a.transport.request(2, 'still here', 2_000);
  })(), 'still here');
});

test('before its hello is accepted a connection may not send big frames; after it, it may', async (t) => {
  const b = await startNode(t, 2);
  const got: unknown[] = [];
  b.transport.onRaft((_f, m) => got.push(m));
  const big = frameBytes({ t: 'raft', msg: { type: 'snap', data: Buffer.alloc(100_000, 3) } });

  const stranger = await rawDial(t, b.port);
  stranger.socket.write(Buffer.concat([Buffer.from([0xf5]), big]));
  await waitFor(() => stranger.closed(), 10_000, 'stranger closed');
  t.true(b.logger.entries.some((e) => e.fields['code'] === 'FRAME_TOO_LARGE'));

  const peer = await rawDial(t, b.port);
  peer.socket.write(Buffer.concat([helloBytes('test', 5), big]));
  await waitFor(() => got.length === 1, 10_000, 'big frame after hello');
  t.is((got[0] as { data: Uint8Array }).data.length, 100_000);
  t.false(peer.closed());
});

test('a hello naming another cluster is refused with a reason, logged, and the dialer backs off', async (t) => {
  const a = await startNode(t, 1, { cluster: 'blue' });
  const b = await startNode(t, 2, { cluster: 'green' });
  mesh(a, b);
  const unreachable: number[] = [];
  a.transport.onUnreachable((peer) => unreachable.push(peer));
  const got: unknown[] = [];
  b.transport.onRaft((_f, m) => got.push(m));
  a.transport.send(2, { type: 'heartbeat' });
  await waitFor(() => unreachable.length > 0, 3_000, 'onUnreachable after refusal');
  t.deepEqual(unreachable[0], 2);
  const refusal = b.logger.entries.find((e) => e.msg === 'refusing internal connection');
  t.truthy(refusal);
  t.regex(String(refusal!.fields['reason']), /cluster "blue", expected "green"/);
  const down = a.logger.entries.find((e) => e.msg === 'peer link down');
  t.is(down?.fields['code'], 'HANDSHAKE_FAILED');
  t.regex(String(down?.fields['reason']), /refused us: cluster "blue"/);
  t.deepEqual(got, []);

  // A raw dialer with the wrong cluster reads a helloReject, then the connection closes.
  const raw = await rawDial(t, b.port);
  raw.socket.write(helloBytes('blue', 7));
  await waitFor(() => raw.closed(), 3_000, 'refused connection closed');
  const [reply] = [...new FrameDecoder().push(Buffer.concat(raw.received))].map(parseWireFrame);
  t.is(reply?.t, 'helloReject');
});

test('a peer that is down: messages dropped, requests fail fast, onUnreachable fires; it comes up and delivery resumes by itself', async (t) => {
  const port = await freePort();
  const a = await startNode(t, 1);
  a.transport.setAddress(2, { host: '127.0.0.1', port });
  const unreachable: number[] = [];
  a.transport.onUnreachable((peer) => unreachable.push(peer));
  const sent: boolean[] = [];

  const started = Date.now();
  const err = await t.throwsAsync(a.transport.request(2, 'x', 10_000));
  t.true(isNetError(err, 'UNREACHABLE'), String(err));
  t.true(Date.now() - started < 3_000, 'fails fast, not at the 10 s timeout');
  t.true(unreachable.includes(2));
  a.transport.send(2, { type: 'heartbeat' }, { onSent: (ok) => sent.push(ok) });
  t.deepEqual(sent, [false], 'dropped at once while in backoff');
  t.true(a.transport.stats().peers['2']!.droppedDownMsgs >= 1);
  const err2 = await t.throwsAsync(a.transport.request(2, 'x', 10_000));
  t.true(isNetError(err2, 'UNREACHABLE'));

  const b = await startNode(t, 2, { port });
  const got: unknown[] = [];
  b.transport.onRaft((_f, m) => got.push(m));
  // Raft would keep sending heartbeats; so do we, until one lands.
  const deadline = Date.now() + 5_000;
  while (got.length === 0 && Date.now() < deadline) {
    a.transport.send(2, { type: 'heartbeat' });
    await sleep(10);
  }
  t.true(got.length > 0, 'delivery resumed without any call but send');
  t.is(a.transport.stats().peers['2']!.state, 'ready');
  t.true(a.transport.stats().peers['2']!.failures >= 1);
  b.transport.onRequest(async () => 'pong');
  t.is(await a.transport.request(2, 'ping', 2_000), 'pong');
});

test('a connection that is lost is redialed, and requests in flight fail with UNREACHABLE', async (t) => {
  const a = await startNode(t, 1);
  let b = await startNode(t, 2);
  mesh(a, b);
  b.transport.onRequest(() => new Promise(() => {}));
  const pending = a.transport.request(2, 'x', 10_000);
  await waitFor(() => a.transport.stats().peers['2']!.state === 'ready');
  await sleep(20);
  const port = b.port;
  await b.stop();
  const err = await t.throwsAsync(pending);
  t.true(isNetError(err, 'UNREACHABLE'), String(err));
  b = await startNode(t, 2, { port });
  b.transport.onRequest(async () => 'back');
  await waitFor(() => a.transport.stats().peers['2']!.state === 'ready', 5_000, 'redial');
  t.is(await a.transport.request(2, 'x', 2_000), 'back');
});

test('onSent reports true once a message was written, false when it was dropped', async (t) => {
  const a = await startNode(t, 1);
  const b = await startNode(t, 2);
  mesh(a, b);
  a.transport.setAddress(3, { host: '127.0.0.1', port: await freePort() });
  const results: [number, boolean][] = [];
  a.transport.send(2, { type: 'snap', snapshot: { data: Buffer.alloc(100_000, 7) } }, { onSent: (ok) => results.push([2, ok]) });
  a.transport.send(4, { type: 'snap' }, { onSent: (ok) => results.push([4, ok]) }); // no address
  await waitFor(() => results.length === 2);
  t.deepEqual(results.sort(), [
    [2, true],
    [4, false],
  ]);
  // A peer whose dial fails: the queued message reports false.
  a.transport.send(3, { type: 'snap' }, { onSent: (ok) => results.push([3, ok]) });
  await waitFor(() => results.length === 3);
  t.deepEqual(results[2], [3, false]);
  // A message larger than frameBytesMax is refused, not sent.
  const small = await startNode(t, 5, { limits: { frameBytesMax: 1_000 } });
  small.transport.setAddress(2, { host: '127.0.0.1', port: b.port });
  small.transport.send(2, { data: Buffer.alloc(2_000) }, { onSent: (ok) => results.push([2, ok]) });
  t.deepEqual(results[3], [2, false]);
  t.is(small.logger.entries.find((e) => e.level === 'error')?.fields['code'], 'FRAME_TOO_LARGE');
});

test('a node removed from the address map is no longer reachable and its requests fail', async (t) => {
  const a = await startNode(t, 1);
  const b = await startNode(t, 2);
  mesh(a, b);
  b.transport.onRequest(() => new Promise(() => {}));
  const pending = a.transport.request(2, 'x', 10_000);
  a.transport.removeAddress(2);
  t.true(isNetError(await t.throwsAsync(pending), 'CLOSED'));
  t.true(isNetError(await t.throwsAsync(a.transport.request(2, 'x', 1_000)), 'UNREACHABLE'));
});

test('requests to a closed transport reject with CLOSED', async (t) => {
  const a = await startNode(t, 1);
  a.transport.close();
  const err = await t.throwsAsync(a.transport.request(2, 'x', 1_000));
  t.true(err instanceof NetError && err.code === 'CLOSED');
});

test('a pino logger can be passed as the transport logger', (t) => {
  const transport = new PeerTransport({ cluster: 'test', selfId: 1, logger: pino({ level: 'silent' }) });
  transport.close();
  t.pass();
});
