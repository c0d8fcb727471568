import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** CPU time a process has used so far (user + system) and its I/O calls, from Linux's /proc. */
export interface CpuSample {
  readonly pid: number;
  /** utime + stime in microseconds, or null if the process could not be read. */
  readonly cpuUs: number | null;
  /** stime alone (the kernel's share: socket and disk calls, wake-ups), or null. */
  readonly sysUs: number | null;
  /**
   * read- and write-family system calls so far, all threads (syscr and
   * syscw of /proc/<pid>/io: socket reads and sends, disk writes; not
   * fsync), or null if that file could not be read.
   */
  readonly readCalls: number | null;
  readonly writeCalls: number | null;
}

/** What a process used between two samples (the same fields, as differences); null where either could not read it. */
export type CpuUsed = CpuSample;

let clockTicksPerSec: number | null = null;

/** USER_HZ (the unit of /proc/<pid>/stat times); 100 on every usual Linux. */
function ticksPerSec(): number {
  if (clockTicksPerSec === null) {
    let hz = 100;
    try {
      const out = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
      if (Number.isSafeInteger(out) && out > 0) hz = out;
    } catch {
      // getconf missing: keep the Linux default.
    }
    clockTicksPerSec = hz;
  }
  return clockTicksPerSec;
}

/**
 * Reads utime and stime (fields 14 and 15 of /proc/<pid>/stat). The command
 * name (field 2) may hold spaces and parentheses, so fields are counted from
 * the last `)`.
 */
export function sampleCpu(pid: number): CpuSample {
  const calls = sampleCalls(pid);
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return { pid, cpuUs: null, sysUs: null, ...calls };
  }
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime is field 14 -> rest[11], stime rest[12].
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return { pid, cpuUs: null, sysUs: null, ...calls };
  const us = 1e6 / ticksPerSec();
  return { pid, cpuUs: (utime + stime) * us, sysUs: stime * us, ...calls };
}

/** syscr and syscw of /proc/<pid>/io (absent where the kernel hides it, e.g. another user's process). */
function sampleCalls(pid: number): { readCalls: number | null; writeCalls: number | null } {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/io`, 'utf8');
  } catch {
    return { readCalls: null, writeCalls: null };
  }
  const field = (name: string): number | null => {
    const m = new RegExp(`^${name}: (\\d+)$`, 'm').exec(text);
    return m === null ? null : Number(m[1]);
  };
  return { readCalls: field('syscr'), writeCalls: field('syscw') };
}

/** What each pid used between two samples of the same pids; null for anything unreadable in either. */
export function cpuUsedUs(before: readonly CpuSample[], after: readonly CpuSample[]): CpuUsed[] {
  return before.map((b) => {
    const a = after.find((s) => s.pid === b.pid);
    const diff = (k: 'cpuUs' | 'sysUs' | 'readCalls' | 'writeCalls'): number | null => {
      const x = a?.[k];
      const y = b[k];
      return x != null && y !== null ? x - y : null;
    };
    return { pid: b.pid, cpuUs: diff('cpuUs'), sysUs: diff('sysUs'), readCalls: diff('readCalls'), writeCalls: diff('writeCalls') };
  });
}
