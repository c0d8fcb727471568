import test from 'ava';
import { createServer, type Server } from 'node:net';
import { inspect } from 'node:util';
import { pino } from 'pino';
import { ClientAuthGate, NOAUTH_REPLY, RequirePass, WRONGPASS_REPLY } from '../../src/server/client-auth.js';
import { CLIENT_SERVER_OPTIONS, ClientConnection } from '../../src/server/client-connection.js';
import type { KvAnswer, KvOp, KvService } from '../../src/server/kv-service.js';
import { sendThenHalfClose } from '../helpers/half-close.js';

const cmd = (name: string, ...args: string[]) => ({ name, args: args.map((a) => Buffer.from(a)) });

test('before AUTH every command but AUTH, QUIT and PING is refused with NOAUTH', (t) => {
  const g = new ClientAuthGate(new RequirePass(Buffer.from('pw')));
  for (const name of ['GET', 'SET', 'DEL', 'INFO', 'KVSTORE.LAYOUT', 'FOO']) t.deepEqual(g.gate(cmd(name, 'k')), { type: 'answered', reply: NOAUTH_REPLY, ok: false, wrongPassword: false }, name);
  for (const name of ['PING', 'QUIT']) t.deepEqual(g.gate(cmd(name)), { type: 'pass' }, name);
  t.false(g.isAuthenticated);
});

test('AUTH <pw> and AUTH default <pw> authenticate; a wrong password or user is WRONGPASS and changes nothing', (t) => {
  const pass = new RequirePass(Buffer.from('s3cret'));
  for (const args of [['s3cret'], ['default', 's3cret']]) {
    const g = new ClientAuthGate(pass);
    t.is(g.gate(cmd('AUTH', ...args)).type, 'answered');
    t.true(g.isAuthenticated, args.join(' '));
    t.deepEqual(g.gate(cmd('GET', 'k')), { type: 'pass' });
  }
  for (const args of [['wrong'], ['s3cre'], ['s3cret\0'], ['admin', 's3cret'], ['default', 'wrong'], ['']]) {
    const g = new ClientAuthGate(pass);
    t.deepEqual(g.gate(cmd('AUTH', ...args)), { type: 'answered', reply: WRONGPASS_REPLY, ok: false, wrongPassword: true }, args.join(' '));
    t.false(g.isAuthenticated);
  }
  // A failed AUTH after a good one leaves the connection authenticated, as in Redis.
  const g = new ClientAuthGate(pass);
  g.gate(cmd('AUTH', 's3cret'));
  g.gate(cmd('AUTH', 'wrong'));
  t.true(g.isAuthenticated);
  const r = new ClientAuthGate(pass).gate(cmd('AUTH'));
  t.regex(r.type === 'answered' ? r.reply.toString() : '', /^-ERR wrong number of arguments for 'auth' command\r\n$/);
});

test('a password never prints', (t) => {
  const p = new RequirePass(Buffer.from('hunter2'));
  t.false(JSON.stringify({ p }).includes('hunter2'));
  t.false(inspect({ p }).includes('hunter2'));
  t.false(`${p}`.includes('hunter2'));
});

function memoryKv(): KvService {
  const data = new Map<string, readonly Buffer[]>();
  return {
    openSession: () => ({
      execute: async (op: KvOp): Promise<KvAnswer> => {
        await new Promise((r) => setTimeout(r, 5));
        if (op.type === 'set') {
          data.set(op.key.toString(), op.values);
          return { type: 'ok' };
        }
        if (op.type === 'get') return { type: 'values', values: data.get(op.key.toString()) };
        if (op.type === 'del') return { type: 'count', n: op.keys.filter((k) => data.delete(k.toString())).length };
        throw new Error(`${op.type} is not used by these tests`);
      },
      close: () => {},
    }),
  };
}

async function frontDoor(t: import('ava').ExecutionContext, requirepass: RequirePass | undefined): Promise<number> {
  const kv = memoryKv();
  const server: Server = createServer(CLIENT_SERVER_OPTIONS, (s) => {
    s.on('error', () => {});
    new ClientConnection(s, Buffer.alloc(0), kv, { pipelineMax: 64, parser: {} }, pino({ level: 'silent' }), undefined, requirepass !== undefined ? { requirepass } : {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  return (server.address() as { port: number }).port;
}

test('with requirepass the front door answers in order: NOAUTH, then everything after a good AUTH', async (t) => {
  const port = await frontDoor(t, new RequirePass(Buffer.from('s3cret')));
  const { reply } = await sendThenHalfClose(port, 'SET a 1\r\nPING\r\nAUTH nope\r\nGET a\r\nAUTH default s3cret\r\nSET a 1\r\nGET a\r\nQUIT\r\n');
  t.is(reply, `${NOAUTH_REPLY}+PONG\r\n${WRONGPASS_REPLY}${NOAUTH_REPLY}+OK\r\n+OK\r\n*1\r\n$1\r\n1\r\n+OK\r\n`);
  // A fresh connection starts unauthenticated.
  t.is((await sendThenHalfClose(port, 'GET a\r\n')).reply, NOAUTH_REPLY.toString());
});

test('without requirepass nothing changes: AUTH is an unknown command (-ERROR), data commands run', async (t) => {
  const port = await frontDoor(t, undefined);
  t.is((await sendThenHalfClose(port, 'AUTH x\r\nSET a 1\r\nGET a\r\n')).reply, '-ERROR\r\n+OK\r\n*1\r\n$1\r\n1\r\n');
});
