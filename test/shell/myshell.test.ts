import test from 'ava';
import { PassThrough } from 'node:stream';
import { parseLabConfig } from '../../src/config/lab-config.js';
import { MYSHELL_EXIT, runMyshell, type MyshellOptions } from '../../src/shell/myshell.js';
import { shellTargetOf } from '../../src/shell/shell-target.js';
import { FakeRespServer, closedPort, type FakeAnswer } from './myshell-fake-server.js';

/** Runs myshell in-process on `lines` (a pipe, not a TTY) and returns what it printed. */
async function pipe(port: number, lines: string | null, extra: Partial<MyshellOptions> = {}): Promise<{ status: number; out: string; err: string }> {
  const input = new PassThrough();
  const output = new PassThrough();
  const errors = new PassThrough();
  let out = '';
  let err = '';
  output.on('data', (d: Buffer) => (out += d.toString('utf8')));
  errors.on('data', (d: Buffer) => (err += d.toString('utf8')));
  if (lines !== null) input.end(lines);
  const status = await runMyshell({
    endpoint: { host: '127.0.0.1', port },
    input,
    output,
    errors,
    interactive: false,
    ...extra,
  });
  return { status, out, err };
}

const LAB_REPLIES: Record<string, FakeAnswer> = {
  SET: { reply: '+OK\r\n' },
  GET: { reply: '*1\r\n$5\r\nHello\r\n' },
};

test('the lab session: quoted words become separate bulk strings, replies print one RESP line per line', async (t) => {
  let dels = 0;
  const server = await FakeRespServer.start((cmd) => {
    if (cmd.name === 'DEL') return { reply: dels++ === 0 ? ':1\r\n' : '-ERROR\r\n' };
    if (cmd.name === 'GET' && cmd.args[0]?.toString() === 'missing') return { reply: '*1\r\n$3\r\nnil\r\n' };
    return LAB_REPLIES[cmd.name] ?? { reply: '-ERROR\r\n' };
  });
  t.teardown(() => server.close());
  const r = await pipe(server.port, 'SET CS06142 "Cloud Computing"\nSET 1 "Hello"\nGET 1\nDEL 1\nDEL 1\nGET missing\n');
  t.is(
    server.received.toString('latin1'),
    '*4\r\n$3\r\nSET\r\n$7\r\nCS06142\r\n$5\r\nCloud\r\n$9\r\nComputing\r\n' +
      '*3\r\n$3\r\nSET\r\n$1\r\n1\r\n$5\r\nHello\r\n' +
      '*2\r\n$3\r\nGET\r\n$1\r\n1\r\n' +
      '*2\r\n$3\r\nDEL\r\n$1\r\n1\r\n'.repeat(2) +
      '*2\r\n$3\r\nGET\r\n$7\r\nmissing\r\n',
  );
  t.is(r.out, '+OK\n+OK\n*1\n$5\nHello\n:1\n-ERROR\n*1\n$3\nnil\n');
  t.is(r.err, '');
  t.is(r.status, MYSHELL_EXIT.ok, '-ERROR is an answer: status 0');
  t.is(server.connections, 1, 'one persistent connection for the whole session');
});

test('other reply shapes print raw: null bulk, null and empty arrays, nested arrays, a reply split over packets', async (t) => {
  const replies = ['$-1\r\n', '*-1\r\n', '*0\r\n', '*2\r\n*1\r\n:7\r\n$0\r\n\r\n', '+PONG\r\n'];
  const server = await FakeRespServer.start((_cmd, i) => ({ reply: replies[i] ?? '-ERROR\r\n', ...(i === 3 ? { splitAt: 9 } : {}) }));
  t.teardown(() => server.close());
  const r = await pipe(server.port, 'A\nB\nC\nD\nPING\n');
  t.is(r.out, '$-1\n*-1\n*0\n*2\n*1\n:7\n$0\n\n+PONG\n');
  t.is(r.status, 0);
});

test('bad quoting: a clear error line, nothing sent, the next lines still run; status 1 in a pipe', async (t) => {
  const server = await FakeRespServer.start(() => ({ reply: '+OK\r\n' }));
  t.teardown(() => server.close());
  const r = await pipe(server.port, 'SET k "Cloud Computing\n\n   \nSET k v\n');
  t.is(server.received.toString('latin1'), '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n', 'only the good line was sent; blank lines send nothing');
  t.is(r.err, 'myshell: unterminated double quote; nothing sent\n');
  t.is(r.out, '+OK\n');
  t.is(r.status, MYSHELL_EXIT.lineNotSent);
});

test('-c: one command, its reply, status 0 even for -ERROR; quit ends a pipe early', async (t) => {
  const server = await FakeRespServer.start(() => ({ reply: '-ERROR\r\n' }));
  t.teardown(() => server.close());
  const r = await pipe(server.port, null, { command: 'GET k' });
  t.is(r.out, '-ERROR\n');
  t.is(r.status, MYSHELL_EXIT.ok);
  t.is(server.received.toString('latin1'), '*2\r\n$3\r\nGET\r\n$1\r\nk\r\n');
  const q = await pipe(server.port, 'GET a\nquit\nGET b\n');
  t.is(q.out, '-ERROR\n');
  t.is(server.commands.length, 2, 'nothing after quit was sent');
});

test('unreachable: "cannot reach ADDR (ECONNREFUSED)" and status 2, in -c and pipe mode', async (t) => {
  const port = await closedPort();
  for (const mode of [{ command: 'GET k' }, {}]) {
    const r = await pipe(port, 'GET k\n', mode);
    t.is(r.err, `myshell: cannot reach 127.0.0.1:${port} (ECONNREFUSED)\n`);
    t.is(r.out, '');
    t.is(r.status, MYSHELL_EXIT.noReply);
  }
});

test('the server drops the connection: the next command reconnects; a dead server is a clear line and status 2', async (t) => {
  const server = await FakeRespServer.start((_cmd, i) => (i === 0 ? { reply: '+OK\r\n', thenClose: true } : { reply: ':1\r\n' }));
  t.teardown(() => server.close());
  const input = new PassThrough();
  const output = new PassThrough();
  const errors = new PassThrough();
  let out = '';
  let err = '';
  output.on('data', (d: Buffer) => (out += d.toString()));
  errors.on('data', (d: Buffer) => (err += d.toString()));
  const running = runMyshell({ endpoint: { host: '127.0.0.1', port: server.port }, input, output, errors, interactive: false });
  input.write('SET a b\n');
  const until = async (cond: () => boolean): Promise<void> => {
    for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  };
  await until(() => out === '+OK\n');
  await new Promise((r) => setTimeout(r, 50)); // let the close arrive
  input.write('DEL a\n');
  await until(() => out === '+OK\n:1\n');
  t.is(out, '+OK\n:1\n');
  t.is(server.connections, 2);
  await server.close();
  input.end('GET a\n');
  const status = await running;
  t.regex(err, new RegExp(`^myshell: (cannot reach 127\\.0\\.0\\.1:${server.port} \\(ECONNREFUSED\\)|connection to 127\\.0\\.0\\.1:${server.port} (closed before the reply|lost .*))\\n$`));
  t.is(status, MYSHELL_EXIT.noReply);
});

test('reply timeout: a clear line, the connection is dropped, and a late reply is never taken for the next one', async (t) => {
  const server = await FakeRespServer.start((_cmd, i) => (i === 0 ? { reply: '+LATE\r\n', delayMs: 600 } : { reply: '+SECOND\r\n' }));
  t.teardown(() => server.close());
  const started = Date.now();
  const r = await pipe(server.port, 'GET slow\nGET fast\n', { limits: { replyTimeoutMs: 300 } });
  t.is(r.err, `myshell: no reply from 127.0.0.1:${server.port} within 300 ms; connection dropped\n`);
  t.is(r.out, '+SECOND\n');
  t.is(r.status, MYSHELL_EXIT.noReply);
  t.is(server.connections, 2);
  t.true(Date.now() - started < 3_000);
});

test('a reply that is not RESP: a clear line and status 2', async (t) => {
  const server = await FakeRespServer.start(() => ({ reply: 'HTTP/1.1 400 Bad Request\r\n' }));
  t.teardown(() => server.close());
  const r = await pipe(server.port, 'GET k\n');
  t.regex(r.err, /^myshell: bad reply from 127\.0\.0\.1:\d+ \(BAD_TYPE_BYTE: .*\); connection dropped\n$/);
  t.is(r.status, MYSHELL_EXIT.noReply);
});

test('the address comes from any lab config: coordinator_info, a participant\'s coordinator_info, the first follower_info', (t) => {
  const coord = parseLabConfig('mode coordinator\ncoordinator_info 127.0.0.1:8001\nparticipant_info 127.0.0.1:8002\n', 'c.conf');
  const part = parseLabConfig('mode participant\nparticipant_info 127.0.0.1:8002\ncoordinator_info 127.0.0.1:8001\n', 'p.conf');
  const raft = parseLabConfig('follower_info 127.0.0.1:8103\nfollower_info 127.0.0.1:8101\n', 'r.conf');
  t.deepEqual(shellTargetOf(coord), { host: '127.0.0.1', port: 8001 });
  t.deepEqual(shellTargetOf(part), { host: '127.0.0.1', port: 8001 });
  t.deepEqual(shellTargetOf(raft), { host: '127.0.0.1', port: 8103 });
});
