import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../helpers/processes.js';
import { PtySession } from '../helpers/pty.js';
import { FakeRespServer, closedPort } from './myshell-fake-server.js';

/** Runs bin/myshell (the built program) with `stdin` piped in; resolves when it exits. */
function myshell(args: readonly string[], stdin = ''): Promise<{ status: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO, 'bin', 'myshell'), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`myshell ${args.join(' ')} did not exit within 15 s`));
    }, 15_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, out, err });
    });
    child.stdin.end(stdin);
  });
}

test('bin/myshell -c: exit 0 on +OK and on -ERROR (the server answered), 2 when unreachable', async (t) => {
  const server = await FakeRespServer.start((cmd) => ({ reply: cmd.name === 'SET' ? '+OK\r\n' : '-ERROR\r\n' }));
  t.teardown(() => server.close());
  const ok = await myshell(['--address', `127.0.0.1:${server.port}`, '-c', 'SET CS06142 "Cloud Computing"']);
  t.deepEqual(ok, { status: 0, out: '+OK\n', err: '' });
  t.is(server.received.toString('latin1'), '*4\r\n$3\r\nSET\r\n$7\r\nCS06142\r\n$5\r\nCloud\r\n$9\r\nComputing\r\n');
  const error = await myshell(['--address', `127.0.0.1:${server.port}`, '-c', 'GET nope']);
  t.deepEqual(error, { status: 0, out: '-ERROR\n', err: '' });
  const port = await closedPort();
  const down = await myshell(['--address', `127.0.0.1:${port}`, '-c', 'GET k']);
  t.deepEqual(down, { status: 2, out: '', err: `myshell: cannot reach 127.0.0.1:${port} (ECONNREFUSED)\n` });
});

test('bin/myshell --config: reads the coordinator address; pipe mode prints each reply and exits 0 at EOF', async (t) => {
  const server = await FakeRespServer.start((cmd) => ({ reply: cmd.name === 'GET' ? '*2\r\n$5\r\nCloud\r\n$9\r\nComputing\r\n' : ':1\r\n' }));
  const dir = mkdtempSync(join(tmpdir(), 'kvstore-myshell-'));
  t.teardown(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const coordinator = join(dir, 'coordinator.conf');
  writeFileSync(coordinator, `! lab style\nmode coordinator\ncoordinator_info 127.0.0.1:${server.port}\nparticipant_info 127.0.0.1:1\n`);
  const participant = join(dir, 'participant.conf');
  writeFileSync(participant, `mode participant\nparticipant_info 127.0.0.1:1\ncoordinator_info 127.0.0.1:${server.port}\n`);
  const r = await myshell(['--config', coordinator], 'GET CS06142\nDEL CS06142\n');
  t.deepEqual(r, { status: 0, out: '*2\n$5\nCloud\n$9\nComputing\n:1\n', err: '' });
  const p = await myshell(['--config', participant], 'DEL a b\r\n');
  t.deepEqual(p, { status: 0, out: ':1\n', err: '' }, 'a participant config leads to its coordinator; CRLF input is fine');
  t.is(server.connections, 2);
});

test('bin/myshell: usage and config problems are one clear line and status 2', async (t) => {
  const none = await myshell([]);
  t.is(none.status, 2);
  t.regex(none.err, /give --config FILE .* or --address IP:PORT/);
  const dir = mkdtempSync(join(tmpdir(), 'kvstore-myshell-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bad = join(dir, 'bad.conf');
  writeFileSync(bad, 'mode coordinator\ncoordinator_info 127.0.0.1\n');
  const r = await myshell(['--config', bad]);
  t.is(r.status, 2);
  t.is(r.err, `${bad}:2: bad address "127.0.0.1": expected IP:PORT, e.g. 127.0.0.1:8001\n`);
});

test('bin/myshell on a terminal: shows a prompt and the banner, answers, up-arrow recalls the last line, Ctrl-D leaves with 0', async (t) => {
  const server = await FakeRespServer.start(() => ({ reply: '*1\r\n$5\r\nHello\r\n' }));
  // TERM=xterm: on a dumb terminal node:readline offers no history keys.
  const pty = new PtySession(`${JSON.stringify(process.execPath)} bin/myshell --address 127.0.0.1:${server.port}`, REPO, { TERM: 'xterm' });
  t.teardown(async () => {
    pty.kill();
    await server.close();
  });
  const prompt = `127.0.0.1:${server.port}> `;
  let at = await pty.expect(prompt);
  pty.type('GET 1');
  at = await pty.expect(/\*1\r?\n\$5\r?\nHello\r?\n/, at);
  at = await pty.expect(prompt, at);
  t.is(server.received.toString('latin1'), '*2\r\n$3\r\nGET\r\n$1\r\n1\r\n');
  t.true(pty.output.includes(`myshell: connected to 127.0.0.1:${server.port}`));
  pty.child.stdin?.write('\x1b[A\r'); // up arrow, Enter: the same command again
  at = await pty.expect(/Hello\r?\n/, at);
  await pty.expect(prompt, at);
  t.is(server.received.toString('latin1'), '*2\r\n$3\r\nGET\r\n$1\r\n1\r\n'.repeat(2));
  pty.child.stdin?.write('\x04'); // Ctrl-D on an empty line
  t.is(await pty.exited, 0);
});
