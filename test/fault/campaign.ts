import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { CLUSTER_MODES } from './fault-cluster.js';
import type { ClusterMode } from './fault-cluster.js';
import { formatRun, runOnce } from './fault-run.js';
import type { RunResult } from './fault-run.js';
import { NEMESES, parseNemeses } from './nemesis.js';
import { formatBankRun, runBank } from './bank-run.js';
import { txnFailpoints } from '../../src/txn/txn-failpoints.js';
import type { TxnFailpoint } from '../../src/txn/txn-failpoints.js';

/**
 * `npm run jepsen -- --time 300 --seed N --nemesis kill,pause,partition [--mode raft|2pc|both] [--seeds K] [--workload single|multi]`
 * Runs seeded fault campaigns against real processes and checks every
 * history for linearizability. Exit status 1 on any violation, lost write,
 * fractured read, wrong DEL count, inconclusive check or a cluster that
 * does not recover. `--workload multi` adds MSET / MGET / DEL over keys of
 * several groups (the 2PC transactions) and, by default, the
 * kill-coordinator nemesis; with `--mode raft` give `--groups N` too.
 * `--workload bank` runs MULTI/EXEC transfers through the Redis endpoint
 * (bank-run.ts; groups default 3, every nemesis by default).
 */
const program = new Command('jepsen')
  .description('fault campaigns against a real kvstore cluster, checked for linearizability')
  .option('--time <s>', 'seconds of faults and load per run', '60')
  .option('--seed <n>', 'first seed (default: random, printed)')
  .option('--seeds <k>', 'how many consecutive seeds', '1')
  .option('--nemesis <list>', 'comma-separated: kill,pause,partition,kill-coordinator (default: the first three; all four with --workload multi or bank)')
  .option('--workload <w>', 'single (SET/GET/DEL of one key) | multi (also MSET/MGET/DEL over several groups) | bank (MULTI/EXEC transfers through the Redis endpoint)', 'single')
  .option('--failpoint <name>', `TEST ONLY: every process runs with this 2PC failpoint on (${Object.keys(txnFailpoints).join(', ')}); must be caught`)
  .option('--mode <m>', `cluster shape: ${CLUSTER_MODES.join(' | ')} | both`, 'raft')
  .option('--clients <n>', 'concurrent clients', '5')
  .option('--groups <n>', 'Raft groups (config groups): default 2pc one per participant, raft one')
  .option('--unsafe', 'TEST ONLY: raft peers answer GET from local state (must be caught)')
  .option('--out <dir>', 'where failing histories are saved', join(tmpdir(), 'kvstore-jepsen'))
  .showHelpAfterError();
program.parse(process.argv);
const o = program.opts<{
  time: string;
  seed?: string;
  seeds: string;
  nemesis?: string;
  workload: string;
  failpoint?: string;
  mode: string;
  clients: string;
  unsafe?: boolean;
  out: string;
  groups?: string;
}>();

const positive = (name: string, text: string): number => {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0) {
    process.stderr.write(`jepsen: --${name} must be a positive integer, got "${text}"\n`);
    process.exit(2);
  }
  return n;
};
const timeS = positive('time', o.time);
const seeds = positive('seeds', o.seeds);
const clients = positive('clients', o.clients);
const firstSeed = o.seed === undefined ? Math.floor(Math.random() * 1_000_000) : positive('seed', o.seed);
if (o.workload !== 'single' && o.workload !== 'multi' && o.workload !== 'bank') {
  process.stderr.write(`jepsen: --workload must be single, multi or bank, got "${o.workload}"\n`);
  process.exit(2);
}
const multiKey = o.workload === 'multi';
const bank = o.workload === 'bank';
if (bank && (o.failpoint !== undefined || o.unsafe === true)) {
  process.stderr.write('jepsen: --workload bank takes neither --failpoint nor --unsafe\n');
  process.exit(2);
}
if (o.failpoint !== undefined && !(o.failpoint in txnFailpoints)) {
  process.stderr.write(`jepsen: unknown --failpoint "${o.failpoint}" (known: ${Object.keys(txnFailpoints).join(', ')})\n`);
  process.exit(2);
}
const failpoint = o.failpoint as TxnFailpoint | undefined;
let nemeses;
try {
  nemeses = parseNemeses(o.nemesis ?? (multiKey || bank ? NEMESES.join(',') : 'kill,pause,partition'));
} catch (err) {
  process.stderr.write(`jepsen: ${(err as Error).message}\n`);
  process.exit(2);
}
const modes: ClusterMode[] = o.mode === 'both' ? [...CLUSTER_MODES] : (CLUSTER_MODES as readonly string[]).includes(o.mode) ? [o.mode as ClusterMode] : [];
if (modes.length === 0) {
  process.stderr.write(`jepsen: --mode must be raft, 2pc or both, got "${o.mode}"\n`);
  process.exit(2);
}

process.stdout.write(`jepsen: seeds ${firstSeed}..${firstSeed + seeds - 1}, ${timeS} s each, nemesis ${nemeses.join(',')}, mode ${modes.join(',')}, workload ${o.workload}${o.unsafe === true ? ', UNSAFE test node' : ''}${failpoint !== undefined ? `, TEST-ONLY failpoint ${failpoint}` : ''}\n`);
// Ctrl-C: exit through process.exit so each run's 'exit' hook continues and kills its processes.
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));
const results: RunResult[] = [];
let runs = 0;
let failed = 0;
let bankOps = 0;
let bankFaults = 0;
const started = Date.now();
for (let k = 0; k < seeds; k++) {
  for (const mode of modes) {
    const seed = firstSeed + k;
    runs++;
    process.stdout.write(`--- mode ${mode} seed ${seed}\n`);
    try {
      if (bank) {
        const b = await runBank({
          mode,
          seed,
          timeMs: timeS * 1_000,
          nemeses,
          clients,
          outDir: o.out,
          ...(o.groups !== undefined ? { groups: positive('groups', o.groups) } : {}),
          log: (line) => process.stdout.write(`${line}\n`),
        });
        if (!b.passed) failed++;
        bankOps += b.report.acked + b.report.indeterminate + b.report.conflicts + b.report.failed + b.report.reads;
        bankFaults += b.faults.filter((f) => !/^(restart|SIGCONT|heal)/.test(f.what)).length;
        process.stdout.write(`${formatBankRun(b)}\n`);
        continue;
      }
      const r = await runOnce({
        mode,
        seed,
        timeMs: timeS * 1_000,
        nemeses,
        clients,
        outDir: o.out,
        ...(o.unsafe === true ? { unsafe: true } : {}),
        ...(o.groups !== undefined ? { groups: positive('groups', o.groups) } : {}),
        ...(multiKey ? { multiKey: true } : {}),
        ...(failpoint !== undefined ? { failpoint } : {}),
        log: (line) => process.stdout.write(`${line}\n`),
      });
      results.push(r);
      if (!r.passed) failed++;
      process.stdout.write(`${formatRun(r)}\n`);
    } catch (err) {
      failed++;
      process.stdout.write(`run mode=${mode} seed=${seed} FAILED: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
}
const ops = bankOps + results.reduce((a, r) => a + r.stats.ops, 0);
const faults = bankFaults + results.reduce((a, r) => a + r.faults.filter((f) => !/^(restart|SIGCONT|heal)/.test(f.what)).length, 0);
process.stdout.write(
  `=== ${runs} runs in ${((Date.now() - started) / 1_000).toFixed(0)} s: ${ops} ops, ${faults} faults; ` +
    `${failed === 0 ? (bank ? 'every total kept, no transfer lost or half applied' : 'all linearizable, no lost writes') : `${failed} FAILED`}\n`,
);
process.exit(failed === 0 ? 0 : 1);
