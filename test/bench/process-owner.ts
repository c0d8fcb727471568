import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

/** Kept of each server's stderr for leader detection and failure messages. */
const stderrTailBytesMax = 64 * 1024;

/** A started server process. */
export interface ServerProc {
  readonly name: string;
  readonly child: ChildProcess;
  stderr: string;
  /** How it was started, so it can be started again the same way. */
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** Started with an IPC channel (a Node child that reports to us with process.send). */
  readonly ipc: boolean;
}

export interface StartOptions {
  /** Open an IPC channel to the child (it must be a Node program). Default false. */
  readonly ipc?: boolean;
}

/** Whether the process has exited (or was killed). */
export function exited(p: ServerProc): boolean {
  return p.child.exitCode !== null || p.child.signalCode !== null;
}

/** Owns every process the benchmark starts; stopAll() kills them all, whatever happened. */
export class ProcessOwner {
  private readonly procs = new Set<ServerProc>();

  start(name: string, command: string, args: readonly string[], cwd: string, options: StartOptions = {}): ServerProc {
    const ipc = options.ipc ?? false;
    const child = spawn(command, args, { cwd, stdio: ipc ? ['ignore', 'ignore', 'pipe', 'ipc'] : ['ignore', 'ignore', 'pipe'], env: { ...process.env } });
    const proc: ServerProc = { name, child, stderr: '', command, args, cwd, ipc };
    child.stderr?.on('data', (d: Buffer) => {
      proc.stderr = (proc.stderr + d.toString('utf8')).slice(-stderrTailBytesMax);
    });
    child.on('error', (err) => {
      proc.stderr += `\nspawn failed: ${err.message}`;
    });
    this.procs.add(proc);
    child.on('exit', () => this.procs.delete(proc));
    return proc;
  }

  /** kill -9, then the same command again: a crash and restart. Resolves with the new process once the old one is gone. */
  async crashAndRestart(p: ServerProc): Promise<ServerProc> {
    await this.crash(p);
    return this.start(p.name, p.command, p.args, p.cwd, { ipc: p.ipc });
  }

  /** kill -9; resolves once the process is gone (at once if it already is). */
  async crash(p: ServerProc): Promise<void> {
    if (exited(p)) return;
    const gone = new Promise<void>((done) => p.child.once('exit', () => done()));
    p.child.kill('SIGKILL');
    await gone;
  }

  /** SIGTERM, then SIGKILL after graceMs for any still alive. */
  stopAll(graceMs = 2000): Promise<void> {
    return this.stop([...this.procs], graceMs);
  }

  /** SIGTERM to these, then SIGKILL after graceMs for any still alive; resolves once all are gone. */
  async stop(procs: readonly ServerProc[], graceMs = 2000): Promise<void> {
    await Promise.all(procs.map((p) => new Promise<void>((done) => {
      if (exited(p)) return done();
      const killer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
      p.child.once('exit', () => {
        clearTimeout(killer);
        done();
      });
      p.child.kill('SIGTERM');
    })));
  }

  /** Last resort on process exit: synchronous SIGKILL to every child still alive. */
  killAllNow(): void {
    for (const p of this.procs) {
      if (!exited(p)) p.child.kill('SIGKILL');
    }
  }
}
