import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../..');

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until fn returns a truthy value or the time is up. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last !== undefined ? `: ${String(last)}` : ''}`);
    await sleep(everyMs);
  }
}

export interface Proc {
  readonly name: string;
  child: ChildProcess;
  stderr: string;
  stdout: string;
  exited: Promise<number | null>;
}

/**
 * Spawns bin/ programs for a test in one temp dir, and kills every one of
 * them (SIGKILL) at teardown, whatever happened.
 */
export class ProcessGroup {
  readonly dir = mkdtempSync(join(tmpdir(), 'kvstore-it-'));
  private readonly procs = new Set<Proc>();

  file(name: string, text: string): string {
    const path = join(this.dir, name);
    writeFileSync(path, text);
    return path;
  }

  start(name: string, bin: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Proc {
    const child = spawn(process.execPath, [join(REPO, 'bin', bin), ...args], {
      cwd: this.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, KVSTORE_LOG_LEVEL: 'info', ...env },
    });
    const proc: Proc = {
      name,
      child,
      stderr: '',
      stdout: '',
      exited: new Promise((r) => child.on('exit', (code) => r(code))),
    };
    child.stderr?.on('data', (d: Buffer) => {
      proc.stderr = (proc.stderr + d.toString('utf8')).slice(-200_000);
    });
    child.stdout?.on('data', (d: Buffer) => {
      proc.stdout = (proc.stdout + d.toString('utf8')).slice(-200_000);
    });
    this.procs.add(proc);
    void proc.exited.then(() => this.procs.delete(proc));
    return proc;
  }

  async kill(p: Proc, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return;
    p.child.kill(signal);
    await p.exited;
  }

  async cleanup(): Promise<void> {
    await Promise.all([...this.procs].map((p) => this.kill(p)));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
