import { readFileSync } from 'node:fs';
import { DEFAULT_BENCH_OPTIONS } from '../../src/bench/bench-options.js';
import { runBench } from '../../src/bench/run-bench.js';
import type { RunningSystem } from './cluster-systems.js';
import { rawRequest } from './cluster-systems.js';
import type { ProcessOwner, ServerProc } from './process-owner.js';

/** Resident and peak resident memory of a process, from /proc (Linux); undefined elsewhere or once it is gone. */
export function memoryOf(pid: number): { rssMb: number; peakMb: number } | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (field: string): number | undefined => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return m === null ? undefined : Number(m[1]);
  };
  const rss = kb('VmRSS');
  const peak = kb('VmHWM');
  if (rss === undefined || peak === undefined) return undefined;
  return { rssMb: rss / 1024, peakMb: peak / 1024 };
}

export interface ParticipantMemory {
  readonly name: string;
  readonly rssMb: number;
  /** The highest RSS the process ever had (VmHWM): what "stays under" is judged on. */
  readonly peakMb: number;
}

export interface MemoryRestartResult {
  readonly keys: number;
  readonly loadOpsPerSec: number;
  readonly loadErrors: number;
  readonly participants: readonly ParticipantMemory[];
  /** Snapshots the participants took during the load (their 'snapshot taken' lines). */
  readonly snapshotsTaken: number;
  /** The participant that was killed with SIGKILL and started again (the one with the highest peak). */
  readonly restarted: string;
  /** From the new process's start to its 'log replayed' line: snapshot load + log replay, node boot included. */
  readonly restartMs: number;
  /** Entries applied when the replay finished, and the snapshot it started from. */
  readonly replayedTo: number;
  readonly snapshotIndex: number;
  /** The restarted participant once replayed. */
  readonly restartedMemory: ParticipantMemory;
  /** A key written first, read through the front door after the restart. */
  readonly readBackOk: boolean;
  /** The participant that was down during the load and caught up from the leader's snapshot. */
  readonly caughtUp: {
    readonly memory: ParticipantMemory;
    /** From its start to its 'snapshot restored' line: snapshot received, persisted and restored. */
    readonly restoredMs: number;
    readonly snapshotIndex: number;
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface ReplayLine {
  readonly applied: number;
  readonly snapshotIndex: number;
  readonly sinceProcessStartMs: number;
}

/** The JSON log lines of `p` with this msg, oldest first. */
function logLines<T>(p: ServerProc, msg: string): T[] {
  const found: T[] = [];
  for (const line of p.stderr.split('\n')) {
    if (!line.includes(`"msg":"${msg}"`)) continue;
    try {
      found.push(JSON.parse(line) as T);
    } catch {
      // a line cut by the tail window
    }
  }
  return found;
}

/** Whether `p`'s latest 'raft role' log line says it leads. */
function leads(p: ServerProc): boolean {
  return logLines<{ role?: string }>(p, 'raft role').at(-1)?.role === 'leader';
}

/**
 * The memory and restart targets of issue 7 on a running coordinator+3
 * system: with a follower participant killed, writes `keys` distinct keys of
 * 100-byte values through the front door and reads each live participant's
 * RSS and peak RSS; starts the dead one, which catches up from the
 * leader's snapshot (InstallSnapshot), and reads its peak; then kills the
 * biggest participant with SIGKILL, starts it again and times its snapshot
 * load and log replay (its own 'log replayed' line).
 */
export async function measureMemoryRestart(owner: ProcessOwner, sys: RunningSystem, keys: number, log: (s: string) => void): Promise<MemoryRestartResult> {
  const members = (sys.procs ?? []).filter((p) => p.name.startsWith('participant'));
  if (members.length === 0) throw new Error('memory phase: the system has no participant processes');
  // A follower: the load measures catching up, not a failover's -ERRORs.
  const absent = [...members].reverse().find((p) => !leads(p)) ?? members[members.length - 1]!;
  await owner.crash(absent);
  log(`memory: writing ${keys.toLocaleString('en-US')} keys of 100 bytes through ${sys.name}, ${absent.name} down ...`);
  const load = await runBench({
    ...DEFAULT_BENCH_OPTIONS,
    port: sys.port,
    connections: 16,
    pipeline: 16,
    ops: keys,
    durationMs: null,
    keyspace: keys,
    keyPattern: 'sequential',
    valueBytes: 100,
    timeoutMs: 30_000,
  });
  const loadErrors = load.errors.error + load.errors.otherError + load.errors.timeout + load.errors.connection;
  // Followers learn the last commit index from the next heartbeat.
  await sleep(1_000);
  const live = members.filter((p) => p !== absent);
  const participants = live.map((p) => ({ p, mem: memoryOf(p.child.pid!) }));
  const snapshotsTaken = live.reduce((n, p) => n + p.stderr.split('\n').filter((l) => l.includes('"msg":"snapshot taken"')).length, 0);
  const measured: ParticipantMemory[] = participants.map(({ p, mem }) => ({ name: p.name, rssMb: mem?.rssMb ?? NaN, peakMb: mem?.peakMb ?? NaN }));
  const biggest = participants.reduce((a, b) => ((b.mem?.peakMb ?? 0) > (a.mem?.peakMb ?? 0) ? b : a));
  log(`memory: ${measured.map((m) => `${m.name} ${Math.round(m.rssMb)} MB (peak ${Math.round(m.peakMb)})`).join(', ')}; starting ${absent.name} ...`);

  const catchUpStart = Date.now();
  const back = await owner.crashAndRestart(absent);
  let restored: { index: number; time: number } | undefined;
  while (restored === undefined) {
    if (back.child.exitCode !== null || back.child.signalCode !== null) throw new Error(`memory phase: ${back.name} exited while catching up:\n${back.stderr.slice(-2000)}`);
    if (Date.now() - catchUpStart > 120_000) throw new Error(`memory phase: ${back.name} did not restore the leader's snapshot within 120 s`);
    await sleep(20);
    restored = logLines<{ index: number; time: number }>(back, 'snapshot restored')[0];
  }
  // Whatever the snapshot did not cover arrives as entries right after.
  await sleep(1_000);
  const backMem = memoryOf(back.child.pid!);
  const caughtUp = {
    memory: { name: back.name, rssMb: backMem?.rssMb ?? NaN, peakMb: backMem?.peakMb ?? NaN },
    restoredMs: restored.time - catchUpStart,
    snapshotIndex: restored.index,
  };
  log(`memory: ${back.name} restored the leader's snapshot at ${restored.index} (peak ${Math.round(caughtUp.memory.peakMb)} MB); restarting ${biggest.p.name} with kill -9 ...`);

  const started = Date.now();
  const again = await owner.crashAndRestart(biggest.p);
  let replay: ReplayLine | undefined;
  while (replay === undefined) {
    if (again.child.exitCode !== null || again.child.signalCode !== null) throw new Error(`memory phase: ${again.name} exited after restart:\n${again.stderr.slice(-2000)}`);
    if (Date.now() - started > 120_000) throw new Error(`memory phase: ${again.name} did not replay its log within 120 s`);
    await sleep(20);
    replay = logLines<ReplayLine>(again, 'log replayed')[0];
  }
  const mem = memoryOf(again.child.pid!);
  let readBackOk = false;
  const firstKey = `key:${'0'.repeat(String(keys - 1).length)}`;
  for (let k = 0; k < 50 && !readBackOk; k++) {
    try {
      const reply = await rawRequest(sys.port, ['GET', firstKey], 5_000);
      readBackOk = reply.includes('v'.repeat(100));
    } catch {
      // the cluster may be electing a leader; try again
    }
    if (!readBackOk) await sleep(200);
  }
  return {
    keys,
    loadOpsPerSec: load.opsPerSec,
    loadErrors,
    participants: measured,
    snapshotsTaken,
    restarted: again.name,
    restartMs: replay.sinceProcessStartMs,
    replayedTo: replay.applied,
    snapshotIndex: replay.snapshotIndex,
    restartedMemory: { name: again.name, rssMb: mem?.rssMb ?? NaN, peakMb: mem?.peakMb ?? NaN },
    readBackOk,
    caughtUp,
  };
}
