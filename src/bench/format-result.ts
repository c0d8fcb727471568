import type { BenchResult } from './run-bench.js';

/** Microseconds as a short human figure: `850 µs`, `1.25 ms`, `2.10 s`. */
export function formatUs(us: number): string {
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(2)} ms`;
  return `${(us / 1_000_000).toFixed(2)} s`;
}

/** The end-of-run summary `kvstore bench` prints for a person. */
export function formatResult(r: BenchResult): string {
  const e = r.errors;
  const lines = [
    `target        ${r.target}  connections ${r.connections} × pipeline ${r.pipeline}  value ${r.valueBytes} B  keyspace ${r.keyspace}`,
    `commands      set ${r.commands.set}  get ${r.commands.get}  del ${r.commands.del}${r.commands.mset > 0 ? `  mset ${r.commands.mset}` : ''}`,
    `throughput    ${Math.round(r.opsPerSec).toLocaleString('en-US')} ops/s  (${r.ops} replies in ${(r.elapsedMs / 1000).toFixed(2)} s)`,
    `latency (OK)  p50 ${formatUs(r.latencyUs.p50)}  p99 ${formatUs(r.latencyUs.p99)}  p99.9 ${formatUs(r.latencyUs.p999)}  max ${formatUs(r.latencyUs.max)}  mean ${formatUs(r.latencyUs.mean)}`,
    `errors        -ERROR ${e.error}  other error replies ${e.otherError}  timeouts ${e.timeout}  lost on close ${e.connection}  failed connects ${e.connect}`,
  ];
  lines.push(`bench CPU     ${r.clientUsPerOp.toFixed(1)} µs/op  (this load generator's own process)`);
  if (r.cpu !== null) {
    const per = r.cpu.perPid.map((p) => `${p.pid}: ${p.cpuUs === null ? 'unreadable' : `${(p.cpuUs / 1e6).toFixed(2)} s`}`).join(', ');
    const sys = r.cpu.sysUsPerOp === null ? '' : `, ${r.cpu.sysUsPerOp.toFixed(1)} of it in the kernel`;
    lines.push(`server CPU    ${r.cpu.usPerOp.toFixed(1)} µs/op${sys}  (${(r.cpu.totalUs / 1e6).toFixed(2)} s total; ${per})`);
    if (r.cpu.writeCallsPerOp !== null && r.cpu.readCallsPerOp !== null) {
      lines.push(`server calls  ${r.cpu.writeCallsPerOp.toFixed(2)} write + ${r.cpu.readCallsPerOp.toFixed(2)} read system calls per op  (sockets and disk, every thread; fsync not counted)`);
    }
  }
  return lines.join('\n');
}

/** One machine-readable line (`--json`). */
export function formatResultJson(r: BenchResult): string {
  return JSON.stringify(r);
}
