import test from 'ava';
import { startFakePeer } from './fake-peer.js';
import { sleep, startNode, waitFor } from './helpers.js';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('all messages sent in one turn leave in one socket write; separate turns, separate writes', async (t) => {
  const a = await startNode(t, 1);
  const peer = await startFakePeer(t, 2);
  a.transport.setAddress(2, { host: '127.0.0.1', port: peer.port });
  a.transport.send(2, { type: 'heartbeat', i: -1 });
  await waitFor(() => peer.frames.length === 1, 3_000, 'handshake and first message');
  const chunksBefore = peer.chunksAfterHello.length;
  const writesBefore = a.transport.stats().peers['2']!.writes;

  const n = 50;
  for (let i = 0; i < n; i++) a.transport.send(2, { type: 'app', i, entries: [{ data: Buffer.alloc(40, i) }] });
  await waitFor(() => peer.frames.length === 1 + n, 3_000, 'the batch');
  t.is(a.transport.stats().peers['2']!.writes - writesBefore, 1, 'one socket write for the turn');
  t.is(peer.chunksAfterHello.length - chunksBefore, 1, 'one data event at the receiver');
  t.deepEqual(
    peer.frames.slice(1).map((f) => (f.t === 'raft' ? (f.msg as { i: number }).i : -2)),
    Array.from({ length: n }, (_, i) => i),
    'in order',
  );

  for (let i = 0; i < 3; i++) {
    a.transport.send(2, { type: 'heartbeat', i });
    await turn();
    await sleep(5);
  }
  await waitFor(() => peer.frames.length === 1 + n + 3);
  t.is(a.transport.stats().peers['2']!.writes - writesBefore, 4, 'three turns, three more writes');
});

test('flush() writes what is queued at once, in one write, instead of at the end of the turn', async (t) => {
  const a = await startNode(t, 1);
  const peer = await startFakePeer(t, 2);
  a.transport.setAddress(2, { host: '127.0.0.1', port: peer.port });
  a.transport.send(2, { type: 'heartbeat', i: -1 });
  await waitFor(() => peer.frames.length === 1, 3_000, 'handshake and first message');
  const writesBefore = a.transport.stats().peers['2']!.writes;
  for (let i = 0; i < 3; i++) a.transport.send(2, { type: 'app', i });
  a.transport.flush();
  t.is(a.transport.stats().peers['2']!.writes - writesBefore, 1, 'written before this turn ended');
  a.transport.flush();
  t.is(a.transport.stats().peers['2']!.writes - writesBefore, 1, 'nothing queued, nothing written');
  await waitFor(() => peer.frames.length === 4, 3_000, 'the three messages');
  await turn();
  t.is(a.transport.stats().peers['2']!.writes - writesBefore, 1, 'and no second write at the end of the turn');
});

test('a peer that stops reading makes the sender drop raft messages, its backlog stays bounded, and it recovers', async (t) => {
  const backlogMax = 256 * 1024;
  const payloadBytes = 32 * 1024;
  const a = await startNode(t, 1, { limits: { peerBacklogBytesMax: backlogMax } });
  const peer = await startFakePeer(t, 2);
  peer.pauseAfterHello = true;
  a.transport.setAddress(2, { host: '127.0.0.1', port: peer.port });
  const unreachable: number[] = [];
  a.transport.onUnreachable((p) => unreachable.push(p));
  a.transport.send(2, { type: 'heartbeat' });
  await waitFor(() => a.transport.stats().peers['2']!.state === 'ready', 3_000, 'handshake');

  const payload = Buffer.alloc(payloadBytes, 1);
  let backlogPeak = 0;
  let turns = 0;
  // Kernel buffers on loopback absorb a few MB first; go until drops start, then a while more.
  const turnsMax = 2_000;
  let dropTurns = 0;
  while (turns < turnsMax && dropTurns < 50) {
    for (let i = 0; i < 4; i++) a.transport.send(2, { type: 'app', payload });
    backlogPeak = Math.max(backlogPeak, a.transport.stats().peers['2']!.backlogBytes);
    await turn();
    turns++;
    if (a.transport.stats().peers['2']!.droppedBacklogMsgs > 0) dropTurns++;
  }
  const stats = a.transport.stats().peers['2']!;
  t.log(`turns=${turns} sent=${stats.sentMsgs} dropped=${stats.droppedBacklogMsgs} backlogPeak=${backlogPeak} bytes`);
  t.true(stats.droppedBacklogMsgs > 0, 'messages were dropped');
  t.true(backlogPeak <= backlogMax + payloadBytes + 1024, `backlog peak ${backlogPeak} within limit + one frame`);
  t.deepEqual(unreachable, [2], 'one unreachable report for the episode');
  t.is(stats.state, 'ready', 'the connection itself stays up');

  // The peer reads again: the backlog drains and messages are accepted again.
  peer.socket()!.resume();
  await waitFor(() => a.transport.stats().peers['2']!.backlogBytes === 0, 10_000, 'drain');
  const sentBefore = a.transport.stats().peers['2']!.sentMsgs;
  a.transport.send(2, { type: 'heartbeat', last: true });
  t.is(a.transport.stats().peers['2']!.sentMsgs, sentBefore + 1);
  await waitFor(() => peer.frames.some((f) => f.t === 'raft' && (f.msg as { last?: boolean }).last === true), 10_000);
});
