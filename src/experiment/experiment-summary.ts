import { fmtMs, measureRows } from './report-html.js';
import type { ReportFiles } from './report-files.js';
import type { ExperimentRecord } from './run-experiment.js';

/** The one screen printed at the end: verdict, the measured times, where the report is. */
export function experimentSummary(rec: ExperimentRecord, files: ReportFiles): { text: string; failed: boolean } {
  const a = files.analysis;
  const v = rec.verification;
  const lines: string[] = [''];
  lines.push(`${rec.plan.name}: ${rec.requests.length} requests (${v.acknowledgedRequests} acknowledged) in ${fmtMs(rec.endMs)}, ${rec.samples.length} metric samples`);
  for (const m of a.measures) {
    lines.push(`  ${m.window.label} at ${(m.window.startMs / 1000).toFixed(2)} s`);
    for (const [what, value] of measureRows(m)) lines.push(`    ${what.padEnd(38)} ${value}`);
  }
  for (const p of a.phases) lines.push(`  ${p.phase.padEnd(7)} ${p.okPerS.toFixed(0).padStart(6)} ack/s  p50 ${fmtMs(p.p50Ms).padStart(8)}  p99 ${fmtMs(p.p99Ms).padStart(8)}  failed ${p.failed}`);
  if (v.unackedMsets.checked > 0) lines.push(`  unacknowledged cross-group MSETs read back: ${v.unackedMsets.whole} whole, ${v.unackedMsets.none} not applied, ${v.unackedMsets.partial} in part`);
  if (a.failures.length === 0) lines.push(`PASS: ${v.keysChecked} acknowledged keys read back, 0 lost`);
  else {
    lines.push('!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!');
    for (const f of a.failures) lines.push(`FAIL: ${f}`);
    for (const l of v.lost.slice(0, 10)) lines.push(`  lost ${l.key}: wrote ${l.expected}, GET answered ${l.got}`);
    lines.push('!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!');
  }
  lines.push(`Report: ${files.html}`);
  lines.push(`Raw samples: ${files.json}, ${files.csv}, ${files.requestsCsv}`);
  return { text: `${lines.join('\n')}\n`, failed: a.failures.length > 0 };
}
