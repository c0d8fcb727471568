import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { freePorts } from './ports.js';

/** Debian's redis-server (.ci/run installs it when missing). */
export const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;

/**
 * A real redis-server for reply comparisons: loopback, a free port, no
 * persistence, its own temp dir; killed (and the dir removed) on teardown.
 */
export async function startRedisServer(t: { teardown(fn: () => void | Promise<void>): void }): Promise<{ port: number; version: string }> {
  const [port] = await freePorts(1);
  const dir = mkdtempSync(join(tmpdir(), 'kvstore-redis-ref-'));
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--protected-mode', 'no'], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const deadline = Date.now() + 5_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(port!, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (up) break;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('redis-server did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  const version = /v=(\S+)/.exec(spawnSync('redis-server', ['--version']).stdout.toString())?.[1] ?? '?';
  return { port: port!, version };
}
