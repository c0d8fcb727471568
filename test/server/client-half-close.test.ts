import test from 'ava';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { pino } from 'pino';
import { CLIENT_SERVER_OPTIONS, ClientConnection } from '../../src/server/client-connection.js';
import type { KvAnswer, KvOp, KvService } from '../../src/server/kv-service.js';
import { sendThenHalfClose } from '../helpers/half-close.js';

/** Answers every request after `delayMs`, so replies are still pending when the client's FIN arrives. */
function slowKv(delayMs: number): KvService {
  const data = new Map<string, readonly Buffer[]>();
  return {
    openSession: () => ({
      execute: (op: KvOp): Promise<KvAnswer> =>
        new Promise((resolve) => {
          setTimeout(() => {
            if (op.type === 'set') {
              data.set(op.key.toString('latin1'), op.values);
              resolve({ type: 'ok' });
            } else if (op.type === 'get') resolve({ type: 'values', values: data.get(op.key.toString('latin1')) });
            else if (op.type === 'del') resolve({ type: 'count', n: op.keys.filter((k) => data.delete(k.toString('latin1'))).length });
          }, delayMs);
        }),
      close: () => {},
    }),
  };
}

async function listen(options: typeof CLIENT_SERVER_OPTIONS | object, kv: KvService): Promise<{ server: Server; port: number }> {
  const log = pino({ level: 'silent' });
  const server = createServer(options, (socket) => {
    socket.on('error', () => {});
    new ClientConnection(socket, Buffer.alloc(0), kv, { pipelineMax: 1024, parser: {} }, log);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return { server, port: addr.port };
}

const PIPELINE = 'SET a 1\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\nGET a\r\nPING\r\nDEL a b\r\n';
const REPLIES = '+OK\r\n+OK\r\n*1\r\n$1\r\n1\r\n+PONG\r\n:2\r\n';

test('a client that half-closes after its commands gets every reply, then the server ends', async (t) => {
  const { server, port } = await listen(CLIENT_SERVER_OPTIONS, slowKv(30));
  t.teardown(() => server.close());
  const { reply, serverEnded } = await sendThenHalfClose(port, PIPELINE);
  t.is(reply, REPLIES);
  t.true(serverEnded);
});

test('a half-close with nothing pending ends the connection at once', async (t) => {
  const { server, port } = await listen(CLIENT_SERVER_OPTIONS, slowKv(30));
  t.teardown(() => server.close());
  const started = Date.now();
  const { reply, serverEnded } = await sendThenHalfClose(port, 'PING\r\n');
  t.is(reply, '+PONG\r\n');
  t.true(serverEnded);
  t.true(Date.now() - started < 2_000);
});

test('QUIT before the half-close still answers only up to QUIT', async (t) => {
  const { server, port } = await listen(CLIENT_SERVER_OPTIONS, slowKv(10));
  t.teardown(() => server.close());
  const { reply } = await sendThenHalfClose(port, 'SET a 1\r\nQUIT\r\nSET b 2\r\n');
  t.is(reply, '+OK\r\n+OK\r\n');
});

test('teeth: a server without allowHalfOpen loses the pending replies', async (t) => {
  const { server, port } = await listen({}, slowKv(30));
  t.teardown(() => server.close());
  const { reply } = await sendThenHalfClose(port, PIPELINE);
  t.not(reply, REPLIES);
});
