/**
 * `npm run bench:floor` (after `npm run build`): how fast can a replicated
 * write at concurrency 1 be on this machine, whatever the Raft code does?
 *
 *   node dist/test/bench/latency-floor.js [--rounds 3] [--requests 3000]
 *
 * Runs the skeleton of floor-roles.ts, started by floor-skeleton.ts
 * (client -> coordinator -> leader -> two followers, synced writes on all
 * three, answer on leader + one follower) with LevelDB writes and with a raw preallocated file, and
 * durable redis as the reference, interleaved for --rounds rounds. Prints
 * the median over rounds of each p50 and p99, and each p50 over redis's.
 * The gap between a skeleton row and the same path in `npm run
 * bench:cluster` is what our own code costs; the skeleton row itself is
 * the floor that no change to that code can go below.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { startRedis } from './cluster-systems.js';
import { startSkeleton } from './floor-skeleton.js';
import { ProcessOwner } from './process-owner.js';

const args = new Command('bench:floor')
  .description('the fastest replicated write at c=1 on this machine: the skeleton path with LevelDB and a raw file, and durable redis')
  .option('--rounds <n>', 'rounds (medians are printed)', '3')
  .option('--requests <n>', 'SETs per row per round (>= 100)', '3000')
  .showHelpAfterError()
  .parse(process.argv)
  .opts<{ rounds: string; requests: string }>();
const rounds = Number(args.rounds);
const requests = Number(args.requests);
if (!Number.isSafeInteger(rounds) || rounds < 1 || !Number.isSafeInteger(requests) || requests < 100) {
  process.stderr.write('bench:floor: --rounds must be a positive integer, --requests an integer >= 100\n');
  process.exit(2);
}

const REDIS_ROW = 'redis aof always (one fsync)';
const WARMUP = 300;
const dir = mkdtempSync(join(tmpdir(), 'kvstore-floor-'));
const owner = new ProcessOwner();

process.on('exit', () => {
  owner.killAllNow();
  rmSync(dir, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));

function setRequest(i: number): Buffer {
  const key = `key:${i % 10_000}`;
  const value = 'x'.repeat(100);
  return Buffer.from(`*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${value.length}\r\n${value}\r\n`);
}

/**
 * Sends SETs one at a time and times each answer: RESP "+OK\r\n" (redis,
 * skeleton coordinator) or an empty length-prefixed frame (skeleton leader).
 */
async function timeRequests(port: number, framed: boolean): Promise<{ p50: number; p99: number }> {
  const s: Socket = await new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1', () => resolve(sock));
    sock.setNoDelay(true);
    sock.once('error', reject);
  });
  const answerBytes = framed ? 4 : 5;
  const lat: number[] = [];
  await new Promise<void>((resolve, reject) => {
    let got = 0;
    let t0 = 0n;
    let i = 0;
    const send = (): void => {
      const req = setRequest(i++);
      let out = req;
      if (framed) {
        out = Buffer.alloc(4 + req.length);
        out.writeUInt32BE(req.length);
        req.copy(out, 4);
      }
      t0 = process.hrtime.bigint();
      s.write(out);
    };
    s.on('error', reject);
    s.on('data', (d: Buffer) => {
      got += d.length;
      if (got < answerBytes) return;
      if (got > answerBytes) return reject(new Error(`unexpected reply bytes: ${d.toString('latin1')}`));
      got = 0;
      if (i > WARMUP) lat.push(Number(process.hrtime.bigint() - t0) / 1000);
      if (lat.length === requests) return resolve();
      send();
    });
    send();
  });
  s.destroy();
  lat.sort((a, b) => a - b);
  return { p50: lat[Math.floor(lat.length / 2)]!, p99: lat[Math.floor(lat.length * 0.99)]! };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const rows = new Map<string, Array<{ p50: number; p99: number }>>();
  const add = (name: string, r: { p50: number; p99: number }): void => {
    rows.set(name, [...(rows.get(name) ?? []), r]);
  };
  // Without redis the skeleton rows still say what this machine allows; only the ratios go.
  const redis = await startRedis(owner, dir).catch((err: unknown) => {
    process.stderr.write(`bench:floor: no reference: ${(err as Error).message}\n`);
    return undefined;
  });
  for (let round = 1; round <= rounds; round++) {
    if (redis !== undefined) add(REDIS_ROW, await timeRequests(redis.port, false));
    for (const storage of ['leveldb', 'file'] as const) {
      const sk = await startSkeleton(owner, storage, join(dir, `${storage}-${round}`));
      const label = storage === 'leveldb' ? 'LevelDB synced batch' : 'raw file, fdatasync';
      add(`skeleton via coordinator, ${label}`, await timeRequests(sk.coordinator, false));
      add(`skeleton to leader,      ${label}`, await timeRequests(sk.leader, true));
      await owner.stop(sk.procs);
    }
    process.stderr.write(`bench:floor: round ${round}/${rounds} done\n`);
  }
  await owner.stopAll();
  const redisRuns = rows.get(REDIS_ROW);
  const redisP50 = redisRuns === undefined ? undefined : median(redisRuns.map((r) => r.p50));
  const lines = [
    `latency floor, SET of 100 B at concurrency 1, ${requests} requests per row, medians of ${rounds} rounds`,
    '(skeleton: no Raft, no encoding; bytes relayed and synced on 3 members, answered on leader + 1 follower)',
    '',
    `  ${'path'.padEnd(52)} ${'p50'.padStart(8)} ${'p99'.padStart(8)}  p50 ÷ redis`,
  ];
  for (const [name, rs] of rows) {
    const p50 = median(rs.map((r) => r.p50));
    const p99 = median(rs.map((r) => r.p99));
    const ratio = redisP50 === undefined ? '-' : `${(p50 / redisP50).toFixed(2)}×`;
    lines.push(`  ${name.padEnd(52)} ${`${p50.toFixed(0)} µs`.padStart(8)} ${`${p99.toFixed(0)} µs`.padStart(8)}  ${ratio}`);
  }
  if (redisP50 !== undefined) lines.push('', `  issue 7's c=1 line, 3 × redis p50: ${(3 * redisP50).toFixed(0)} µs`);
  process.stdout.write(lines.join('\n') + '\n');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:floor: ${String((err as Error).stack ?? err)}\n`);
    process.exit(1);
  },
);
