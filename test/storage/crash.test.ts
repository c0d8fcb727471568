import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { SeededRng } from '../../raft/rng.js';
import { RaftStore } from '../../storage/raft-store.js';
import { applyOp, cloneState, crashConf, fingerprint, stateFromLog } from './crash-model.js';
import type { CrashOp, CrashState } from './crash-model.js';
import { compileChild } from './compile-child.js';
import { tempDir } from './helpers.js';

/**
 * Crash safety, proven by killing a writer with SIGKILL many times. After each
 * kill the store is reopened and what it holds must equal the model after
 * some prefix of the issued writes that includes every acknowledged one:
 * so the log is a contiguous prefix of what was written, no acknowledged
 * batch is missing, the hard state is never older than an acknowledged one,
 * and a snapshot is there whole (bytes checked) or not at all.
 *
 * CRASH_SEED=<n> replays a run's schedule (timing still varies); CRASH_KILLS
 * sets the number of kills (default 50).
 */
const childPath = path.join(path.dirname(fileURLToPath(import.meta.url)), 'crash-child.ts');
const kills = Number(process.env.CRASH_KILLS ?? 50);
/** A child that prints nothing for this long is stuck: fail rather than hang. */
const childSilenceMsMax = 15_000;

interface Round {
  readonly ops: CrashOp[];
  readonly acked: number;
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
  const ops: CrashOp[] = [];
  let acked = 0;
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
      const line = JSON.parse(pending.slice(0, nl)) as { t: string; seq?: number; op?: CrashOp };
      pending = pending.slice(nl + 1);
      if (line.t === 'ready') {
        ready = true;
        if ('afterReadyMs' in killAt) setTimeout(kill, killAt.afterReadyMs);
      } else if (line.t === 'op') {
        if (line.seq !== ops.length) throw new Error(`intent ${line.seq} out of order`);
        ops.push(line.op!);
      } else if (line.t === 'ack') {
        // Group commit settles callers in call order.
        if (line.seq !== acked) throw new Error(`ack ${line.seq} out of order, expected ${acked}`);
        acked++;
        if ('afterAcks' in killAt && acked >= killAt.afterAcks) kill();
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

/**
 * One lane: a data dir written by `kills` children in turn, each killed and
 * its dir verified. Returns totals, or a failure description.
 */
async function runLane(childJs: string, dir: string, seed: number, kills: number, live: Set<ChildProcess>): Promise<Totals | string> {
  const rng = new SeededRng(seed);
  let base: CrashState = { snap: { index: 0, term: 0, size: 0 }, start: { index: 0, term: 0 }, terms: [], hs: [0, 0, 0] };
  const totals: Totals = { ops: 0, acked: 0, aheadOfAcks: 0, beforeReady: 0, snapshots: 0 };
  for (let round = 0; round < kills; round++) {
    const r = rng.next();
    const killAt =
      r < 0.1 ? { afterSpawnMs: rng.intBetween(0, 500) } : r < 0.4 ? { afterAcks: rng.intBetween(1, 30) } : { afterReadyMs: rng.intBetween(0, 200) };
    const run = await runChild(childJs, dir, seed + round + 1, killAt, live);

    const store = await RaftStore.open(dir, { initialConf: crashConf });
    const disk = stateFromLog(store.log);
    await store.close();
    if (typeof disk === 'string') return `round ${round}: ${disk}`;

    // The disk must equal the model after j issued writes, for some j >= acked.
    const s = cloneState(base);
    const prints = [fingerprint(s)];
    for (const op of run.ops) {
      applyOp(s, op);
      prints.push(fingerprint(s));
    }
    const found = prints.findIndex((p, j) => j >= run.acked && p === fingerprint(disk));
    if (found < 0) {
      return (
        `round ${round}: after ${run.acked} acked of ${run.ops.length} issued writes the disk holds\n` +
        `${fingerprint(disk).slice(0, 600)}\nbut after the acked ones the model holds\n${(prints[run.acked] ?? '').slice(0, 600)}`
      );
    }
    totals.ops += run.ops.length;
    totals.acked += run.acked;
    totals.aheadOfAcks += found > run.acked ? 1 : 0;
    totals.beforeReady += run.ready ? 0 : 1;
    totals.snapshots += run.ops.slice(0, found).filter((o) => o.k === 'snap' || o.k === 'install').length;
    base = disk;
  }
  return totals;
}

/** Data dirs written and killed side by side (children mostly wait on start-up and fsync). */
const lanes = 2;

test(`SIGKILL at random moments (${kills} kills) never loses or tears an acknowledged write`, async (t) => {
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
    `${kills} kills: ${total.ops} writes issued, ${total.acked} acknowledged, ${total.snapshots} snapshots landed; ` +
      `disk ahead of acks after ${total.aheadOfAcks} kills; ${total.beforeReady} kills before the child was ready`,
  );
  t.true(total.acked > kills, 'the children got real work acknowledged');
});
