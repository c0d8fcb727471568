import type { FaultWindow } from './fault-windows.js';
import { groupIn, SampleIndex } from './sample-index.js';
import type { NodeSample, RequestRecord } from './samples.js';

/** One group's election after a fault that took its leader away. */
export interface GroupElection {
  readonly group: number;
  /** Who led before the fault (a victim). */
  readonly oldLeader: string;
  /** Fault start to the first sample where another member has no leader, a new leader, or a higher term. */
  readonly detectedMs?: number;
  /** Fault start to the first sample where a member leads at a higher term (the victim too, once restarted). */
  readonly electedMs?: number;
  readonly newLeader?: string;
}

/**
 * What the samples and the requests say about one fault. Every duration is
 * measured from the samples (or the clients' records), relative to the
 * action that began the fault (or, for the recovery, the one that undid it).
 */
export interface FaultMeasures {
  readonly window: FaultWindow;
  /** Groups a victim led when the fault began. */
  readonly elections: readonly GroupElection[];
  /** The longest time with no acknowledged request, among gaps that overlap the fault (and its recovery). */
  readonly unavailableMs: number;
  /** The same, per group (requests that touched the group). */
  readonly unavailableByGroupMs: Readonly<Record<string, number>>;
  /** Requests that failed (error reply, timeout, closed) while the fault and its recovery lasted. */
  readonly failedRequests: number;
  /** Recovery action to the victim's first answered scrape. */
  readonly backUpMs?: number;
  /** Recovery action to the first sample where the victim applied what the others had committed when it was undone. */
  readonly caughtUpMs?: number;
  /** How it caught up: InstallSnapshot if a snapshot was sent to it or restored by it from the leader, else the log. */
  readonly rejoinedBy?: 'snapshot' | 'log';
  /** Entries the victim replayed from its own log at start (kvstore_restart_replay_entries). */
  readonly replayedEntries?: number;
  readonly replaySeconds?: number;
  /** Entries it had to receive: the others' commit index at recovery minus its own applied index when back up, over its groups. */
  readonly entriesBehind?: number;
  /** Bytes the others sent to it from recovery to caught up (kvstore_peer_sent_bytes_total). */
  readonly bytesToVictim?: number;
  readonly snapshotsSent?: number;
}

/** How long after the victim is seen caught up its leader may take to count the snapshot it sent (bytes too). */
const SEND_COUNTED_WITHIN_MS = 2_000;

/** Where the fault's effect can end: caught up, else back up, else the recovery action, else the run's end. */
function settledAt(m: { caughtUpAbs?: number; backUpAbs?: number }, w: FaultWindow, endMs: number): number {
  return m.caughtUpAbs ?? m.backUpAbs ?? w.recoverMs ?? endMs;
}

/** The longest gap between acknowledged completions that overlaps [from, to]. */
export function longestGapMs(records: readonly RequestRecord[], from: number, to: number, endMs: number): number {
  const ends = records.filter((r) => r.outcome === 'ok').map((r) => r.endMs).sort((a, b) => a - b);
  let best = 0;
  let prev: number | undefined;
  for (const e of [...ends, endMs]) {
    if (prev !== undefined && e >= from && prev <= to) best = Math.max(best, e - prev);
    prev = e;
  }
  return best;
}

export function measureFault(w: FaultWindow, samples: readonly NodeSample[], index: SampleIndex, records: readonly RequestRecord[], endMs: number, replicas: readonly string[]): FaultMeasures {
  const victims = new Set(w.victims);
  const others = replicas.filter((n) => !victims.has(n));
  const elections = measureElections(w, samples, index, others);
  const { measures, backUpAbs, caughtUpAbs } = measureRecovery(w, index, others, endMs);
  const until = settledAt({ ...(caughtUpAbs !== undefined ? { caughtUpAbs } : {}), ...(backUpAbs !== undefined ? { backUpAbs } : {}) }, w, endMs);
  const byGroup: Record<string, number> = {};
  const groups = [...new Set(records.flatMap((r) => r.groups))].sort((a, b) => a - b);
  for (const g of groups) byGroup[String(g)] = longestGapMs(records.filter((r) => r.groups.includes(g)), w.startMs, until, endMs);
  return {
    window: w,
    elections,
    unavailableMs: longestGapMs(records, w.startMs, until, endMs),
    unavailableByGroupMs: byGroup,
    failedRequests: records.filter((r) => r.outcome !== 'ok' && r.endMs >= w.startMs && r.startMs <= until).length,
    ...measures,
  };
}

/** For every group a victim led when the fault began: when the others noticed, and when (and who) a new leader was elected. */
function measureElections(w: FaultWindow, samples: readonly NodeSample[], index: SampleIndex, others: readonly string[]): GroupElection[] {
  const elections: GroupElection[] = [];
  for (const v of w.victims) {
    const before = index.lastUpBefore(v, w.startMs);
    for (const g of before?.groups ?? []) {
      if (g.role !== 'leader') continue;
      const preTerm = g.term;
      const vid = index.idOf(v);
      let detected: number | undefined;
      let elected: { t: number; who: string } | undefined;
      for (const s of samples) {
        if (s.tMs < w.startMs || !s.up) continue;
        const x = groupIn(s, g.group);
        if (x === undefined) continue;
        const other = others.includes(s.node);
        if (detected === undefined && other && (x.leaderId !== vid || x.term > preTerm || x.role !== 'follower')) detected = s.tMs;
        // Any member leading at a higher term: with no majority left, the restarted victim may be the one elected.
        if (elected === undefined && x.role === 'leader' && x.term > preTerm) elected = { t: s.tMs, who: s.node };
        if (detected !== undefined && elected !== undefined) break;
      }
      elections.push({
        group: g.group,
        oldLeader: v,
        ...(detected !== undefined ? { detectedMs: detected - w.startMs } : {}),
        ...(elected !== undefined ? { electedMs: elected.t - w.startMs, newLeader: elected.who } : {}),
      });
    }
  }
  return elections;
}

type Mutable<T> = { -readonly [K in keyof T]?: T[K] };

/**
 * The recovery, for a single victim (a partition side of several is
 * measured on its first member): back up, replayed, how far behind, caught
 * up in every group it hosts, and by what (log or snapshot).
 */
function measureRecovery(w: FaultWindow, index: SampleIndex, others: readonly string[], endMs: number): { measures: Mutable<FaultMeasures>; backUpAbs?: number; caughtUpAbs?: number } {
  const victim = w.victims[0]!;
  const rec = w.recoverMs;
  const m: Mutable<FaultMeasures> = {};
  if (rec === undefined) return { measures: m };
  const back = index.firstFrom(victim, rec, (s) => s.up);
  if (back === undefined) return { measures: m };
  m.backUpMs = back.tMs - rec;
  if (back.replayEntries !== undefined && w.recoverAction === 'restart') m.replayedEntries = back.replayEntries;
  const replayed = index.firstFrom(victim, rec, (s) => s.up && s.replaySeconds !== undefined);
  if (replayed?.replaySeconds !== undefined && w.recoverAction === 'restart') m.replaySeconds = replayed.replaySeconds;
  // What it missed: the highest commit index the others showed before the recovery action.
  const want = new Map<number, number>();
  for (const o of others) for (const g of index.lastUpBefore(o, rec)?.groups ?? []) want.set(g.group, Math.max(want.get(g.group) ?? 0, g.commit));
  const hosted = back.groups.map((g) => g.group);
  if (hosted.length === 0) return { measures: m, backUpAbs: back.tMs };
  m.entriesBehind = hosted.reduce((n, g) => n + Math.max(0, (want.get(g) ?? 0) - (groupIn(back, g)?.applied ?? 0)), 0);
  const caught = index.firstFrom(victim, rec, (s) => s.up && hosted.every((g) => (groupIn(s, g)?.applied ?? -1) >= (want.get(g) ?? 0)));
  if (caught === undefined) return { measures: m, backUpAbs: back.tMs };
  m.caughtUpMs = caught.tMs - rec;
  const vid = index.idOf(victim);
  let bytes = 0;
  let sent = 0;
  for (const o of others) {
    const a = index.lastUpBefore(o, rec);
    const b = index.lastUpBefore(o, caught.tMs + 1) ?? a;
    // A send is counted when the follower's answer comes back, which may be after its sample showed it caught up.
    const c = index.lastUpBefore(o, Math.min(endMs, caught.tMs + SEND_COUNTED_WITHIN_MS) + 1) ?? b;
    if (a === undefined || b === undefined || c === undefined) continue;
    if (vid !== undefined) bytes += Math.max(0, (b.peerSentBytes[String(vid)] ?? 0) - (a.peerSentBytes[String(vid)] ?? 0));
    sent += Math.max(0, c.snapshotsSent - a.snapshotsSent);
  }
  m.bytesToVictim = bytes;
  m.snapshotsSent = sent;
  const restoredLater = caught.snapshotsRestored > back.snapshotsRestored;
  m.rejoinedBy = sent > 0 || restoredLater ? 'snapshot' : 'log';
  return { measures: m, backUpAbs: back.tMs, caughtUpAbs: caught.tMs };
}
