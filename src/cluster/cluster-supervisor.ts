import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { assert } from '../../raft/assert.js';

/** A log bigger than this at start is moved to `<name>.log.1` (the older .1 is replaced). */
export const logBytesRotateAt = 16 * 1024 * 1024;
/** How much of a log's end is read to show its last lines. */
export const logTailBytesMax = 16 * 1024;
/** Lines shown when a member dies. */
export const logTailLinesMax = 15;
/** After SIGTERM, how long a member may take before it gets SIGKILL. */
export const stopGraceMs = 5_000;

export interface ChildSpec {
  readonly name: string;
  /** An executable under the package's bin/. */
  readonly binPath: string;
  readonly args: readonly string[];
  /** Working directory; the log is `<cwd>/<logFile>`. */
  readonly cwd: string;
  readonly logFile: string;
}

interface Running {
  readonly spec: ChildSpec;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  exit: { code: number | null; signal: NodeJS.Signals | null } | null;
}

/**
 * Owns the member processes of a local cluster: starts each with stdout and
 * stderr appended to its own log file (the file descriptor is handed to the
 * child, so logging does not depend on this process), reports one that dies
 * while it should be running, and stops them all: SIGTERM, then SIGKILL
 * after stopGraceMs.
 *
 * Children stay in this process's process group: a Ctrl-C at the terminal
 * reaches them too (each closes cleanly on SIGINT), and `stopping` makes
 * those exits expected.
 */
export class ClusterSupervisor {
  private readonly running = new Map<string, Running>();
  private stopping = false;

  constructor(
    /** Told when a member exits while it should be running. */
    private readonly onUnexpectedExit: (name: string, how: string, logTail: string) => void,
  ) {}

  start(spec: ChildSpec): void {
    assert(!this.running.has(spec.name), `member ${spec.name} started twice`);
    assert(!this.stopping, 'start after stop');
    const logPath = join(spec.cwd, spec.logFile);
    rotateIfLarge(logPath);
    const fd = openSync(logPath, 'a');
    let child: ChildProcess;
    try {
      writeSync(fd, `--- kvstore cluster: starting ${spec.name} at ${new Date().toISOString()}: ${spec.binPath} ${spec.args.join(' ')}\n`);
      child = spawn(process.execPath, [spec.binPath, ...spec.args], {
        cwd: spec.cwd,
        stdio: ['ignore', fd, fd],
        env: process.env,
      });
    } finally {
      closeSync(fd);
    }
    const r: Running = {
      spec,
      child,
      exit: null,
      exited: new Promise((resolve) => {
        child.once('exit', (code, signal) => {
          r.exit = { code, signal };
          if (!this.stopping) this.onUnexpectedExit(spec.name, describeExit(code, signal), this.logTail(spec.name));
          resolve();
        });
        child.once('error', (err) => {
          // spawn itself failed (e.g. no such executable): no 'exit' will follow.
          if (r.exit !== null) return;
          r.exit = { code: null, signal: null };
          if (!this.stopping) this.onUnexpectedExit(spec.name, `could not start: ${err.message}`, '');
          resolve();
        });
      }),
    };
    this.running.set(spec.name, r);
  }

  isRunning(name: string): boolean {
    const r = this.running.get(name);
    return r !== undefined && r.exit === null;
  }

  pid(name: string): number | undefined {
    return this.running.get(name)?.child.pid;
  }

  /** The last lines of a member's log, for a person reading why it died. */
  logTail(name: string): string {
    const r = this.running.get(name);
    if (r === undefined) return '';
    return readTail(join(r.spec.cwd, r.spec.logFile));
  }

  /** SIGTERM to every live member, SIGKILL to those still up after stopGraceMs. */
  async stopAll(graceMs = stopGraceMs): Promise<void> {
    this.stopping = true;
    const live = [...this.running.values()].filter((r) => r.exit === null);
    for (const r of live) r.child.kill('SIGTERM');
    await Promise.all(live.map(async (r) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          if (r.exit === null) r.child.kill('SIGKILL');
          resolve();
        }, graceMs);
      });
      await Promise.race([r.exited, late]);
      clearTimeout(timer);
      await r.exited;
    }));
  }
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal !== null ? `killed by ${signal}` : `exited with status ${code ?? '?'}`;
}

function rotateIfLarge(path: string): void {
  if (existsSync(path) && statSync(path).size > logBytesRotateAt) renameSync(path, `${path}.1`);
}

function readTail(path: string): string {
  if (!existsSync(path)) return '';
  const fd = openSync(path, 'r');
  try {
    const size = statSync(path).size;
    const len = Math.min(size, logTailBytesMax);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    const lines = buf.toString('utf8').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    // The first line may be cut by the byte window; drop it unless it is all we have.
    if (len < size && lines.length > 1) lines.shift();
    return lines.slice(-logTailLinesMax).join('\n');
  } finally {
    closeSync(fd);
  }
}
