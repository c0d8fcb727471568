import type { ExperimentAnalysis } from './experiment-analysis.js';
import type { FaultMeasures } from './fault-measures.js';
import type { ExperimentRecord } from './run-experiment.js';

/** The charts, already SVG text, in the order they are shown. */
export interface ReportCharts {
  readonly throughput: string;
  readonly latency: string;
  readonly roles: ReadonlyArray<{ group: number; svg: string }>;
  readonly indexes: ReadonlyArray<{ group: number; svg: string }>;
}

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** 840 ms, 1.24 s; a dash for what was not seen. */
export function fmtMs(ms: number | undefined): string {
  if (ms === undefined) return '—';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

export function fmtBytes(b: number | undefined): string {
  if (b === undefined) return '—';
  if (b < 1024) return `${b} B`;
  if (b < 1024 * 1024) return `${(b / 1024).toFixed(1)} KiB`;
  return `${(b / 1024 / 1024).toFixed(2)} MiB`;
}

/** The rows of the measured-times table for one fault: [what, value, how it was measured]. */
export function measureRows(m: FaultMeasures): Array<[string, string, string]> {
  const rows: Array<[string, string, string]> = [];
  if (m.elections.length === 0) rows.push(['leader lost', 'no', 'the victim led no group when the fault began: no election was needed']);
  for (const e of m.elections) {
    rows.push([`group ${e.group}: failure detected`, fmtMs(e.detectedMs), `fault to the first sample where another member of group ${e.group} saw no leader, another leader or a higher term (old leader ${e.oldLeader})`]);
    rows.push([`group ${e.group}: new leader elected`, e.electedMs === undefined ? 'not seen' : `${fmtMs(e.electedMs)} (${e.newLeader})`, 'fault to the first sample where a member leads the group at a higher term']);
  }
  const groups = Object.entries(m.unavailableByGroupMs).map(([g, ms]) => `g${g} ${fmtMs(ms)}`).join(', ');
  rows.push(['unavailability seen by clients', fmtMs(m.unavailableMs), `longest time with no acknowledged request, overlapping the fault and its recovery${groups !== '' ? `; per group: ${groups}` : ''}`]);
  rows.push(['failed requests', String(m.failedRequests), 'error replies, timeouts and refused connections while the fault and its recovery lasted']);
  const undo = m.window.recoverAction ?? 'recovery';
  if (m.window.recoverMs === undefined) rows.push(['recovery', 'none in the run', 'the timeline never undid this fault']);
  else {
    rows.push([`victim back (after ${undo})`, fmtMs(m.backUpMs), `${undo} to the victim's first answered scrape`]);
    rows.push(['victim caught up', m.caughtUpMs === undefined ? (m.entriesBehind === undefined ? '— (hosts no group)' : 'not seen') : fmtMs(m.caughtUpMs), `${undo} to the first sample where it applied everything the others had committed at the ${undo}`]);
    if (m.rejoinedBy !== undefined) rows.push(['rejoined by', m.rejoinedBy === 'snapshot' ? `InstallSnapshot (${m.snapshotsSent ?? 0} sent)` : 'log (replay + AppendEntries)', 'a snapshot sent to it (leader\'s kvstore_snapshot_send count) or restored by it after start, else the log']);
    if (m.replayedEntries !== undefined) rows.push(['entries replayed from its own log', `${m.replayedEntries}${m.replaySeconds !== undefined ? ` in ${fmtMs(m.replaySeconds * 1000)}` : ''}`, 'kvstore_restart_replay_entries / _duration_seconds of the restarted member']);
    if (m.entriesBehind !== undefined) rows.push(['entries it was behind', String(m.entriesBehind), 'the others\' commit index at the recovery minus its applied index when back, over its groups']);
    if (m.bytesToVictim !== undefined) rows.push(['bytes sent to it until caught up', fmtBytes(m.bytesToVictim), 'kvstore_peer_sent_bytes_total of the others towards it']);
  }
  return rows;
}

function table(head: readonly string[] | null, rows: ReadonlyArray<readonly string[]>): string {
  const thead = head === null ? '' : `<thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>`;
  return `<table>${thead}<tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}


const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:940px;color:#222}
h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:8px 0;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}.pass{background:#e5f5e0;border:1px solid #74c476;padding:8px 12px}.fail{background:#fee0d2;border:2px solid #de2d26;padding:8px 12px;font-weight:bold}
.muted{color:#666;font-size:12px}figure{margin:12px 0}code{background:#f4f4f4;padding:0 3px}`;

/** The whole report: one HTML file, every chart inline, no script and no network. */
export function reportHtml(rec: ExperimentRecord, a: ExperimentAnalysis, charts: ReportCharts, files: { json: string; csv: string; requestsCsv: string }): string {
  const p = rec.plan;
  const v = rec.verification;
  const verdict = a.failures.length === 0
    ? `<p class="pass">PASS: all ${v.keysChecked} keys of the ${v.acknowledgedRequests} acknowledged writes read back with the value written; 0 lost.</p>`
    : `<div class="fail">FAIL<ul>${a.failures.map((f) => `<li>${esc(f)}</li>`).join('')}</ul></div>`;
  const header = table(null, [
    ['scenario', `${p.name}: ${p.description}`],
    ['cluster', `${p.shape === '2pc' ? 'a coordinator + 3 participants (kvstore2pcsystem)' : '3 kvstoreraftsystem peers'}, ${p.groups} Raft group(s), on loopback`],
    ['members', rec.members.map((m) => `${m.name}${m.nodeId !== undefined && m.nodeId !== 0 ? ` (id ${m.nodeId})` : ''}`).join(', ')],
    ['load', `${p.clients} clients, each one request at a time, every request writing fresh keys${p.msetEvery > 0 ? `; every ${p.msetEvery}th request an MSET over all ${p.groups} groups (a cross-group transaction)` : ''}; request timeout ${p.requestTimeoutMs} ms`],
    ['sampling', `every member's /metrics every ${p.sampleMs} ms: ${rec.samples.length} samples`],
    ['started', `${rec.startedAt}, ran ${fmtMs(rec.endMs)}`],
    ['timeline', p.steps.join(' → ')],
  ]);
  const faults = a.measures.map((m) => `<h3>${esc(m.window.label)} at ${(m.window.startMs / 1000).toFixed(2)} s</h3>${table(['measured', 'value', 'how'], measureRows(m))}`).join('\n');
  const phases = table(['phase', 'span', 'acknowledged', 'failed', 'acknowledged/s', 'p50', 'p99'], a.phases.map((x) => [
    x.phase, `${(x.fromMs / 1000).toFixed(1)}–${(x.toMs / 1000).toFixed(1)} s`, String(x.ok), String(x.failed), x.okPerS.toFixed(0), fmtMs(x.p50Ms), fmtMs(x.p99Ms),
  ]));
  const events = table(['t (s)', 'action', 'on', 'note'], rec.events.map((e) => [
    (e.tMs / 1000).toFixed(3), e.action, e.others !== undefined ? `${e.targets.join(',')} | ${e.others.join(',')}` : e.targets.join(', '), e.note ?? '',
  ]));
  const lost = (v.lost.length === 0 ? '' : table(['key', 'written', 'GET answered'], v.lost.map((l) => [l.key, l.expected, l.got])))
    + (v.partialMsets.length === 0 ? '' : table(['MSET value', 'keys that hold it', 'keys that do not'], v.partialMsets.map((x) => [x.value, x.applied.join(' '), x.missing.join(' ')])));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>kvstore experiment: ${esc(p.name)}</title><style>${CSS}</style></head>
<body>
<h1>kvstore experiment: ${esc(p.name)}</h1>
<p>${esc(p.description)}.</p>
<p class="muted">Every number below is measured from the metric samples and the clients' own records, not taken from the timeline. Grey bands on the charts are the faults.</p>
${verdict}
<h2>Throughput and latency</h2>
<figure>${charts.throughput}</figure>
<figure>${charts.latency}</figure>
<h2>Measured times</h2>
${faults === '' ? '<p>No fault in this timeline.</p>' : faults}
<h2>Who led each group</h2>
${charts.roles.map((r) => `<figure>${r.svg}</figure>`).join('\n')}
<h2>Commit and applied index</h2>
${charts.indexes.map((r) => `<figure>${r.svg}</figure>`).join('\n')}
<h2>Acknowledged writes, read back</h2>
${table(null, [
    ['acknowledged requests', String(v.acknowledgedRequests)],
    ['keys read back', `${v.keysReadable} of ${v.keysChecked} hold the value written`],
    ['lost (wrong value or nil)', String(v.lostCount)],
    ['could not be read', String(v.unreadable)],
    ['not acknowledged (error, timeout: outcome unknown)', String(v.indeterminate)],
    ['of them cross-group MSETs, read back: whole / none / IN PART', `${v.unackedMsets.checked}: ${v.unackedMsets.whole} / ${v.unackedMsets.none} / ${v.unackedMsets.partial}${v.unackedMsets.unreadable > 0 ? ` (${v.unackedMsets.unreadable} unreadable)` : ''}`],
    ['read-back took', fmtMs(v.durationMs)],
  ])}
${lost}
<h2>Clients before, during and after the faults</h2>
${phases}
<h2>Setup</h2>
${header}
<h2>Timeline as run</h2>
${events}
${rec.crashes.length > 0 ? `<h2>Members that exited by themselves</h2><pre>${esc(rec.crashes.join('\n\n'))}</pre>` : ''}
<p class="muted">Raw data: <code>${esc(files.json)}</code> (everything), <code>${esc(files.csv)}</code> (one row per member, group and sample), <code>${esc(files.requestsCsv)}</code> (one row per request). Member logs: <code>cluster/logs/</code>.</p>
</body></html>
`;
}
