import { measureFault, type FaultMeasures } from './fault-measures.js';
import { faultWindows } from './fault-windows.js';
import { quantile } from './report-series.js';
import type { ExperimentRecord } from './run-experiment.js';
import { SampleIndex } from './sample-index.js';

/** The clients' view over one phase of the run. */
export interface PhaseStats {
  readonly phase: 'before' | 'during' | 'after';
  readonly fromMs: number;
  readonly toMs: number;
  readonly ok: number;
  readonly failed: number;
  readonly okPerS: number;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
}

export interface ExperimentAnalysis {
  readonly measures: readonly FaultMeasures[];
  readonly phases: readonly PhaseStats[];
  /** When the load ran. */
  readonly loadFromMs: number;
  readonly loadToMs: number;
  readonly groups: readonly number[];
  /** Why the run failed, for a person; empty when it passed. */
  readonly failures: readonly string[];
}

function phase(rec: ExperimentRecord, name: PhaseStats['phase'], fromMs: number, toMs: number): PhaseStats {
  const inside = rec.requests.filter((r) => r.endMs >= fromMs && r.endMs < toMs);
  const lat = inside.filter((r) => r.outcome === 'ok').map((r) => r.endMs - r.startMs).sort((a, b) => a - b);
  const spanS = Math.max(0.001, (toMs - fromMs) / 1000);
  return {
    phase: name, fromMs, toMs, ok: lat.length, failed: inside.length - lat.length, okPerS: lat.length / spanS,
    ...(lat.length > 0 ? { p50Ms: quantile(lat, 0.5), p99Ms: quantile(lat, 0.99) } : {}),
  };
}

/** When a fault's effect was over: the victim caught up, else back up, else undone, else the load's end. */
function settledAbsMs(m: FaultMeasures, loadToMs: number): number {
  const rec = m.window.recoverMs;
  if (rec === undefined) return loadToMs;
  return rec + (m.caughtUpMs ?? m.backUpMs ?? 0);
}

/** Every number the report and the summary show, computed from the record alone. */
export function analyzeExperiment(rec: ExperimentRecord): ExperimentAnalysis {
  const index = new SampleIndex(rec.samples);
  const loadFromMs = rec.events.find((e) => e.action === 'load-start')?.tMs ?? 0;
  const loadToMs = [...rec.events].reverse().find((e) => e.action === 'load-stop')?.tMs ?? rec.requests.reduce((m, r) => Math.max(m, r.endMs), loadFromMs);
  const replicas = rec.members.filter((m) => m.kind !== 'coordinator').map((m) => m.name);
  const windows = faultWindows(rec.events);
  const measures = windows.map((w) => measureFault(w, rec.samples, index, rec.requests, loadToMs, replicas));
  const firstFault = windows[0]?.startMs ?? loadToMs;
  const settled = measures.reduce((t, m) => Math.max(t, settledAbsMs(m, loadToMs)), firstFault);
  const phases = [phase(rec, 'before', loadFromMs, firstFault), phase(rec, 'during', firstFault, settled), phase(rec, 'after', settled, loadToMs)];
  const groups = [...new Set(rec.samples.flatMap((s) => s.groups.map((g) => g.group)))].sort((a, b) => a - b);
  const failures: string[] = [];
  const v = rec.verification;
  if (v.lostCount > 0) failures.push(`${v.lostCount} acknowledged write(s) LOST: GET did not return the value written`);
  if (v.unreadable > 0) failures.push(`${v.unreadable} acknowledged key(s) could not be read back before the deadline`);
  if (v.unackedMsets.partial > 0) failures.push(`${v.unackedMsets.partial} unacknowledged cross-group MSET(s) applied IN PART: some keys hold the value, others not`);
  if (v.unackedMsets.unreadable > 0) failures.push(`${v.unackedMsets.unreadable} unacknowledged MSET(s) could not be read back before the deadline`);
  if (v.acknowledgedRequests === 0) failures.push('no write was acknowledged: nothing was verified');
  for (const c of rec.crashes) failures.push(`a member exited by itself: ${c.split('\n')[0]}`);
  if (rec.aborted !== undefined) failures.push(`the timeline stopped early: ${rec.aborted}`);
  return { measures, phases, loadFromMs, loadToMs, groups, failures };
}
