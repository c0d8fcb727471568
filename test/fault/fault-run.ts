import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SeededRng } from '../../raft/rng.js';
import { checkHistory, formatViolations } from './checker.js';
import type { CheckReport } from './checker.js';
import { ClientLink } from './client-link.js';
import { FaultCluster } from './fault-cluster.js';
import type { ClusterMode } from './fault-cluster.js';
import type { HistoryOp, SavedHistory } from './history.js';
import { NemesisRunner } from './nemesis.js';
import type { FaultRecord, Nemesis, NemesisTiming } from './nemesis.js';
import { NEMESIS_TIMING_DEFAULT } from './nemesis.js';
import { availabilityRow, runStats } from './run-stats.js';
import type { RunStats } from './run-stats.js';
import { Workload } from './workload.js';
import type { TxnFailpoint } from '../../src/txn/txn-failpoints.js';

/**
 * One Jepsen-style run: start a real cluster behind proxies, run the workload
 * and the seeded nemesis for `timeMs`, heal everything, read every key once
 * more, check the whole history, tear everything down.
 */
export interface RunOptions {
  readonly mode: ClusterMode;
  readonly seed: number;
  readonly timeMs: number;
  readonly nemeses: readonly Nemesis[];
  readonly clients?: number;
  readonly keySlots?: number;
  readonly unsafe?: boolean;
  /** Raft groups (config `groups`); default: the lab's shapes (2pc: one per participant, raft: one). */
  readonly groups?: number;
  /** The multi-key workload: MSET, MGET and DEL over keys of several groups, mixed with single-key ops. */
  readonly multiKey?: boolean;
  /** TEST ONLY: every process runs with this 2PC failpoint on (a planted protocol bug; failpoint-system.ts). */
  readonly failpoint?: TxnFailpoint;
  /** Where a failing history is saved (JSON). */
  readonly outDir: string;
  readonly timing?: NemesisTiming;
  readonly log?: (line: string) => void;
}

export interface RunResult {
  readonly mode: ClusterMode;
  readonly seed: number;
  readonly stats: RunStats;
  readonly faults: readonly FaultRecord[];
  readonly check: CheckReport;
  /** Final reads that got an answer after healing / keys read. */
  readonly finalReads: { readonly ok: number; readonly keys: number };
  /** Replies of the wrong shape (never acceptable). */
  readonly anomalies: readonly string[];
  /** Processes that exited without being killed (never acceptable). */
  readonly crashes: readonly string[];
  readonly recoveryMs: number;
  readonly historyPath: string | undefined;
  /** No violation, nothing inconclusive, every final read answered, no anomaly. */
  readonly passed: boolean;
}

/** How long the cluster may take to serve again after healing (a bound, not an expectation). */
export const RECOVERY_MS_MAX = 30_000;
/** Per-key bound on retrying the final read after healing. */
export const FINAL_READ_MS_MAX = 15_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runOnce(o: RunOptions): Promise<RunResult> {
  const log = o.log ?? (() => {});
  // The seed also picks how often members snapshot: often enough that restarts load snapshots and laggards get InstallSnapshot.
  const snapshotEntries = new SeededRng(o.seed ^ 0x5eed).pick([100, 400, 2_000]);
  log(`  members snapshot every ${snapshotEntries} entries`);
  const cluster = await FaultCluster.start({
    mode: o.mode,
    nodes: o.mode === 'raft' ? 5 : 3,
    snapshotEntries,
    ...(o.unsafe === true ? { unsafe: true } : {}),
    ...(o.groups !== undefined ? { groups: o.groups } : {}),
    ...(o.failpoint !== undefined ? { failpoint: o.failpoint } : {}),
  });
  if (o.groups !== undefined) log(`  ${o.groups} raft groups`);
  if (o.failpoint !== undefined) log(`  TEST-ONLY failpoint ${o.failpoint} on in every process`);
  const nodes = o.mode === 'raft' ? 5 : 3;
  // The groups keys are spread over: the config's, else the lab's default (2pc: one per participant).
  const groups = o.groups ?? (o.mode === '2pc' ? nodes : 1);
  const onExit = (): void => cluster.killNow();
  process.once('exit', onExit);
  try {
    await waitServing(cluster.clientPorts(), RECOVERY_MS_MAX).catch((err: unknown) => {
      const tails = cluster.processes().map((p) => `${p.name}: ${p.stderr.split('\n').slice(-4).join('\n  ')}`);
      throw new Error(`${String(err)}\n${tails.join('\n')}`);
    });
    const workload = new Workload({
      seed: o.seed,
      clients: o.clients ?? 5,
      keySlots: o.keySlots ?? 5,
      keyRotateMs: 4_000,
      requestTimeoutMs: 2_000,
      thinkMsMax: 20,
      ports: () => cluster.clientPorts(),
      ...(o.multiKey === true ? { multiKey: { groups } } : {}),
    });
    const nemesis = new NemesisRunner(
      cluster,
      o.nemeses,
      new SeededRng(o.seed),
      () => workload.now(),
      o.timing ?? NEMESIS_TIMING_DEFAULT,
      (f) => log(`  ${(f.atMs / 1_000).toFixed(1).padStart(6)} s  ${f.what}`),
      workload,
    );
    workload.start();
    nemesis.start();
    await sleep(o.timeMs);
    await nemesis.stop();
    await workload.stop();
    const runMs = workload.now();
    cluster.healAll();
    const healedAt = Date.now();
    await waitServing(cluster.clientPorts(), RECOVERY_MS_MAX);
    const recoveryMs = Date.now() - healedAt;
    log(`  healed; serving again after ${recoveryMs} ms; final reads of ${workload.keysUsed().length} keys`);
    const finalOk = await finalReads(workload, cluster.clientPorts());
    const keys = workload.keysUsed().length;
    const check = checkHistory(workload.history);
    const anomalies = workload.history.filter((op) => op.note?.startsWith('unexpected reply') === true).map((op) => `#${op.id} ${op.note ?? ''}`);
    const crashes = cluster.processes().flatMap((p) => p.crashes);
    const passed = check.linearizable && !check.inconclusive && check.delCounts.unchecked === 0 && finalOk === keys && anomalies.length === 0 && crashes.length === 0;
    let historyPath: string | undefined;
    if (!passed) historyPath = saveHistory(o, workload.history, nemesis.faults);
    return {
      mode: o.mode,
      seed: o.seed,
      stats: runStats(workload.history, runMs),
      faults: nemesis.faults,
      check,
      finalReads: { ok: finalOk, keys },
      anomalies,
      crashes,
      recoveryMs,
      historyPath,
      passed,
    };
  } finally {
    process.off('exit', onExit);
    await cluster.close();
  }
}

/** Until a SET through one of the client ports answers +OK. */
export async function waitServing(ports: readonly number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let k = 0; Date.now() < deadline; k++) {
    const link = await ClientLink.open(ports[k % ports.length]!, 1_000);
    if (link !== undefined) {
      const r = await link.call(['SET', '__ready', String(k)], 2_000);
      link.close();
      if (r.kind === 'reply' && r.reply.type === 'simple') return;
    }
    await sleep(200);
  }
  throw new Error(`the cluster did not serve within ${timeoutMs} ms`);
}

/** After healing: one answered GET of every key, retried (each try recorded) until it answers. */
async function finalReads(workload: Workload, ports: readonly number[]): Promise<number> {
  let answered = 0;
  for (const [i, key] of workload.keysUsed().entries()) {
    const deadline = Date.now() + FINAL_READ_MS_MAX;
    // Spread over the nodes: every node's front door serves some of the final reads.
    for (let k = i; Date.now() < deadline; k++) {
      const link = await ClientLink.open(ports[k % ports.length]!, 1_000);
      if (link === undefined) {
        await sleep(100);
        continue;
      }
      const op = await workload.invoke(link, -1, 'get', [key], null);
      link.close();
      if (op.outcome === 'ok') {
        answered++;
        break;
      }
      await sleep(100);
    }
  }
  return answered;
}

function saveHistory(o: RunOptions, ops: readonly HistoryOp[], faults: readonly FaultRecord[]): string {
  mkdirSync(o.outDir, { recursive: true });
  const path = join(o.outDir, `history-${o.mode}-seed${o.seed}-${Date.now()}.json`);
  const saved: SavedHistory = { seed: o.seed, mode: o.mode, nemeses: o.nemeses, ops, faults: faults.map((f) => `${f.atMs.toFixed(0)}ms ${f.what}`) };
  writeFileSync(path, JSON.stringify(saved, null, 1));
  return path;
}

/** The report the CLI prints for one run. */
export function formatRun(r: RunResult): string {
  const s = r.stats;
  const kinds = new Map<string, number>();
  for (const f of r.faults) if (!/^(restart|SIGCONT|heal)/.test(f.what)) kinds.set(f.kind, (kinds.get(f.kind) ?? 0) + 1);
  const lines = [
    `run mode=${r.mode} seed=${r.seed}`,
    `  ops ${s.ops}: ok ${s.ok}, failed ${s.failed}, unknown ${s.unknown}`,
    `  faults injected ${[...kinds.values()].reduce((a, b) => a + b, 0)} (${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ') || 'none'})`,
    `  availability (ok/s): ${availabilityRow(s.okPerSecond)}`,
    `  latency of ok ops ms: p50 ${s.latencyMs.p50.toFixed(1)}  p95 ${s.latencyMs.p95.toFixed(1)}  p99 ${s.latencyMs.p99.toFixed(1)}  max ${s.latencyMs.max.toFixed(1)}`,
    `  recovery after heal ${r.recoveryMs} ms; final reads ${r.finalReads.ok}/${r.finalReads.keys}`,
    `  checked ${r.check.keys.length} keys in ${r.check.keys.reduce((a, k) => a + k.ms, 0).toFixed(0)} ms`,
    ...(r.stats.multiKey > 0
      ? [
          `  multi-key ops ${r.stats.multiKey}; fractured reads ${r.check.fractured.length}; ` +
            `DELs of several keys checked ${r.check.delCounts.checked} in ${r.check.delCounts.ms.toFixed(0)} ms` +
            `${r.check.delCounts.unchecked > 0 ? `, ${r.check.delCounts.unchecked} UNCHECKED (time budget)` : ''}, wrong counts ${r.check.delCounts.violations.length}`,
        ]
      : []),
    `  linearizable: ${r.check.inconclusive ? 'inconclusive (search bound hit)' : r.check.linearizable ? 'yes' : 'NO'}`,
  ];
  lines.push(...formatViolations(r.check));
  for (const a of r.anomalies.slice(0, 10)) lines.push(`  anomaly: ${a}`);
  for (const c of r.crashes) lines.push(`  CRASH: ${c}`);
  if (r.historyPath !== undefined) lines.push(`  history saved to ${r.historyPath}`);
  return lines.join('\n');
}
