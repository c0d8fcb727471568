import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { waitFor } from './processes.js';

/**
 * A program run on a pseudo-terminal through util-linux `script`, so it sees
 * a TTY as a person at a terminal would; the test types lines and reads the screen.
 */
export class PtySession {
  output = '';
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(command: string, cwd: string, env: NodeJS.ProcessEnv = {}) {
    this.child = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, TERM: 'dumb', ...env },
    });
    this.exited = new Promise((r) => this.child.on('exit', (code) => r(code)));
    this.child.stdout?.on('data', (d: Buffer) => {
      this.output += d.toString('utf8');
    });
  }

  type(line: string): void {
    this.child.stdin?.write(`${line}\r`);
  }

  /** Waits until the screen shows `text` after position `from`; returns its end. */
  async expect(text: string | RegExp, from = 0, timeoutMs = 10_000): Promise<number> {
    return waitFor(`screen to show ${String(text)}`, () => {
      const rest = this.output.slice(from);
      if (typeof text === 'string') {
        const i = rest.indexOf(text);
        return i < 0 ? undefined : from + i + text.length;
      }
      const m = text.exec(rest);
      return m === null ? undefined : from + m.index + m[0].length;
    }, timeoutMs);
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
