import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { SeededRng } from '../../raft/rng.js';
import { ProcessStore } from '../../storage/process-store.js';
import { applyOp, cloneState, crashConf, crashGroups, fingerprint, stateFromLog } from './crash-model.js';
import type { CrashOp, CrashState } from './crash-model.js';
import { compileChild } from './compile-child.js';
import { tempDir } from './helpers.js';

/**
 * Crash safety, proven by killing a writer with SIGKILL many times. The
 * writer keeps several Raft groups in one ProcessStore and issues the
 * writes of all of them in one synchronous run, so batches mix groups.
 * After each kill the store is reopened and what each group holds must
 * equal that group's model after some prefix of its issued writes that
 * includes every acknowledged one, independently per group: so each log is
 * a contiguous prefix of what was written, no acknowledged batch is
 * missing, the hard state is never older than an acknowledged one, and a
 * snapshot is there whole (bytes checked) or not at all.
 *
 * CRASH_SEED=<n> replays a run's schedule (timing still varies); CRASH_KILLS
 * sets the number of kills (default 50).
 */
const childPath = path.join(path.dirname(fileURLToPath(import.meta.url)), 'crash-child.ts');
const kills = Number(process.env.CRASH_KILLS ?? 50);
/** A child that prints nothing for this long is stuck: fail rather than hang. */
const childSilenceMsMax = 15_000;

/** What one child printed: per group, the writes it issued and how many were acknowledged. */
interface Round {
  readonly ops: Map<number, CrashOp[]>;
  readonly acked: Map<number, number>;
  readonly ready: boolean;
}

/** Runs the child until `killAt` says so, kills it with SIGKILL, returns what it printed. */
async function runChild(
  childJs: string,
  dir: string,
  seed: number,
  killAt: { readonly afterReadyMs: number } | { readonly afterSpawnMs: number } | { readonly afterAcks: number },
  live: Set<ChildProcess>,
): Promise<Round> {
  const child = spawn(process.execPath, [childJs, dir, String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  const ops = new Map<number, CrashOp[]>(crashGroups.map((g) => [g, []]));
  const acked = new Map<number, number>(crashGroups.map((g) => [g, 0]));
  let acks = 0;
  let ready = false;
  let stderr = '';
  let pending = '';
  const kill = (): void => {
    child.kill('SIGKILL');
  };
  const watchdog = setTimeout(kill, childSilenceMsMax);
  if ('afterSpawnMs' in killAt) setTimeout(kill, killAt.afterSpawnMs);
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    pending += d.toString();
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = JSON.parse(pending.slice(0, nl)) as { t: string; g?: number; seq?: number; op?: CrashOp };
      pending = pending.slice(nl + 1);
      if (line.t === 'ready') {
        ready = true;
        if ('afterReadyMs' in killAt) setTimeout(kill, killAt.afterReadyMs);
      } else if (line.t === 'op') {
        const issued = ops.get(line.g!)!;
        if (line.seq !== issued.length) throw new Error(`group ${line.g} intent ${line.seq} out of order`);
        issued.push(line.op!);
      } else if (line.t === 'ack') {
        // Group commit settles callers in call order.
        const n = acked.get(line.g!)!;
        if (line.seq !== n) throw new Error(`group ${line.g} ack ${line.seq} out of order, expected ${n}`);
        acked.set(line.g!, n + 1);
        acks++;
        if ('afterAcks' in killAt && acks >= killAt.afterAcks) kill();
      }
    }
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('exit', (c, s) => resolve([c, s])),
  );
  clearTimeout(watchdog);
  live.delete(child);
  // A partial last line is an intent cut short: that write was never issued.
  if (signal !== 'SIGKILL') throw new Error(`crash child exited by itself (code ${code}, signal ${signal}): ${stderr}`);
  return { ops, acked, ready };
}

interface Totals {
  ops: number;
  acked: number;
  aheadOfAcks: number;
  beforeReady: number;
  snapshots: number;
}

/** Each group's disk state after a kill, read back through a ProcessStore. */
async function readGroups(dir: string): Promise<Map<number, CrashState> | string> {
  const store = await ProcessStore.open(dir);
  try {
    const out = new Map<number, CrashState>();
    for (const g of crashGroups) {
      const disk = stateFromLog((await store.openGroup(g, { initialConf: crashConf })).log);
      if (typeof disk === 'string') return `group ${g}: ${disk}`;
      out.set(g, disk);
    }
    return out;
  } finally {
    await store.close();
  }
}

/** The disk must equal the model after j issued writes, for some j >= acked; returns j, or a failure. */
function matchPrefix(base: CrashState, ops: readonly CrashOp[], acked: number, disk: CrashState): number | string {
  const s = cloneState(base);
  const prints = [fingerprint(s)];
  for (const op of ops) {
    applyOp(s, op);
    prints.push(fingerprint(s));
  }
  const found = prints.findIndex((p, j) => j >= acked && p === fingerprint(disk));
  if (found >= 0) return found;
  return (
    `after ${acked} acked of ${ops.length} issued writes the disk holds\n` +
    `${fingerprint(disk).slice(0, 600)}\nbut after the acked ones the model holds\n${(prints[acked] ?? '').slice(0, 600)}`
  );
}

/**
 * One lane: a data dir written by `kills` children in turn, each killed and
 * its dir verified, group by group. Returns totals, or a failure description.
 */
async function runLane(childJs: string, dir: string, seed: number, kills: number, live: Set<ChildProcess>): Promise<Totals | string> {
  const rng = new SeededRng(seed);
  const empty: CrashState = { snap: { index: 0, term: 0, size: 0 }, start: { index: 0, term: 0 }, terms: [], hs: [0, 0, 0] };
  const base = new Map<number, CrashState>(crashGroups.map((g) => [g, empty]));
  const totals: Totals = { ops: 0, acked: 0, aheadOfAcks: 0, beforeReady: 0, snapshots: 0 };
  for (let round = 0; round < kills; round++) {
    const r = rng.next();
    const killAt =
      r < 0.1 ? { afterSpawnMs: rng.intBetween(0, 500) } : r < 0.4 ? { afterAcks: rng.intBetween(1, 60) } : { afterReadyMs: rng.intBetween(0, 200) };
    const run = await runChild(childJs, dir, seed + round + 1, killAt, live);
    const disk = await readGroups(dir);
    if (typeof disk === 'string') return `round ${round}: ${disk}`;
    let ahead = false;
    for (const g of crashGroups) {
      const ops = run.ops.get(g)!;
      const acked = run.acked.get(g)!;
      const found = matchPrefix(base.get(g)!, ops, acked, disk.get(g)!);
      if (typeof found === 'string') return `round ${round}, group ${g}: ${found}`;
      totals.ops += ops.length;
      totals.acked += acked;
      ahead ||= found > acked;
      totals.snapshots += ops.slice(0, found).filter((o) => o.k === 'snap' || o.k === 'install').length;
      base.set(g, disk.get(g)!);
    }
    totals.aheadOfAcks += ahead ? 1 : 0;
    totals.beforeReady += run.ready ? 0 : 1;
  }
  return totals;
}

/** Data dirs written and killed side by side (children mostly wait on start-up and fsync). */
const lanes = 2;

test(`SIGKILL at random moments (${kills} kills) never loses or tears an acknowledged write, in any of ${crashGroups.length} groups sharing one LevelDB`, async (t) => {
  const seed = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
  t.log(`CRASH_SEED=${seed}`);
  const live = new Set<ChildProcess>();
  t.teardown(() => live.forEach((c) => c.kill('SIGKILL')));
  const child = compileChild(childPath);
  t.teardown(child.cleanup);

  const results = await Promise.all(
    Array.from({ length: lanes }, (_, lane) =>
      runLane(child.js, tempDir(t, `lane${lane}`), seed + lane * 1_000_003, Math.ceil((kills - lane) / lanes), live),
    ),
  );
  const total: Totals = { ops: 0, acked: 0, aheadOfAcks: 0, beforeReady: 0, snapshots: 0 };
  for (const [lane, r] of results.entries()) {
    if (typeof r === 'string') return t.fail(`lane ${lane} (CRASH_SEED=${seed}): ${r}`);
    for (const k of Object.keys(total) as (keyof Totals)[]) total[k] += r[k];
  }
  t.log(
    `${kills} kills, ${crashGroups.length} groups: ${total.ops} writes issued, ${total.acked} acknowledged, ${total.snapshots} snapshots landed; ` +
      `disk ahead of acks after ${total.aheadOfAcks} kills; ${total.beforeReady} kills before the child was ready`,
  );
  t.true(total.acked > kills, 'the children got real work acknowledged');
});
