import { connect, createServer, type Socket } from 'node:net';
import test from 'ava';
import { classifyFirstByte, sniffConnection } from '../../src/net/connection-sniffer.js';
import { PEER_MAGIC } from '../../src/net/frame-codec.js';
import { closeServer, listen, waitFor } from './helpers.js';

test('the first byte decides: magic is a peer, `*`, letters and anything else a client', (t) => {
  t.is(classifyFirstByte(PEER_MAGIC), 'peer');
  for (const c of ['*', 'S', 'g', ' ', '\r']) t.is(classifyFirstByte(c.charCodeAt(0)), 'client');
  t.is(classifyFirstByte(0x00), 'client');
});

/**
 * Starts a sniffing server; each accepted connection records its kind and
 * every byte received (head first, then what arrives later).
 */
async function sniffingServer(t: import('ava').ExecutionContext) {
  const seen: { kind: 'peer' | 'client'; head: Buffer; bytes: Buffer[] }[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    const take = (kind: 'peer' | 'client') => (s: Socket, head: Buffer) => {
      const entry = { kind, head, bytes: [head] };
      seen.push(entry);
      s.on('error', () => {});
      // Attach late on purpose: bytes arriving meanwhile must wait in the paused socket.
      setTimeout(() => {
        s.on('data', (chunk: Buffer) => entry.bytes.push(chunk));
        s.resume();
      }, 30);
    };
    sniffConnection(socket, { onPeer: take('peer'), onClient: take('client') });
  });
  const port = await listen(server);
  t.teardown(() => closeServer(server, sockets));
  const dial = (): Promise<Socket> =>
    new Promise((resolve) => {
      const s = connect(port, '127.0.0.1', () => resolve(s));
      t.teardown(() => s.destroy());
    });
  return { seen, dial };
}

for (const first of ['*', 'S']) {
  test(`a connection starting with ${first} goes to the client side with its bytes intact, later chunks too`, async (t) => {
    const { seen, dial } = await sniffingServer(t);
    const s = await dial();
    const part1 = first === '*' ? '*2\r\n$3\r\nGET\r\n' : 'SET k v';
    const part2 = first === '*' ? '$1\r\nk\r\n' : ' w\r\n';
    s.write(part1);
    await waitFor(() => seen.length === 1);
    s.write(part2);
    await waitFor(() => Buffer.concat(seen[0]!.bytes).length === part1.length + part2.length);
    t.is(seen[0]!.kind, 'client');
    t.is(seen[0]!.head[0], first.charCodeAt(0));
    t.is(Buffer.concat(seen[0]!.bytes).toString(), part1 + part2);
  });
}

test('a connection starting with the magic byte goes to the peer side, head included', async (t) => {
  const { seen, dial } = await sniffingServer(t);
  const s = await dial();
  s.write(Buffer.from([PEER_MAGIC, 1, 2, 3]));
  await waitFor(() => seen.length === 1);
  t.is(seen[0]!.kind, 'peer');
  t.deepEqual([...seen[0]!.head], [PEER_MAGIC, 1, 2, 3]);
});

test('a connection that sends nothing is closed after firstByteTimeoutMs', async (t) => {
  const sockets = new Set<Socket>();
  let handed = 0;
  const server = createServer((socket) => {
    sockets.add(socket);
    sniffConnection(socket, { onPeer: () => handed++, onClient: () => handed++ }, { firstByteTimeoutMs: 50 });
  });
  const port = await listen(server);
  t.teardown(() => closeServer(server, sockets));
  const s = connect(port, '127.0.0.1');
  t.teardown(() => s.destroy());
  let closed = false;
  s.on('close', () => (closed = true));
  s.on('error', () => {});
  await waitFor(() => closed, 2_000, 'server to close the silent connection');
  t.is(handed, 0);
});
