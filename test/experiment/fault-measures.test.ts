import test from 'ava';
import { analyzeExperiment } from '../../src/experiment/experiment-analysis.js';
import { longestGapMs, measureFault } from '../../src/experiment/fault-measures.js';
import { faultWindows } from '../../src/experiment/fault-windows.js';
import { loadBuckets, roleSegments } from '../../src/experiment/report-series.js';
import type { ExperimentRecord } from '../../src/experiment/run-experiment.js';
import { SampleIndex } from '../../src/experiment/sample-index.js';
import type { ActionEvent, GroupSample, NodeSample, RequestRecord } from '../../src/experiment/samples.js';

const g = (role: string, term: number, leaderId: number, commit: number, applied = commit): GroupSample => ({
  group: 1, role, term, leaderId, commit, applied, lastIndex: commit, snapshotIndex: 0, electionsStarted: 0,
});
const up = (tMs: number, node: string, nodeId: number, group: GroupSample, extra: Partial<NodeSample> = {}): NodeSample => ({
  tMs, node, up: true, nodeId, groups: [group], peerSentBytes: {}, snapshotsSaved: 0, snapshotsSent: 0, snapshotsRestored: 0, txnOpen: 0, ...extra,
});
const down = (tMs: number, node: string): NodeSample => ({ tMs, node, up: false, groups: [], peerSentBytes: {}, snapshotsSaved: 0, snapshotsSent: 0, snapshotsRestored: 0, txnOpen: 0 });
const req = (startMs: number, endMs: number, outcome: RequestRecord['outcome'] = 'ok'): RequestRecord => ({ client: 0, op: 'set', keys: [`k${startMs}`], value: 'v', groups: [1], startMs, endMs, outcome });

/** a leads (id 1) until killed at 1000; b (id 2) is elected at 1400; a restarts at 2000, is back at 2100 and caught up at 2300. */
function killLeaderWorld(): { samples: NodeSample[]; events: ActionEvent[]; requests: RequestRecord[] } {
  const samples: NodeSample[] = [
    up(900, 'a', 1, g('leader', 2, 1, 100)), up(900, 'b', 2, g('follower', 2, 1, 100)), up(900, 'c', 3, g('follower', 2, 1, 100)),
    down(1100, 'a'), up(1100, 'b', 2, g('follower', 2, 1, 100)), up(1100, 'c', 3, g('follower', 2, 1, 100)),
    up(1300, 'b', 2, g('candidate', 3, 0, 100)),
    up(1400, 'b', 2, g('leader', 3, 2, 101), { peerSentBytes: { '1': 500 } }),
    up(1900, 'b', 2, g('leader', 3, 2, 180), { peerSentBytes: { '1': 500 } }), up(1900, 'c', 3, g('follower', 3, 2, 180)),
    up(2100, 'a', 1, g('follower', 3, 2, 100, 100), { replayEntries: 100, replaySeconds: 0.05 }),
    up(2200, 'a', 1, g('follower', 3, 2, 170, 170)),
    up(2300, 'a', 1, g('follower', 3, 2, 185, 180)), up(2300, 'b', 2, g('leader', 3, 2, 185), { peerSentBytes: { '1': 9_500 } }),
  ];
  const events: ActionEvent[] = [{ tMs: 0, action: 'load-start', targets: [] }, { tMs: 1000, action: 'kill', targets: ['a'] }, { tMs: 2000, action: 'restart', targets: ['a'] }, { tMs: 3000, action: 'load-stop', targets: [] }];
  const requests = [req(800, 950), req(950, 1000), req(1000, 1500), req(1500, 1510), req(1510, 1600, 'error'), req(2000, 2900)];
  return { samples, events, requests };
}

test('a kill and its restart pair into one fault window; a partition pairs with the next heal', (t) => {
  const w = faultWindows([{ tMs: 1, action: 'kill', targets: ['a', 'b'] }, { tMs: 5, action: 'restart', targets: ['a', 'b'] }, { tMs: 6, action: 'partition', targets: ['c'], others: ['a', 'b'] }, { tMs: 9, action: 'heal', targets: [] }]);
  t.deepEqual(w.map((x) => [x.label, x.startMs, x.recoverMs]), [['kill -9 a', 1, 5], ['kill -9 b', 1, 5], ['partition c | a,b', 6, 9]]);
  t.is(faultWindows([{ tMs: 1, action: 'pause', targets: ['a'] }])[0]!.recoverMs, undefined, 'never resumed');
});

test('detection, election, back up and catch-up times come from the samples, relative to the actions', (t) => {
  const { samples, events, requests } = killLeaderWorld();
  const m = measureFault(faultWindows(events)[0]!, samples, new SampleIndex(samples), requests, 3000, ['a', 'b', 'c']);
  t.is(m.elections.length, 1);
  t.is(m.elections[0]!.detectedMs, 300, 'b saw no leader at 1300');
  t.is(m.elections[0]!.electedMs, 400);
  t.is(m.elections[0]!.newLeader, 'b');
  t.is(m.backUpMs, 100);
  t.is(m.caughtUpMs, 300, 'applied 180 >= the 180 the others had committed at the restart');
  t.is(m.rejoinedBy, 'log');
  t.is(m.replayedEntries, 100);
  t.is(m.entriesBehind, 80);
  t.is(m.bytesToVictim, 9_000);
  t.is(m.unavailableMs, 1390, 'acks end at 950, 1000, 1500, 1510, 2900: the longest gap is 1510..2900');
  t.is(m.failedRequests, 1);
});

test('a snapshot send its leader counts only after the victim is seen caught up still counts as the way it rejoined', (t) => {
  const { samples, events, requests } = killLeaderWorld();
  // b's send finished (and was counted) at 2500, after a was seen caught up at 2300; a restored nothing after start.
  samples.push(up(2500, 'b', 2, g('leader', 3, 2, 190), { peerSentBytes: { '1': 9_600 }, snapshotsSent: 1 }));
  const m = measureFault(faultWindows(events)[0]!, samples, new SampleIndex(samples), requests, 3000, ['a', 'b', 'c']);
  t.is(m.caughtUpMs, 300);
  t.is(m.snapshotsSent, 1);
  t.is(m.rejoinedBy, 'snapshot');
  t.is(m.bytesToVictim, 9_000, 'bytes still end at the catch-up');
  samples.push(up(4400, 'b', 2, g('leader', 3, 2, 200), { snapshotsSent: 2 }));
  t.is(measureFault(faultWindows(events)[0]!, samples, new SampleIndex(samples), requests, 5000, ['a', 'b', 'c']).snapshotsSent, 1, 'a send long after is not this one');
});

test('the longest gap between acknowledgements counts only gaps that overlap the window', (t) => {
  const r = [req(0, 100), req(0, 200), req(0, 1200), req(0, 1300)];
  t.is(longestGapMs(r, 150, 250, 2000), 1000);
  t.is(longestGapMs(r, 1250, 1260, 2000), 100);
  t.is(longestGapMs(r, 1900, 1950, 2000), 700, 'the gap up to the end of the load counts');
});

test('a lost write fails the analysis loudly; 0 lost passes', (t) => {
  const { samples, events, requests } = killLeaderWorld();
  const base = {
    plan: { name: 'x', description: '', shape: 'raft', groups: 1, clients: 1, sampleMs: 100, msetEvery: 0, requestTimeoutMs: 1000, outDir: '/tmp/x', steps: [] },
    startedAt: '', members: ['a', 'b', 'c'].map((name, i) => ({ name, kind: 'raft' as const, nodeId: i + 1, clientPort: 1, metricsPort: 2 })),
    samples, requests, events, crashes: [], endMs: 3000,
  } satisfies Omit<ExperimentRecord, 'verification'>;
  const ok = { acknowledgedRequests: 5, keysChecked: 5, keysReadable: 5, lostCount: 0, lost: [], unreadable: 0, indeterminate: 1, unackedMsets: { checked: 0, whole: 0, none: 0, partial: 0, unreadable: 0 }, partialMsets: [], durationMs: 1 };
  t.deepEqual(analyzeExperiment({ ...base, verification: ok }).failures, []);
  const bad = analyzeExperiment({ ...base, verification: { ...ok, keysReadable: 4, lostCount: 1, lost: [{ key: 'k', expected: 'v', got: 'nil' }] } });
  t.regex(bad.failures.join('\n'), /1 acknowledged write\(s\) LOST/);
  const half = analyzeExperiment({ ...base, verification: { ...ok, unackedMsets: { checked: 1, whole: 0, none: 0, partial: 1, unreadable: 0 } } });
  t.regex(half.failures.join('\n'), /applied IN PART/);
});

test('buckets count acknowledged and failed requests per second with latency percentiles; role segments merge equal samples', (t) => {
  const b = loadBuckets([req(0, 10), req(0, 30), req(0, 90, 'timeout'), req(100, 150)], 0, 200, 100);
  t.is(b.length, 2);
  t.is(b[0]!.okPerS, 20);
  t.is(b[0]!.failedPerS, 10);
  t.is(b[0]!.p50Ms, 10);
  t.is(b[0]!.p99Ms, 30);
  t.is(b[1]!.p50Ms, 50);
  const { samples } = killLeaderWorld();
  const a = roleSegments(samples, [1], 3000).filter((s) => s.node === 'a');
  t.deepEqual(a.map((s) => [s.state, s.from, s.to]), [['leader', 0.9, 1.1], ['down', 1.1, 2.1], ['follower', 2.1, 3]]);
});
