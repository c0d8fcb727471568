import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, waitFor } from '../../helpers/processes.js';

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function kvstore(args: readonly string[], cwd: string, onStdout?: (all: string, child: ReturnType<typeof spawn>) => void): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO, 'bin', 'kvstore'), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
      onStdout?.(stdout, child);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Processes whose command line mentions the folder (the members' config paths are inside it). */
function processesUnder(dir: string): number[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir);
    } catch {
      return false;
    }
  }).map(Number);
}

test('a YAML timeline on raft peers: pause, partition, kill and restart by name; exit 0 with the report files', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kvstore-exp-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'mine.yaml'), [
    'name: by-hand', 'shape: raft', 'steps:', '  - start load', '  - wait 800ms', '  - pause follower', '  - wait 500ms', '  - resume victim',
    '  - partition raft1 | rest', '  - wait 800ms', '  - heal', '  - kill -9 raft2', '  - wait 500ms', '  - restart raft2', '  - wait caught-up raft2 10s', '  - stop', '',
  ].join('\n'));
  const r = await kvstore(['experiment', '--file', 'mine.yaml', '--out', 'out', '--clients', '2'], dir);
  t.is(r.code, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /PASS: \d+ acknowledged keys read back, 0 lost/);
  for (const f of ['report.html', 'samples.json', 'samples.csv', 'requests.csv']) t.true(existsSync(join(dir, 'out', f)), f);
  const rec = JSON.parse(readFileSync(join(dir, 'out', 'samples.json'), 'utf8')) as { events: Array<{ action: string; targets: string[] }>; plan: { shape: string } };
  t.is(rec.plan.shape, 'raft');
  t.deepEqual(rec.events.map((e) => e.action), ['load-start', 'pause', 'resume', 'partition', 'heal', 'kill', 'restart', 'caught-up-wait']);
  t.deepEqual(rec.events.find((e) => e.action === 'kill')!.targets, ['raft2']);
  t.regex(readFileSync(join(dir, 'out', 'samples.csv'), 'utf8').split('\n')[0]!, /^t_ms,node,up,group,role/);
  t.deepEqual(processesUnder(dir), [], 'every member stopped');
});

test('bad input: an unknown scenario, a bad timeline line, a used folder; each a clear message and exit 2', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kvstore-exp-bad-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const unknown = await kvstore(['experiment', 'kill-everyone'], dir);
  t.is(unknown.code, 2);
  t.regex(unknown.stderr, /no scenario "kill-everyone"; built in: kill-leader/);
  writeFileSync(join(dir, 'bad.yaml'), 'steps:\n  - start load\n  - explode\n');
  const bad = await kvstore(['experiment', '--file', 'bad.yaml'], dir);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /bad\.yaml: step 2: "explode": not a step/);
  const raftCoord = await kvstore(['experiment', 'kill-coordinator', '--shape', 'raft'], dir);
  t.is(raftCoord.code, 2);
  t.regex(raftCoord.stderr, /needs --shape 2pc/);
  writeFileSync(join(dir, 'taken.txt'), 'x');
  const used = await kvstore(['experiment', 'kill-leader', '--out', '.'], dir);
  t.is(used.code, 2);
  t.regex(used.stderr, /is not empty/);
  t.deepEqual(processesUnder(dir), []);
});

test('Ctrl-C (SIGINT) in the middle stops every member and still writes the report', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kvstore-exp-int-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  let sent = false;
  const run = kvstore(['experiment', 'kill-leader', '--out', 'out', '--warmup', '30s'], dir, (out, child) => {
    if (!sent && out.includes('kvstore experiment kill-leader')) {
      sent = true;
      // Once the members run (their configs are written before they start), interrupt.
      void waitFor('members running', () => processesUnder(dir).length >= 4, 15_000).then(() => setTimeout(() => child.kill('SIGINT'), 1_500));
    }
  });
  const r = await run;
  t.is(r.code, 130, r.stdout + r.stderr);
  t.true(existsSync(join(dir, 'out', 'report.html')));
  t.regex(readFileSync(join(dir, 'out', 'report.html'), 'utf8'), /interrupted/);
  t.deepEqual(processesUnder(dir), [], 'no member left running');
});
