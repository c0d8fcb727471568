import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** CPU time a process has used so far (user + system), from Linux's /proc. */
export interface CpuSample {
  readonly pid: number;
  /** utime + stime in microseconds, or null if the process could not be read. */
  readonly cpuUs: number | null;
}

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
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return { pid, cpuUs: null };
  }
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime is field 14 -> rest[11], stime rest[12].
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return { pid, cpuUs: null };
  return { pid, cpuUs: ((utime + stime) * 1e6) / ticksPerSec() };
}

/** CPU used between two samples of the same pids; null for any pid unreadable in either. */
export function cpuUsedUs(before: readonly CpuSample[], after: readonly CpuSample[]): { pid: number; cpuUs: number | null }[] {
  return before.map((b) => {
    const a = after.find((s) => s.pid === b.pid);
    const used = a?.cpuUs != null && b.cpuUs !== null ? a.cpuUs - b.cpuUs : null;
    return { pid: b.pid, cpuUs: used };
  });
}
