import type { HistoryOp } from './history.js';

/** Counts, availability per second and latency percentiles of one run's history. */
export interface RunStats {
  readonly ops: number;
  readonly ok: number;
  readonly failed: number;
  readonly unknown: number;
  /** Ops naming several keys (MSET, MGET, DEL of several). */
  readonly multiKey: number;
  /** ok ops completed in each second of the run. */
  readonly okPerSecond: readonly number[];
  /** Latency of ok ops, ms. */
  readonly latencyMs: { readonly p50: number; readonly p95: number; readonly p99: number; readonly max: number };
}

export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

export function runStats(history: readonly HistoryOp[], durationMs: number): RunStats {
  const ok = history.filter((o) => o.outcome === 'ok');
  const seconds = Math.max(1, Math.ceil(durationMs / 1_000));
  const okPerSecond = new Array<number>(seconds).fill(0);
  for (const o of ok) {
    const s = Math.floor((o.completeMs ?? 0) / 1_000);
    if (s < seconds) okPerSecond[s]!++;
  }
  const lat = ok.map((o) => (o.completeMs ?? o.invokeMs) - o.invokeMs).sort((a, b) => a - b);
  return {
    ops: history.length,
    ok: ok.length,
    failed: history.filter((o) => o.outcome === 'fail').length,
    unknown: history.filter((o) => o.outcome === 'info').length,
    multiKey: history.filter((o) => o.keys.length > 1).length,
    okPerSecond,
    latencyMs: { p50: percentile(lat, 0.5), p95: percentile(lat, 0.95), p99: percentile(lat, 0.99), max: lat[lat.length - 1] ?? 0 },
  };
}

/** One compact row: ok ops per second, e.g. `212 230 0 0 41 198 ...`. */
export function availabilityRow(okPerSecond: readonly number[]): string {
  return okPerSecond.map((n) => String(n)).join(' ');
}
