import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';

/** Bytes of stderr kept in memory per node (older output is only in its log file). */
export const STDERR_TAIL_BYTES = 400_000;

/**
 * One cluster process the nemesis may kill -9, restart, SIGSTOP and SIGCONT.
 * Its stderr goes to a log file and a bounded in-memory tail (for role lines).
 */
export class NodeProcess {
  child: ChildProcess | undefined;
  paused = false;
  stderr = '';
  starts = 0;
  /** Exits nobody asked for (a crash, an assertion): each a real bug, with the log tail. */
  readonly crashes: string[] = [];
  private expectExit = false;
  private exited: Promise<void> = Promise.resolve();
  private readonly log: WriteStream;

  constructor(
    readonly name: string,
    /** The port clients use (RESP). */
    readonly port: number,
    private readonly argv: readonly string[],
    private readonly cwd: string,
    logPath: string,
  ) {
    this.log = createWriteStream(logPath, { flags: 'a' });
    this.log.on('error', () => {});
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    if (this.alive) return;
    this.starts++;
    this.paused = false;
    const child = spawn(process.execPath, [...this.argv], {
      cwd: this.cwd,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, KVSTORE_LOG_LEVEL: 'info' },
    });
    this.child = child;
    this.expectExit = false;
    this.exited = new Promise((r) =>
      child.once('exit', (code, signal) => {
        if (!this.expectExit) {
          const tail = this.stderr.split('\n').slice(-6).join('\n    ');
          this.crashes.push(`${this.name} exited by itself (code ${code}, signal ${signal}):\n    ${tail}`);
        }
        r();
      }),
    );
    child.stderr?.on('data', (d: Buffer) => {
      this.log.write(d);
      this.stderr = (this.stderr + d.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    });
  }

  /** kill -9 (continuing it first if paused, so the signal is not left pending on a stopped process). */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined || !this.alive) return;
    if (this.paused) this.resume();
    this.expectExit = true;
    child.kill('SIGKILL');
    await this.exited;
  }

  /** A graceful stop: SIGTERM, then SIGKILL if it is still up after graceMs (a rolling restart's way down). */
  async stop(graceMs = 5_000): Promise<void> {
    const child = this.child;
    if (child === undefined || !this.alive) return;
    if (this.paused) this.resume();
    this.expectExit = true;
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (this.alive) child.kill('SIGKILL');
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  pause(): void {
    if (!this.alive || this.paused) return;
    this.child!.kill('SIGSTOP');
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.alive) this.child!.kill('SIGCONT');
  }

  /** The last role this node logged, with its term (undefined before the first). */
  lastRole(): { role: string; term: number } | undefined {
    const at = this.stderr.lastIndexOf('"msg":"raft role"');
    if (at < 0) return undefined;
    const start = this.stderr.lastIndexOf('\n', at) + 1;
    const end = this.stderr.indexOf('\n', at);
    try {
      const j = JSON.parse(this.stderr.slice(start, end < 0 ? undefined : end)) as { role: string; term: number };
      return { role: j.role, term: j.term };
    } catch {
      return undefined;
    }
  }

  /** Synchronous last resort (process exit): continue and kill. */
  killNow(): void {
    if (!this.alive) return;
    this.expectExit = true;
    if (this.paused) this.child!.kill('SIGCONT');
    this.child!.kill('SIGKILL');
  }

  async close(): Promise<void> {
    await this.kill();
    await new Promise<void>((r) => this.log.end(() => r()));
  }
}
