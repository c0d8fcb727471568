import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeExperiment, type ExperimentAnalysis } from './experiment-analysis.js';
import { indexSpec, latencySpec, renderSvg, roleSpec, throughputSpec, type Band } from './report-charts.js';
import { reportHtml } from './report-html.js';
import { bucketMsFor, indexPoints, loadBuckets, roleSegments } from './report-series.js';
import type { ExperimentRecord } from './run-experiment.js';

export interface ReportFiles {
  readonly html: string;
  readonly json: string;
  readonly csv: string;
  readonly requestsCsv: string;
  readonly analysis: ExperimentAnalysis;
}

function csvCell(v: string | number | boolean | undefined): string {
  if (v === undefined) return '';
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One row per member, group and sample (a member with no group, or no answer, gets one row with the group empty). */
export function samplesCsv(rec: ExperimentRecord): string {
  const head = ['t_ms', 'node', 'up', 'group', 'role', 'term', 'leader_id', 'commit', 'applied', 'last_index', 'snapshot_index', 'elections_started', 'snapshots_sent', 'snapshots_restored', 'replay_entries'];
  const rows = rec.samples.flatMap((s) => {
    const common = [s.tMs.toFixed(1), s.node, s.up ? 1 : 0];
    const tail = [s.snapshotsSent, s.snapshotsRestored, s.replayEntries];
    if (s.groups.length === 0) return [[...common, '', '', '', '', '', '', '', '', '', ...tail]];
    return s.groups.map((g) => [...common, g.group, g.role, g.term, g.leaderId, g.commit, g.applied, g.lastIndex, g.snapshotIndex, g.electionsStarted, ...tail]);
  });
  return [head, ...rows].map((r) => r.map((c) => csvCell(c as string | number | undefined)).join(',')).join('\n') + '\n';
}

export function requestsCsv(rec: ExperimentRecord): string {
  const head = ['client', 'op', 'start_ms', 'end_ms', 'latency_ms', 'outcome', 'groups', 'keys'];
  const rows = rec.requests.map((r) => [r.client, r.op, r.startMs.toFixed(2), r.endMs.toFixed(2), (r.endMs - r.startMs).toFixed(2), r.outcome, r.groups.join(' '), r.keys.join(' ')]);
  return [head, ...rows].map((r) => r.map((c) => csvCell(c)).join(',')).join('\n') + '\n';
}

/** The faults as bands: from the action to the one that undid it (or the load's end). */
export function faultBands(a: ExperimentAnalysis, endMs: number): Band[] {
  return a.measures.map((m) => ({ label: m.window.label, from: m.window.startMs / 1000, to: (m.window.recoverMs ?? endMs) / 1000 }));
}

/** Writes report.html, samples.json, samples.csv and requests.csv into the experiment's folder. */
export async function writeReport(rec: ExperimentRecord): Promise<ReportFiles> {
  const dir = rec.plan.outDir;
  const a = analyzeExperiment(rec);
  const endS = rec.endMs / 1000;
  const bands = faultBands(a, a.loadToMs);
  const buckets = loadBuckets(rec.requests, 0, rec.endMs, bucketMsFor(rec.endMs));
  const points = indexPoints(rec.samples);
  const segments = roleSegments(rec.samples, a.groups, rec.endMs);
  const charts = {
    throughput: await renderSvg(throughputSpec(buckets, bands, endS)),
    latency: await renderSvg(latencySpec(buckets, bands, endS)),
    roles: await Promise.all(a.groups.map(async (g) => ({ group: g, svg: await renderSvg(roleSpec(segments, g, bands, endS)) }))),
    indexes: await Promise.all(a.groups.map(async (g) => ({ group: g, svg: await renderSvg(indexSpec(points, g, bands, endS)) }))),
  };
  const names = { json: 'samples.json', csv: 'samples.csv', requestsCsv: 'requests.csv' };
  const files = { html: join(dir, 'report.html'), json: join(dir, names.json), csv: join(dir, names.csv), requestsCsv: join(dir, names.requestsCsv) };
  writeFileSync(files.json, JSON.stringify({ ...rec, analysis: a }));
  writeFileSync(files.csv, samplesCsv(rec));
  writeFileSync(files.requestsCsv, requestsCsv(rec));
  writeFileSync(files.html, reportHtml(rec, a, charts, names));
  return { ...files, analysis: a };
}
