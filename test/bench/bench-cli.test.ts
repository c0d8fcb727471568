import test from 'ava';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { FakeRespServer } from './fake-resp-server.js';

const REPO = resolve(import.meta.dirname, '../..');

function kvstore(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = execFile(process.execPath, ['--import', 'tsx', 'src/cli/kvstore.ts', ...args], { cwd: REPO, timeout: 20_000 }, (err, stdout, stderr) => {
      done({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : child.exitCode, stdout, stderr });
    });
  });
}

test('kvstore bench --json prints one parsable line with the counts', async (t) => {
  const s = new FakeRespServer();
  await s.listen();
  t.teardown(() => s.close());
  const r = await kvstore(['bench', '--address', `127.0.0.1:${s.port}`, '-n', '500', '-c', '3', '-P', '4', '--mix', 'set=1,get=1', '--pids', String(process.pid), '--json']);
  t.is(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  t.is(lines.length, 1);
  const j = JSON.parse(lines[0]!) as { ops: number; okReplies: number; commands: { set: number; get: number }; latencyUs: { p50: number }; cpu: { usPerOp: number } | null; errors: Record<string, number> };
  t.is(j.ops, 500);
  t.is(j.okReplies, 500);
  t.is(j.commands.set + j.commands.get, 500);
  t.is(s.received.SET + s.received.GET, 500);
  t.true(j.latencyUs.p50 > 0);
  t.not(j.cpu, null);
  t.is(j.errors['error'], 0);
  t.false(r.stderr.includes('%'), 'no progress bar off a TTY');
});

test('kvstore bench rejects a bad option with exit status 2', async (t) => {
  const r = await kvstore(['bench', '--port', '1', '--mix', 'put=3', '-n', '5']);
  t.is(r.code, 2);
  t.regex(r.stderr, /--mix/);
});

/** The npm bench scripts: --help explains them, a misspelt option is named, neither starts a cluster or dumps a stack. */
for (const script of ['bench-cluster', 'latency-floor', 'metrics-overhead']) {
  test(`${script}: --help prints its options, an unknown option is refused by name`, async (t) => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
        const child = execFile(process.execPath, ['--import', 'tsx', `test/bench/${script}.ts`, ...args], { cwd: REPO, timeout: 20_000 }, (err, stdout, stderr) => {
          done({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : child.exitCode, stdout, stderr });
        });
      });
    const help = await run(['--help']);
    t.is(help.code, 0, help.stderr);
    t.regex(help.stdout, /--rounds <n>/);
    const bad = await run(['--bogus']);
    t.not(bad.code, 0);
    t.regex(bad.stderr, /unknown option '--bogus'/);
    t.notRegex(bad.stderr, /at .*\.(js|ts):\d+/, 'no stack trace');
  });
}
