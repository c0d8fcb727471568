import type { CommandMix } from '../../src/bench/bench-options.js';
import type { BenchResult } from '../../src/bench/run-bench.js';

/** One row of the standard suite: a load shape run against every system. */
export interface SuiteRow {
  readonly name: string;
  readonly connections: number;
  readonly pipeline: number;
  readonly mix: CommandMix;
  /** Bytes of each value (default 100). */
  readonly valueBytes?: number;
  /** Only these systems run the row (default: every system that can take its load). */
  readonly systems?: readonly string[];
}

export interface Measured {
  readonly row: string;
  readonly system: string;
  readonly result: BenchResult;
}

/** A ratio line under the table: `of`'s median over `over`'s, per row. */
export interface Comparison {
  readonly of: string;
  readonly over: string;
  readonly measure: 'ops/s' | 'p50';
}

/** The median (mean of the middle two for an even count); NaN for none. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const us = (v: number): string => (Number.isNaN(v) ? '-' : v < 10_000 ? `${Math.round(v)} µs` : `${(v / 1000).toFixed(1)} ms`);
const ratio = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(2)}×` : '-');

/**
 * The summary table: per row and system, medians over the rounds of ops/s,
 * p50 / p99 latency, server CPU per op (all the system's processes) and
 * the load generator's own CPU per op, total errors, and the ratio to
 * the reference system (ops/s; for single-connection rows also p50, the
 * figure the c=1 target is about). Then one line per comparison, over the
 * rows both of its systems ran.
 */
export function formatTable(suite: readonly SuiteRow[], systems: readonly string[], measured: readonly Measured[], reference: string, comparisons: readonly Comparison[] = []): string {
  const header = ['row', 'system', 'ops/s', 'p50', 'p99', 'p99.9', 'CPU/op', 'gen CPU/op', 'errors', `ops/s ÷ redis`, 'p50 ÷ redis'];
  const rows: string[][] = [];
  const med = (row: string, system: string, f: (r: BenchResult) => number): number =>
    median(measured.filter((m) => m.row === row && m.system === system).map((m) => f(m.result)));
  for (const row of suite) {
    const refOps = med(row.name, reference, (r) => r.opsPerSec);
    const refP50 = med(row.name, reference, (r) => r.latencyUs.p50);
    for (const system of systems) {
      const runs = measured.filter((m) => m.row === row.name && m.system === system);
      if (runs.length === 0) continue;
      const ops = med(row.name, system, (r) => r.opsPerSec);
      const p50 = med(row.name, system, (r) => r.latencyUs.p50);
      const errors = runs.reduce((s, m) => s + m.result.errors.error + m.result.errors.otherError + m.result.errors.timeout + m.result.errors.connection, 0);
      const isRef = system === reference;
      rows.push([
        row.name,
        system,
        Math.round(ops).toLocaleString('en-US'),
        us(p50),
        us(med(row.name, system, (r) => r.latencyUs.p99)),
        us(med(row.name, system, (r) => r.latencyUs.p999)),
        us(med(row.name, system, (r) => r.cpu?.usPerOp ?? NaN)),
        us(med(row.name, system, (r) => r.clientUsPerOp)),
        String(errors),
        isRef ? '1.00×' : ratio(ops / refOps),
        row.connections * row.pipeline === 1 ? (isRef ? '1.00×' : ratio(p50 / refP50)) : '',
      ]);
    }
  }
  const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k]!.length)));
  const line = (cells: string[]): string => cells.map((c, k) => (k < 2 ? c.padEnd(widths[k]!) : c.padStart(widths[k]!))).join('  ').trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  ')];
  let last = '';
  for (const r of rows) {
    if (r[0] !== last && last !== '') out.push('');
    out.push(line(r[0] === last ? ['', ...r.slice(1)] : r));
    last = r[0]!;
  }
  const ratioLines = comparisons.flatMap((c) => {
    const measure = (r: BenchResult): number => (c.measure === 'ops/s' ? r.opsPerSec : r.latencyUs.p50);
    const cells = suite
      .filter((row) => [c.of, c.over].every((system) => systems.includes(system) && measured.some((m) => m.row === row.name && m.system === system)))
      .map((row) => `${row.name}: ${ratio(med(row.name, c.of, measure) / med(row.name, c.over, measure))}`);
    return cells.length === 0 ? [] : [`${c.of} ÷ ${c.over}, ${c.measure} — ${cells.join(', ')}`];
  });
  if (ratioLines.length > 0) out.push('', ...ratioLines);
  return out.join('\n');
}
