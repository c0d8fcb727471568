import { readFileSync } from 'node:fs';
import { DEFAULT_BENCH_OPTIONS } from '../../src/bench/bench-options.js';
import { runBench } from '../../src/bench/run-bench.js';
import type { Layout } from '../../src/sharding/layout.js';
import { SlotRouter } from '../../src/sharding/router.js';
import type { RunningSystem } from './cluster-systems.js';
import { probeKeys, rawRequest, waitForWrites } from './cluster-systems.js';
import { firstByGroup, hostedGroups, ledGroups, logLines } from './member-log.js';
import { exited, type ProcessOwner, type ServerProc } from './process-owner.js';

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

/** One group's 'log replayed' line after a restart. */
export interface GroupReplay {
  readonly group: number;
  /** Entries applied when the replay finished, and the snapshot it started from. */
  readonly applied: number;
  readonly snapshotIndex: number;
  readonly sinceProcessStartMs: number;
}

export interface MemoryRestartResult {
  readonly keys: number;
  /** Groups of the system's layout. */
  readonly groups: number;
  readonly loadOpsPerSec: number;
  readonly loadErrors: number;
  readonly participants: readonly ParticipantMemory[];
  /** Snapshots the participants took during the load (their 'snapshot taken' lines, all groups). */
  readonly snapshotsTaken: number;
  /** The participant that was killed with SIGKILL and started again (the one with the highest peak). */
  readonly restarted: string;
  /**
   * From the new process's start to the last of its groups' 'log replayed'
   * lines: snapshot load + log replay of every group it hosts, node boot included.
   */
  readonly restartMs: number;
  /** Each hosted group's replay, ascending group id. */
  readonly replays: readonly GroupReplay[];
  /** The restarted participant once every group replayed. */
  readonly restartedMemory: ParticipantMemory;
  /** The first key the load wrote in each group, read through the front door after the restart. */
  readonly readBackOk: boolean;
  /** The participant that was down during the load and caught up from its groups' leaders' snapshots. */
  readonly caughtUp: CaughtUp;
}

export interface CaughtUp {
  readonly memory: ParticipantMemory;
  /** The groups it led when it was taken down (their leadership failed over before the load). */
  readonly ledBeforeDown: readonly number[];
  /** From its start to the last of its groups' 'snapshot restored' lines: every snapshot received, persisted and restored. */
  readonly restoredMs: number;
  /** Each group's restored snapshot index, ascending group id. */
  readonly restores: ReadonlyArray<{ readonly group: number; readonly index: number }>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** How long a restarted participant may take to replay, or a returning one to restore, all its groups. */
const recoverTimeoutMs = 120_000;

/** Polls `done` until it gives a value; throws if `p` exits or the time runs out. */
async function waitFor<T>(p: ServerProc, what: string, done: () => T | undefined): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = done();
    if (value !== undefined) return value;
    if (exited(p)) throw new Error(`memory phase: ${p.name} exited before it ${what}:\n${p.stderr.slice(-2000)}`);
    if (Date.now() - started > recoverTimeoutMs) throw new Error(`memory phase: ${p.name} had not ${what} after ${recoverTimeoutMs / 1000} s`);
    await sleep(20);
  }
}

/** The first line with `msg` of every group `p` hosts, once all have logged it; undefined until then. */
function everyGroupLogged<T extends { group?: number }>(p: ServerProc, msg: string, among?: readonly number[]): Map<number, T> | undefined {
  const hosted = hostedGroups(p);
  if (hosted === undefined) return undefined;
  const wanted = among === undefined ? hosted : hosted.filter((g) => among.includes(g));
  const lines = firstByGroup<T>(p, msg);
  return wanted.every((g) => lines.has(g)) ? new Map(wanted.map((g) => [g, lines.get(g)!])) : undefined;
}

const memoryOfProc = (p: ServerProc): ParticipantMemory => {
  const mem = memoryOf(p.child.pid!);
  return { name: p.name, rssMb: mem?.rssMb ?? NaN, peakMb: mem?.peakMb ?? NaN };
};

/** Key n of the sequential load (keys `key:<n>` padded to the width of keys-1, as run-bench writes them). */
const loadKey = (n: number, keys: number): string => `key:${String(n).padStart(String(keys - 1).length, '0')}`;

/** The first key of the sequential load in each group that got one. */
function firstKeyOfEachGroup(layout: Layout, keys: number): string[] {
  const router = new SlotRouter(layout);
  const byGroup = new Map<number, string>();
  for (let n = 0; n < keys && byGroup.size < layout.groups; n++) {
    const key = loadKey(n, keys);
    const g = router.groupOf(Buffer.from(key));
    if (!byGroup.has(g)) byGroup.set(g, key);
  }
  return [...byGroup.values()];
}

/**
 * The memory and restart targets of issue 7 on a running coordinator+3
 * system, any number of groups:
 * 1. takes one participant down (one leading the fewest groups; with one
 *    group per participant each leads one, so that group fails over first),
 *    waits until every group takes writes again, and writes `keys` distinct
 *    keys of 100-byte values through the front door; reads each live
 *    participant's RSS and peak RSS;
 * 2. starts the dead one, which catches up every group it hosts from that
 *    group's leader's snapshot (InstallSnapshot), and reads its peak;
 * 3. kills the biggest participant with SIGKILL, starts it again and times
 *    its snapshot load and log replay: until every group it hosts has
 *    logged 'log replayed'.
 */
export async function measureMemoryRestart(owner: ProcessOwner, sys: RunningSystem, keys: number, log: (s: string) => void): Promise<MemoryRestartResult> {
  const members = (sys.procs ?? []).filter((p) => p.name.startsWith('participant'));
  if (members.length === 0 || sys.layout === undefined) throw new Error('memory phase: the system has no participant processes or no layout');
  const layout = sys.layout;
  const loaded = await loadWithOneDown(owner, sys, members, layout, keys, log);
  const caughtUp = await catchUp(owner, loaded.absent, loaded.ledBeforeDown, loaded.snapshottedGroups);
  log(`memory: ${caughtUp.memory.name} restored ${caughtUp.restores.length} snapshots (peak ${Math.round(caughtUp.memory.peakMb)} MB); restarting ${loaded.biggest.name} with kill -9 ...`);

  const again = await owner.crashAndRestart(loaded.biggest);
  const replayed = await waitFor(again, 'replayed every group', () => everyGroupLogged<GroupReplay>(again, 'log replayed'));
  const replays = [...replayed].map(([group, r]) => ({ group, applied: r.applied, snapshotIndex: r.snapshotIndex, sinceProcessStartMs: r.sinceProcessStartMs }));
  const restartedMemory = memoryOfProc(again);
  return {
    keys,
    groups: layout.groups,
    loadOpsPerSec: loaded.opsPerSec,
    loadErrors: loaded.errors,
    participants: loaded.participants,
    snapshotsTaken: loaded.snapshotsTaken,
    restarted: again.name,
    restartMs: Math.max(...replays.map((r) => r.sinceProcessStartMs)),
    replays,
    restartedMemory,
    readBackOk: await readBack(sys.port, firstKeyOfEachGroup(layout, keys)),
    caughtUp,
  };
}

interface Loaded {
  readonly absent: ServerProc;
  readonly ledBeforeDown: number[];
  readonly opsPerSec: number;
  readonly errors: number;
  readonly participants: ParticipantMemory[];
  readonly snapshotsTaken: number;
  /** Groups some live participant took a snapshot of: the ones the absent participant must restore from a snapshot. */
  readonly snapshottedGroups: number[];
  readonly biggest: ServerProc;
}

/** Step 1: one participant down, every group writable again, then the load; the live participants' memory after it. */
async function loadWithOneDown(owner: ProcessOwner, sys: RunningSystem, members: readonly ServerProc[], layout: Layout, keys: number, log: (s: string) => void): Promise<Loaded> {
  const fewest = Math.min(...members.map((p) => ledGroups(p).length));
  const absent = [...members].reverse().find((p) => ledGroups(p).length === fewest)!;
  const ledBeforeDown = ledGroups(absent);
  await owner.crash(absent);
  const live = members.filter((p) => p !== absent);
  // The load measures catching up, not a failover's -ERRORs: the groups it led elect new leaders first.
  await waitForWrites(sys.port, live, `memory phase, ${absent.name} down`, probeKeys(layout));
  log(`memory: writing ${keys.toLocaleString('en-US')} keys of 100 bytes through ${sys.name} (${layout.groups} groups), ${absent.name} down (it led ${ledBeforeDown.length > 0 ? `group ${ledBeforeDown.join(', ')}` : 'none'}) ...`);
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
  // Followers learn the last commit index from the next heartbeat.
  await sleep(1_000);
  const participants = live.map(memoryOfProc);
  const taken = live.flatMap((p) => logLines<{ group?: number }>(p, 'snapshot taken'));
  const biggest = live[participants.indexOf(participants.reduce((a, b) => (b.peakMb > a.peakMb ? b : a)))]!;
  log(`memory: ${participants.map((m) => `${m.name} ${Math.round(m.rssMb)} MB (peak ${Math.round(m.peakMb)})`).join(', ')}; starting ${absent.name} ...`);
  return {
    absent,
    ledBeforeDown,
    opsPerSec: load.opsPerSec,
    errors: load.errors.error + load.errors.otherError + load.errors.timeout + load.errors.connection,
    participants,
    snapshotsTaken: taken.length,
    snapshottedGroups: [...new Set(taken.map((l) => l.group ?? 1))],
    biggest,
  };
}

/** Step 2: the absent participant starts again and restores a snapshot of each of its groups that took one. */
async function catchUp(owner: ProcessOwner, absent: ServerProc, ledBeforeDown: number[], snapshottedGroups: readonly number[]): Promise<CaughtUp> {
  const catchUpStart = Date.now();
  const back = await owner.crashAndRestart(absent);
  const restored = await waitFor(back, "restored its groups' snapshots", () => everyGroupLogged<{ group?: number; index: number; time: number }>(back, 'snapshot restored', snapshottedGroups));
  // Whatever the snapshots did not cover arrives as entries right after.
  await sleep(1_000);
  return {
    memory: memoryOfProc(back),
    ledBeforeDown,
    restoredMs: Math.max(0, ...[...restored.values()].map((r) => r.time - catchUpStart)),
    restores: [...restored].map(([group, r]) => ({ group, index: r.index })),
  };
}

/** Whether a GET of each key through `port` returns the load's 100-byte value, retrying while groups elect leaders. */
async function readBack(port: number, keys: readonly string[]): Promise<boolean> {
  for (const key of keys) {
    let ok = false;
    for (let k = 0; k < 50 && !ok; k++) {
      try {
        const reply = await rawRequest(port, ['GET', key], 5_000);
        ok = reply.includes('v'.repeat(100));
      } catch {
        // the cluster may be electing a leader; try again
      }
      if (!ok) await sleep(200);
    }
    if (!ok) return false;
  }
  return true;
}
