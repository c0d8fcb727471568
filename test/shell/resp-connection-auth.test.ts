import test from 'ava';
import { createServer, type Socket } from 'node:net';
import { pino } from 'pino';
import { encodeRequest } from '../../src/protocol/resp-encoder.js';
import { RequirePass } from '../../src/server/client-auth.js';
import { CLIENT_SERVER_OPTIONS, ClientConnection } from '../../src/server/client-connection.js';
import type { KvAnswer, KvOp, KvService } from '../../src/server/kv-service.js';
import { RespConnection } from '../../src/shell/resp-connection.js';
import { ShellConnectionError } from '../../src/shell/shell-connection-error.js';

const kv: KvService = {
  openSession: () => ({
    execute: async (op: KvOp): Promise<KvAnswer> => (op.type === 'get' ? { type: 'values', values: [Buffer.from('v')] } : { type: 'ok' }),
    close: () => {},
  }),
};

/** A front door with requirepass s3cret; returns its port and its accepted sockets. */
async function door(t: import('ava').ExecutionContext): Promise<{ port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer(CLIENT_SERVER_OPTIONS, (s) => {
    sockets.push(s);
    s.on('error', () => {});
    new ClientConnection(s, Buffer.alloc(0), kv, { pipelineMax: 8, parser: {} }, pino({ level: 'silent' }), undefined, { requirepass: new RequirePass(Buffer.from('s3cret')) });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { port: (server.address() as { port: number }).port, sockets };
}

test('myshell\'s connection AUTHs on every connect with the config\'s password, so commands just work', async (t) => {
  const { port, sockets } = await door(t);
  const conn = new RespConnection({ host: '127.0.0.1', port }, {}, encodeRequest(['AUTH', 's3cret']));
  t.teardown(() => conn.close());
  t.deepEqual(await conn.request(encodeRequest(['GET', 'k'])), { type: 'array', items: [{ type: 'bulk', value: Buffer.from('v') }] });
  // The server drops us; the next command reconnects and AUTHs again.
  sockets[0]!.destroy();
  await new Promise((r) => setTimeout(r, 50));
  t.deepEqual(await conn.request(encodeRequest(['SET', 'k', 'v'])), { type: 'simple', value: 'OK' });
  t.is(sockets.length, 2);
});

test('a wrong password fails the connect with AUTH_FAILED; without one the server says NOAUTH', async (t) => {
  const { port } = await door(t);
  const wrong = new RespConnection({ host: '127.0.0.1', port }, {}, encodeRequest(['AUTH', 'nope']));
  const err = await t.throwsAsync(wrong.connect(), { instanceOf: ShellConnectionError });
  t.is((err as ShellConnectionError).code, 'AUTH_FAILED');
  t.regex(err!.message, /refused AUTH: WRONGPASS/);
  t.false(wrong.connected);
  const none = new RespConnection({ host: '127.0.0.1', port });
  t.teardown(() => none.close());
  t.deepEqual(await none.request(encodeRequest(['GET', 'k'])), { type: 'error', message: 'NOAUTH Authentication required.' });
});
