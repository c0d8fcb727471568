import test from 'ava';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { connect } from 'node:net';
import { LinkProxy } from './link-proxy.js';

/** An echo server on a free loopback port. */
async function echoServer(): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const a = server.address();
  if (a === null || typeof a === 'string') throw new Error('no port');
  return { server, port: a.port, sockets };
}

/** Connects, sends `text`, resolves with what came back before close or 1 s. */
function roundTrip(port: number, text: string): Promise<{ echoed: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let echoed = '';
    const done = (closed: boolean): void => {
      clearTimeout(timer);
      s.destroy();
      resolve({ echoed, closed });
    };
    const timer = setTimeout(() => done(false), 1_000);
    s.on('connect', () => s.write(text));
    s.on('data', (d) => {
      echoed += d.toString();
      if (echoed === text) done(false);
    });
    s.on('error', () => done(true));
    s.on('close', () => done(true));
  });
}

test('pass pipes both ways; drop destroys live connections and refuses new ones; pass again heals', async (t) => {
  const echo = await echoServer();
  const proxy = new LinkProxy('0->1', echo.port);
  const port = await proxy.listen();
  t.teardown(async () => {
    await proxy.close();
    await new Promise<void>((r) => echo.server.close(() => r()));
  });
  t.deepEqual(await roundTrip(port, 'hello'), { echoed: 'hello', closed: false });

  // A live connection through the proxy is cut when the link drops.
  const live = connect(port, '127.0.0.1');
  live.on('error', () => {});
  await new Promise<void>((r) => live.once('connect', () => r()));
  const closed = new Promise<void>((r) => live.once('close', () => r()));
  await new Promise((r) => setTimeout(r, 50));
  t.is(echo.sockets.size, 1, 'the proxy opened the upstream connection');
  proxy.setMode('drop');
  await closed;
  await new Promise((r) => setTimeout(r, 50));
  t.is(echo.sockets.size, 0, 'the upstream side is cut too');

  const refused = await roundTrip(port, 'lost');
  t.is(refused.echoed, '');
  t.true(refused.closed);

  proxy.setMode('pass');
  t.deepEqual(await roundTrip(port, 'again'), { echoed: 'again', closed: false });
});
