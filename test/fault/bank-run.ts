import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SeededRng } from '../../raft/rng.js';
import { checkBank, formatBankViolations } from './bank-checker.js';
import type { BankReport } from './bank-checker.js';
import type { BankHistory, BankOp } from './bank-history.js';
import { BankWorkload } from './bank-workload.js';
import { FaultCluster } from './fault-cluster.js';
import type { ClusterMode } from './fault-cluster.js';
import { RECOVERY_MS_MAX, waitServing } from './fault-run.js';
import { NEMESIS_TIMING_DEFAULT, NemesisRunner } from './nemesis.js';
import type { FaultRecord, Nemesis, NemesisTiming } from './nemesis.js';

/**
 * One bank run: a real cluster whose front doors serve the Redis endpoint,
 * accounts over every group set by one MSET, ioredis clients moving money
 * between groups with MULTI/EXEC (WATCHed and blind) and reading every
 * account at once, under the seeded nemesis; then heal, read every account
 * through every Redis endpoint, and check (bank-checker.ts).
 */
export interface BankRunOptions {
  readonly mode: ClusterMode;
  readonly seed: number;
  readonly timeMs: number;
  readonly nemeses: readonly Nemesis[];
  /** Raft groups; default 2pc one per participant (3), raft 3 too (transfers must cross groups). */
  readonly groups?: number;
  readonly clients?: number;
  readonly accounts?: number;
  readonly outDir: string;
  readonly timing?: NemesisTiming;
  readonly log?: (line: string) => void;
  /** TEST ONLY: blind transfers without MULTI (bank-workload.ts): must be caught. */
  readonly nonAtomic?: boolean;
}

export interface BankRunResult {
  readonly mode: ClusterMode;
  readonly seed: number;
  readonly groups: number;
  readonly runMs: number;
  readonly report: BankReport;
  /** Transfer attempts (every outcome) and acked transfers per second of the run. */
  readonly attemptsPerS: number;
  readonly ackedPerS: number;
  /** Acked transfers completed in each second of the run. */
  readonly ackedEachSecond: readonly number[];
  readonly faults: readonly FaultRecord[];
  readonly anomalies: readonly string[];
  readonly crashes: readonly string[];
  readonly recoveryMs: number;
  /** Every Redis endpoint answered a final read. */
  readonly finalReadsOk: boolean;
  readonly historyPath: string | undefined;
  readonly passed: boolean;
}

/** Five per group with the default 3 groups: enough to spread the transactions' locks (9 gave a third fewer acks), few enough for the final subset search. */
export const BANK_ACCOUNTS_DEFAULT = 15;
export const BANK_INITIAL = 100;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runBank(o: BankRunOptions): Promise<BankRunResult> {
  const log = o.log ?? (() => {});
  const nodes = o.mode === 'raft' ? 5 : 3;
  const groups = o.groups ?? 3;
  const snapshotEntries = new SeededRng(o.seed ^ 0x5eed).pick([100, 400, 2_000]);
  log(`  ${groups} raft groups, members snapshot every ${snapshotEntries} entries`);
  const cluster = await FaultCluster.start({ mode: o.mode, nodes, snapshotEntries, groups, redis: true });
  const onExit = (): void => cluster.killNow();
  process.once('exit', onExit);
  try {
    await waitServing(cluster.clientPorts(), RECOVERY_MS_MAX);
    const workload = new BankWorkload({
      seed: o.seed,
      clients: o.clients ?? 5,
      accounts: o.accounts ?? BANK_ACCOUNTS_DEFAULT,
      groups,
      initial: BANK_INITIAL,
      requestTimeoutMs: 2_000,
      thinkMsMax: 10,
      ports: () => cluster.redisPorts(),
      labPortOf: (port) => cluster.processAtRedisPort(port)?.port,
      ...(o.nonAtomic === true ? { nonAtomic: true } : {}),
    });
    await workload.setup();
    log(`  ${workload.accounts.length} accounts of ${BANK_INITIAL} in groups ${workload.groupsOfAccounts().join(',')}`);
    const nemesis = new NemesisRunner(
      cluster,
      o.nemeses,
      new SeededRng(o.seed),
      () => workload.now(),
      o.timing ?? NEMESIS_TIMING_DEFAULT,
      (f) => log(`  ${(f.atMs / 1_000).toFixed(1).padStart(6)} s  ${f.what}`),
      workload.txnTarget,
    );
    const startedMs = workload.now();
    workload.start();
    nemesis.start();
    await sleep(o.timeMs);
    await nemesis.stop();
    await workload.stop();
    const runMs = workload.now() - startedMs;
    cluster.healAll();
    const healedAt = Date.now();
    await waitServing(cluster.clientPorts(), RECOVERY_MS_MAX);
    const recoveryMs = Date.now() - healedAt;
    const finalReadsOk = await workload.finalReads(cluster.redisPorts());
    const history: BankHistory = { accounts: workload.accounts, initial: BANK_INITIAL, ops: workload.history };
    const report = checkBank(history);
    const crashes = cluster.processes().flatMap((p) => p.crashes);
    const passed = report.passed && finalReadsOk && workload.anomalies.length === 0 && crashes.length === 0;
    const attempts = workload.history.filter((op) => op.kind === 'transfer').length;
    return {
      mode: o.mode,
      seed: o.seed,
      groups,
      runMs,
      report,
      attemptsPerS: attempts / (runMs / 1_000),
      ackedPerS: report.acked / (runMs / 1_000),
      ackedEachSecond: perSecond(workload.history, startedMs, runMs),
      faults: nemesis.faults,
      anomalies: workload.anomalies,
      crashes,
      recoveryMs,
      finalReadsOk,
      historyPath: passed ? undefined : saveBankHistory(o.outDir, `bank-${o.mode}-seed${o.seed}`, history, nemesis.faults),
      passed,
    };
  } finally {
    process.off('exit', onExit);
    await cluster.close();
  }
}

function perSecond(ops: readonly BankOp[], fromMs: number, runMs: number): number[] {
  const out = new Array<number>(Math.max(1, Math.ceil(runMs / 1_000))).fill(0);
  for (const op of ops) {
    if (op.kind !== 'transfer' || op.outcome !== 'ok' || op.completeMs === null) continue;
    const s = Math.floor((op.completeMs - fromMs) / 1_000);
    if (s >= 0 && s < out.length) out[s]!++;
  }
  return out;
}

export function saveBankHistory(outDir: string, name: string, h: BankHistory, faults: readonly FaultRecord[]): string {
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, `history-${name}-${Date.now()}.json`);
  writeFileSync(path, JSON.stringify({ ...h, faults: faults.map((f) => `${f.atMs.toFixed(0)}ms ${f.what}`) }, null, 1));
  return path;
}

/** The counts of a bank report, for people (shared by the kvstore and the redis-server runs). */
export function formatBankReport(r: BankReport): string[] {
  return [
    `  transfers acked ${r.acked}, indeterminate ${r.indeterminate}, nil EXEC (WATCH conflicts) ${r.conflicts}, failed before EXEC ${r.failed}`,
    `  reads of all accounts ${r.reads}, not summing to ${r.total}: ${r.badReads.length}; not linearizable: ${r.staleReads.length}` +
      `${r.readsUnchecked > 0 ? ` (${r.readsUnchecked} unchecked: search bound)` : ''}; EXECs past a changed WATCH: ${r.watchBroken.length}`,
    `  final balances: ${r.finalVerdict}${r.final?.balances !== null && r.final !== undefined ? ` (${r.final.balances.join(' ')})` : ''}`,
  ];
}

export function formatBankRun(r: BankRunResult): string {
  const kinds = new Map<string, number>();
  for (const f of r.faults) if (!/^(restart|SIGCONT|heal)/.test(f.what)) kinds.set(f.kind, (kinds.get(f.kind) ?? 0) + 1);
  const lines = [
    `bank run mode=${r.mode} seed=${r.seed} groups=${r.groups}: ${r.passed ? 'PASSED' : 'FAILED'}`,
    `  ${(r.runMs / 1_000).toFixed(1)} s: ${r.attemptsPerS.toFixed(1)} transfer attempts/s, ${r.ackedPerS.toFixed(1)} acked/s`,
    `  acked transfers each second: ${r.ackedEachSecond.join(' ')}`,
    ...formatBankReport(r.report),
    `  faults injected ${[...kinds.values()].reduce((a, b) => a + b, 0)} (${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ') || 'none'})`,
    `  recovery after heal ${r.recoveryMs} ms; final reads through every Redis endpoint: ${r.finalReadsOk ? 'answered' : 'NOT ALL ANSWERED'}`,
    ...formatBankViolations(r.report),
  ];
  for (const a of r.anomalies.slice(0, 10)) lines.push(`  anomaly: ${a}`);
  for (const c of r.crashes) lines.push(`  CRASH: ${c}`);
  if (r.historyPath !== undefined) lines.push(`  history saved to ${r.historyPath}`);
  return lines.join('\n');
}
