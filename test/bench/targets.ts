import type { BenchResult } from '../../src/bench/run-bench.js';
import type { MemoryRestartResult } from './memory-restart.js';
import { median, type Measured } from './suite-table.js';

export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  /** undefined: not measured in this run. */
  readonly met: boolean | undefined;
}

const COORD = 'coordinator+3';
const RAFT = 'raft leader';
const REDIS = 'redis aof always';

/**
 * Issue 7's targets, judged on the medians of this run: each says what was
 * measured and whether it holds. A target whose systems or rows did not
 * run (or the memory phase was skipped) is reported as not measured.
 */
export function checkTargets(measured: readonly Measured[], memory: MemoryRestartResult | undefined): TargetCheck[] {
  const med = (row: string, system: string, f: (r: BenchResult) => number): number =>
    median(measured.filter((m) => m.row === row && m.system === system).map((m) => f(m.result)));
  const ops = (row: string, system: string): number => med(row, system, (r) => r.opsPerSec);
  const p50 = (row: string, system: string): number => med(row, system, (r) => r.latencyUs.p50);
  const cpu = (row: string, system: string): number => med(row, system, (r) => r.cpu?.usPerOp ?? NaN);
  const check = (target: string, value: number, show: (v: number) => string, ok: (v: number) => boolean): TargetCheck =>
    Number.isFinite(value) ? { target, measured: show(value), met: ok(value) } : { target, measured: 'not measured', met: undefined };
  const x = (v: number): string => `${v.toFixed(2)}×`;

  const checks = [
    check('SET c=128 through the coordinator >= 0.20 × redis', ops('SET c=128', COORD) / ops('SET c=128', REDIS), x, (v) => v >= 0.2),
    check('SET c=128: raft leader direct <= 1.25 × coordinator', ops('SET c=128', RAFT) / ops('SET c=128', COORD), x, (v) => v <= 1.25),
    check('SET c=1 p50 through the coordinator <= 3 × redis p50', p50('SET c=1', COORD) / p50('SET c=1', REDIS), x, (v) => v <= 3),
    check('GET/SET 50/50 c=128 through the coordinator >= 0.25 × redis', ops('GET/SET 50/50 c=128', COORD) / ops('GET/SET 50/50 c=128', REDIS), x, (v) => v >= 0.25),
    check('server CPU per SET at c=128 (coordinator+3) <= 100 µs', cpu('SET c=128', COORD), (v) => `${Math.round(v)} µs`, (v) => v <= 100),
  ];
  if (memory === undefined) {
    checks.push({ target: 'participant with 1M keys: peak RSS < 600 MB', measured: 'not measured', met: undefined });
    checks.push({ target: 'participant with 1M keys restarts in < 10 s', measured: 'not measured', met: undefined });
  } else {
    const keys = memory.keys.toLocaleString('en-US');
    const peak = Math.max(...memory.participants.map((p) => p.peakMb), memory.restartedMemory.peakMb, memory.caughtUp.memory.peakMb);
    checks.push(check(`participant with ${keys} keys: peak RSS < 600 MB`, peak, (v) => `${Math.round(v)} MB`, (v) => v < 600 && memory.keys >= 1_000_000));
    checks.push(check(`participant with ${keys} keys restarts (snapshot load + log replay) in < 10 s`, memory.restartMs, (v) => `${(v / 1000).toFixed(2)} s`, (v) => v < 10_000 && memory.readBackOk && memory.keys >= 1_000_000));
  }
  return checks;
}

export function formatTargets(checks: readonly TargetCheck[]): string {
  const width = Math.max(...checks.map((c) => c.target.length));
  const lines = checks.map((c) => `  ${c.met === undefined ? '  ?  ' : c.met ? ' met ' : ' MISS'}  ${c.target.padEnd(width)}  ${c.measured}`);
  const missed = checks.filter((c) => c.met === false).length;
  const unmeasured = checks.filter((c) => c.met === undefined).length;
  return ['targets (issue 7):', ...lines, `${checks.length - missed - unmeasured} of ${checks.length} met${missed > 0 ? `, ${missed} missed` : ''}${unmeasured > 0 ? `, ${unmeasured} not measured` : ''}`].join('\n');
}

export function formatMemory(m: MemoryRestartResult): string {
  const mb = (v: number): string => (Number.isFinite(v) ? `${Math.round(v)} MB` : '-');
  return [
    `memory and restart: ${m.keys.toLocaleString('en-US')} keys of 100 bytes written at ${Math.round(m.loadOpsPerSec).toLocaleString('en-US')} SET/s (${m.loadErrors} errors), ${m.snapshotsTaken} snapshots taken meanwhile`,
    ...m.participants.map((p) => `  ${p.name.padEnd(14)} RSS ${mb(p.rssMb).padStart(7)}  peak ${mb(p.peakMb).padStart(7)}`),
    `  ${m.restarted} after kill -9: log replayed to ${m.replayedTo} (snapshot at ${m.snapshotIndex}) ${(m.restartMs / 1000).toFixed(2)} s after its process started; RSS ${mb(m.restartedMemory.rssMb)}, peak ${mb(m.restartedMemory.peakMb)}; first key read back: ${m.readBackOk ? 'yes' : 'NO'}`,
    `  ${m.caughtUp.memory.name} down during the load, then started: restored the leader's snapshot at ${m.caughtUp.snapshotIndex} ${(m.caughtUp.restoredMs / 1000).toFixed(2)} s after its start; RSS ${mb(m.caughtUp.memory.rssMb)}, peak ${mb(m.caughtUp.memory.peakMb)}`,
  ].join('\n');
}
