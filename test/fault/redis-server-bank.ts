import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '../helpers/ports.js';
import { checkBank } from './bank-checker.js';
import type { BankReport } from './bank-checker.js';
import { BankWorkload } from './bank-workload.js';

/**
 * The bank workload against a real `redis-server` (Debian's package): the
 * reference the workload and checker are held to, since Redis's MULTI/EXEC
 * and WATCH are what kvstore's must match. `pauseMs` SIGSTOPs it mid-run
 * for longer than a request may take: the EXECs then in its socket buffers
 * time out (indeterminate) and run when it continues, so the final balances
 * need some of them. `killWithoutPersistence` kills it -9 mid-run and
 * restarts it with no AOF and no RDB: every account is gone, which the
 * checker must catch.
 */
export interface RedisServerBankOptions {
  readonly seed: number;
  readonly timeMs: number;
  readonly clients?: number;
  readonly accounts?: number;
  readonly killWithoutPersistence?: boolean;
  readonly pauseMs?: number;
  /** TEST ONLY: blind transfers without MULTI (bank-workload.ts). */
  readonly nonAtomic?: boolean;
}

export interface RedisServerBankResult {
  readonly report: BankReport;
  readonly anomalies: readonly string[];
  readonly finalReadsOk: boolean;
  readonly attemptsPerS: number;
  readonly ackedPerS: number;
}

export function redisServerInstalled(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function startRedisServer(port: number, dir: string): ChildProcess {
  return spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
}

async function stop(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise((r) => p.once('exit', r));
  p.kill('SIGCONT');
  p.kill('SIGKILL');
  await gone;
}

export async function runBankOnRedisServer(o: RedisServerBankOptions): Promise<RedisServerBankResult> {
  const [port] = await freePorts(1);
  const dir = mkdtempSync(join(tmpdir(), 'kvstore-bank-redis-'));
  let server = startRedisServer(port!, dir);
  const onExit = (): void => void server.kill('SIGKILL');
  process.once('exit', onExit);
  try {
    const workload = new BankWorkload({ seed: o.seed, clients: o.clients ?? 5, accounts: o.accounts ?? 12, groups: 3, initial: 100, requestTimeoutMs: 2_000, thinkMsMax: 2, ports: () => [port!], ...(o.nonAtomic === true ? { nonAtomic: true } : {}) });
    await workload.setup();
    const started = workload.now();
    workload.start();
    if (o.killWithoutPersistence === true) {
      await sleep(o.timeMs / 2);
      await stop(server);
      server = startRedisServer(port!, dir);
      await sleep(o.timeMs / 2);
    } else if (o.pauseMs !== undefined) {
      await sleep(o.timeMs / 2);
      server.kill('SIGSTOP');
      await sleep(o.pauseMs);
      server.kill('SIGCONT');
      await sleep(o.timeMs / 2);
    } else {
      await sleep(o.timeMs);
    }
    await workload.stop();
    const runMs = workload.now() - started;
    const finalReadsOk = await workload.finalReads([port!]);
    const report = checkBank({ accounts: workload.accounts, initial: 100, ops: workload.history });
    const attempts = workload.history.filter((op) => op.kind === 'transfer').length;
    return { report, anomalies: workload.anomalies, finalReadsOk, attemptsPerS: attempts / (runMs / 1_000), ackedPerS: report.acked / (runMs / 1_000) };
  } finally {
    process.off('exit', onExit);
    await stop(server);
    rmSync(dir, { recursive: true, force: true });
  }
}
