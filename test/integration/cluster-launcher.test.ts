import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, waitFor } from '../helpers/processes.js';
import { PtySession } from '../helpers/pty.js';
import { OK, arrayReply, cmd } from '../helpers/resp-client.js';

interface Launcher {
  readonly child: ChildProcess;
  out: string;
  err: string;
  readonly exited: Promise<number | null>;
}

/** `kvstore cluster [--raft] --no-shell` in `dir`, stdin not a TTY. */
function launch(dir: string, basePort: number, shape: 'raft' | '2pc' = 'raft'): Launcher {
  // The Redis endpoint at base+200, not 6379: a Redis server may be running here (the memcached one at base+201, not 11211).
  const args = ['cluster', ...(shape === 'raft' ? ['--raft'] : []), '--no-shell', '--dir', join(dir, 'c'), '--base-port', String(basePort), '--redis-port', String(basePort + 200), '--memcache-port', String(basePort + 201)];
  const child = spawn(process.execPath, [join(REPO, 'bin', 'kvstore'), ...args], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const l: Launcher = { child, out: '', err: '', exited: new Promise((r) => child.on('exit', (code) => r(code))) };
  child.stdout?.on('data', (d: Buffer) => (l.out += d.toString('utf8')));
  child.stderr?.on('data', (d: Buffer) => (l.err += d.toString('utf8')));
  return l;
}

/** The members' pids from the launcher's table (`raft1  kvstoreraftsystem  127.0.0.1:P  PID ...`). */
function pidsOf(out: string): Map<string, number> {
  const pids = new Map<string, number>();
  for (const m of out.matchAll(/^ {2}(raft\d|coordinator|participant\d)\s+kvstore\w+system\s+\S+\s+(\d+)\s/gm)) pids.set(m[1]!, Number(m[2]));
  return pids;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A base port whose raft ports (base+100..+102), or 2PC ports (base..base+3), are free right now. */
async function freeRaftBase(offsets: readonly number[] = [100, 101, 102, 200, 201]): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    const ports = offsets.map((o) => base + o);
    const ok = await Promise.all(ports.map((p) => new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(p, '127.0.0.1', () => s.close(() => resolve(true)));
    })));
    if (ok.every(Boolean)) return base;
  }
  throw new Error('no free port range');
}

test('kvstore cluster --raft: starts three peers, serves, reports a member that dies, SIGINT stops all with 0; a rerun finds the data', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kvstore-cluster-'));
  const started: Launcher[] = [];
  const pids: number[] = [];
  t.teardown(async () => {
    for (const l of started) if (l.child.exitCode === null) l.child.kill('SIGKILL');
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    await Promise.all(started.map((l) => l.exited));
    rmSync(dir, { recursive: true, force: true });
  });
  const base = await freeRaftBase();
  const [p1, p2, p3] = [base + 100, base + 101, base + 102];

  const first = launch(dir, base);
  started.push(first);
  await waitFor('the first launch to be ready', () => first.out.includes('Ready:') || first.child.exitCode !== null, 20_000);
  t.regex(first.out, new RegExp(`raft1 +kvstoreraftsystem +127\\.0\\.0\\.1:${p1} `));
  t.regex(first.out, new RegExp(`raft3 +kvstoreraftsystem +127\\.0\\.0\\.1:${p3} `));
  const firstPids = pidsOf(first.out);
  pids.push(...firstPids.values());
  t.is(firstPids.size, 3);
  t.is(await cmd(p1, 'SET', 'CS06142', 'Cloud', 'Computing'), OK);
  t.is(await cmd(p2, 'GET', 'CS06142'), arrayReply('Cloud', 'Computing'));
  t.true(first.out.includes(`Redis endpoint: 127.0.0.1:${base + 200}. Try: redis-cli -h 127.0.0.1 -p ${base + 200}`), first.out);
  t.true(first.out.includes(`memcached endpoint: 127.0.0.1:${base + 201}. Try: memccat --servers=127.0.0.1:${base + 201} KEY`), first.out);
  t.is(await cmd(base + 200, 'GET', 'CS06142'), '$15\r\nCloud Computing\r\n');
  t.true(readFileSync(join(dir, 'c', 'raft2.conf'), 'utf8').includes(`follower_info 127.0.0.1:${p2}\n`), 'config written, itself first');

  first.child.kill('SIGINT');
  t.is(await first.exited, 0);
  t.true(first.out.includes('Stopped.'));
  for (const [name, pid] of firstPids) t.false(alive(pid), `${name} (pid ${pid}) is gone after SIGINT`);

  // Again on the same folder: configs reused, the value is still there.
  const second = launch(dir, base);
  started.push(second);
  await waitFor('the second launch to be ready', () => second.out.includes('Ready:') || second.child.exitCode !== null, 20_000);
  t.true(second.out.includes('Using the existing configs'));
  const secondPids = pidsOf(second.out);
  pids.push(...secondPids.values());
  t.is(await cmd(p3, 'GET', 'CS06142'), arrayReply('Cloud', 'Computing'));

  // A member dies: the launcher names it and shows its log; the others keep serving.
  process.kill(secondPids.get('raft3')!, 'SIGKILL');
  await waitFor('the launcher to report raft3', () => second.err.includes('raft3 killed by SIGKILL; the others keep running'), 5_000);
  t.regex(second.err, /Last lines of logs\/raft3\.log:\n {2}\| /);
  t.is(second.child.exitCode, null, 'the launcher keeps running');
  await waitFor('a write through the two left', async () => (await cmd(p1, 'SET', 'after', 'loss')) === OK, 10_000);
  t.is(await cmd(p2, 'GET', 'after'), arrayReply('loss'));

  second.child.kill('SIGTERM');
  t.is(await second.exited, 0);
  for (const [name, pid] of secondPids) t.false(alive(pid), `${name} (pid ${pid}) is gone after SIGTERM`);
});

test('kvstore cluster refuses ports already taken, naming them, before starting anything', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kvstore-cluster-'));
  const blocker = createServer();
  const base = await freeRaftBase();
  await new Promise<void>((r) => blocker.listen(base + 101, '127.0.0.1', r));
  const l = launch(dir, base);
  t.teardown(async () => {
    if (l.child.exitCode === null) l.child.kill('SIGKILL');
    await l.exited;
    await new Promise((r) => blocker.close(r));
    rmSync(dir, { recursive: true, force: true });
  });
  t.is(await l.exited, 2);
  t.true(l.err.includes(`127.0.0.1:${base + 101} (raft2) is already taken`), l.err);
  t.false(l.out.includes('kvstoreraftsystem  127.0.0.1'), 'no table: nothing started');
});

test('kvstore cluster at a terminal opens myshell on the front door; Ctrl-C there stops every member and exits 0', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kvstore-cluster-'));
  const base = await freeRaftBase();
  const pty = new PtySession(
    `${JSON.stringify(process.execPath)} ${JSON.stringify(join(REPO, 'bin', 'kvstore'))} cluster --raft --dir c --base-port ${base} --redis-port ${base + 200} --memcache-port ${base + 201}`,
    dir,
    { TERM: 'xterm' },
  );
  let pids = new Map<string, number>();
  t.teardown(async () => {
    pty.kill();
    for (const pid of pids.values()) if (alive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const prompt = `127.0.0.1:${base + 100}> `;
  let at = await pty.expect(prompt, 0, 20_000);
  pids = pidsOf(pty.output.replaceAll('\r\n', '\n'));
  t.is(pids.size, 3);
  pty.type('SET CS06142 "Cloud Computing"');
  at = await pty.expect('+OK', at);
  pty.type('GET CS06142');
  at = await pty.expect(/\*2\r?\n\$5\r?\nCloud\r?\n\$9\r?\nComputing/, at);
  pty.child.stdin?.write('\x03'); // Ctrl-C
  await pty.expect('Stopped.', at);
  t.is(await pty.exited, 0);
  for (const [name, pid] of pids) t.false(alive(pid), `${name} (pid ${pid}) is gone`);
});

test('kvstore cluster (2PC, the default): a coordinator and three participants serve through the coordinator; SIGINT stops all; a rerun keeps the data', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kvstore-cluster-'));
  const started: Launcher[] = [];
  const pids: number[] = [];
  t.teardown(async () => {
    for (const l of started) if (l.child.exitCode === null) l.child.kill('SIGKILL');
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    await Promise.all(started.map((l) => l.exited));
    rmSync(dir, { recursive: true, force: true });
  });
  const base = await freeRaftBase([0, 1, 2, 3, 200, 201]);
  for (const round of [1, 2]) {
    const l = launch(dir, base, '2pc');
    started.push(l);
    await waitFor(`launch ${round} to be ready`, () => l.out.includes('Ready:') || l.child.exitCode !== null, 25_000);
    const found = pidsOf(l.out);
    pids.push(...found.values());
    t.deepEqual([...found.keys()], ['coordinator', 'participant1', 'participant2', 'participant3']);
    t.regex(l.out, new RegExp(`coordinator +kvstore2pcsystem +127\\.0\\.0\\.1:${base} `));
    if (round === 1) t.is(await cmd(base, 'SET', 'CS06142', 'Cloud', 'Computing'), OK);
    t.is(await cmd(base, 'GET', 'CS06142'), arrayReply('Cloud', 'Computing'), `round ${round}`);
    l.child.kill('SIGINT');
    t.is(await l.exited, 0);
    for (const [name, pid] of found) t.false(alive(pid), `${name} (pid ${pid}) is gone after SIGINT`);
  }
});
