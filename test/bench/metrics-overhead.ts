/**
 * What metrics cost: SET c=128 against a coordinator and 3 participants,
 * with metrics off (no metrics_info) and on (metrics_info on every process,
 * and every process scraped over HTTP every --scrape-ms, as issue 14's
 * experiment will do), alternating off/on within each round so the shared
 * machine's drift hits both alike; prints each run and the medians.
 *
 *   npm run build && node dist/test/bench/metrics-overhead.js [--seconds 5] [--rounds 2] [--scrape-ms 100]
 *
 * --scrape-ms 0 keeps metrics on but never scrapes them (the collection cost alone).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { DEFAULT_BENCH_OPTIONS } from '../../src/bench/bench-options.js';
import { runBench } from '../../src/bench/run-bench.js';
import { start2pc } from './cluster-systems.js';
import { ProcessOwner } from './process-owner.js';

const args = new Command('metrics-overhead')
  .description('SET c=128 against a coordinator and 3 participants with metrics off and on (scraped), alternated')
  .option('--seconds <s>', 'seconds per run', '5')
  .option('--rounds <n>', 'off/on pairs', '2')
  .option('--scrape-ms <ms>', 'scrape period (0: metrics on, never scraped)', '100')
  .showHelpAfterError()
  .parse(process.argv)
  .opts<{ seconds: string; rounds: string; scrapeMs: string }>();
const seconds = Number(args.seconds);
const rounds = Number(args.rounds);
const scrapeMs = Number(args.scrapeMs);
if (!(seconds > 0) || !Number.isSafeInteger(rounds) || rounds < 1 || !Number.isSafeInteger(scrapeMs) || scrapeMs < 0) {
  process.stderr.write('metrics-overhead: --seconds must be > 0, --rounds a positive integer, --scrape-ms an integer >= 0\n');
  process.exit(2);
}

function scrapeOnce(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics', timeout: 2_000 }, (res) => {
      let n = 0;
      res.on('data', (d: Buffer) => (n += d.length));
      res.on('end', () => resolve(n));
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const owner = new ProcessOwner();
process.on('exit', () => owner.killAllNow());
const results: Record<'off' | 'on', number[]> = { off: [], on: [] };
for (let round = 1; round <= rounds; round++) {
  for (const mode of round % 2 === 1 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
    const dir = mkdtempSync(join(tmpdir(), 'kvstore-metrics-bench-'));
    try {
      const sys = await start2pc(owner, dir, { metrics: mode === 'on' });
      let scrapes = 0;
      let bytes = 0;
      const timer = sys.metricsPorts === undefined || scrapeMs <= 0 ? undefined : setInterval(() => {
        for (const p of sys.metricsPorts!) void scrapeOnce(p).then((n) => { scrapes++; bytes += n; });
      }, scrapeMs);
      const opts = { ...DEFAULT_BENCH_OPTIONS, port: sys.port, connections: 128, pipeline: 1, mix: { set: 1, get: 0, del: 0 }, ops: null, valueBytes: 100, keyspace: 10_000, pids: sys.pids };
      await runBench({ ...opts, durationMs: 1_000, seed: 7 });
      const r = await runBench({ ...opts, durationMs: Math.round(seconds * 1000), seed: round });
      if (timer !== undefined) clearInterval(timer);
      results[mode].push(r.opsPerSec);
      process.stderr.write(`round ${round} metrics ${mode.padEnd(3)} ${Math.round(r.opsPerSec)} ops/s  p50 ${r.latencyUs.p50} µs  p99 ${r.latencyUs.p99} µs  cpu ${r.cpu?.usPerOp.toFixed(1) ?? '-'} µs/op${timer !== undefined ? `  ${scrapes} scrapes, ${Math.round(bytes / Math.max(1, scrapes))} B each` : ''}\n`);
    } finally {
      await owner.stopAll();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
const off = median(results.off);
const on = median(results.on);
process.stdout.write(`SET c=128, coordinator+3, ${seconds} s x ${rounds} rounds: median off ${Math.round(off)} ops/s, on ${Math.round(on)} ops/s (${(((on - off) / off) * 100).toFixed(1)}%)\n`);
