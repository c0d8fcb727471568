import type { NodeSample, RequestRecord } from './samples.js';

/** One time bucket of the clients' view. */
export interface LoadBucket {
  /** Bucket start, seconds since the experiment began. */
  readonly t: number;
  readonly okPerS: number;
  readonly failedPerS: number;
  /** Latency percentiles of the acknowledged requests that ended in the bucket, ms; undefined when none did. */
  readonly p50Ms?: number;
  readonly p99Ms?: number;
}

/** Buckets per chart: fine enough to see a one-second outage in a one-minute run. */
const bucketsWanted = 150;

export function bucketMsFor(durationMs: number): number {
  return Math.max(100, Math.ceil(durationMs / bucketsWanted / 50) * 50);
}

/** The value at quantile q of sorted values (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

export function loadBuckets(records: readonly RequestRecord[], fromMs: number, toMs: number, bucketMs: number): LoadBucket[] {
  const n = Math.max(1, Math.ceil((toMs - fromMs) / bucketMs));
  const ok: number[][] = Array.from({ length: n }, () => []);
  const failed = new Array<number>(n).fill(0);
  for (const r of records) {
    const i = Math.floor((r.endMs - fromMs) / bucketMs);
    if (i < 0 || i >= n) continue;
    if (r.outcome === 'ok') ok[i]!.push(r.endMs - r.startMs);
    else failed[i]!++;
  }
  return ok.map((lat, i) => {
    lat.sort((a, b) => a - b);
    return {
      t: (fromMs + i * bucketMs) / 1000,
      okPerS: (lat.length * 1000) / bucketMs,
      failedPerS: (failed[i]! * 1000) / bucketMs,
      ...(lat.length > 0 ? { p50Ms: quantile(lat, 0.5), p99Ms: quantile(lat, 0.99) } : {}),
    };
  });
}

/** A member's state in one group over a stretch of time: its Raft role, or `down` when its scrapes got no answer. */
export interface RoleSegment {
  readonly node: string;
  readonly group: number;
  readonly state: string;
  /** Seconds. */
  readonly from: number;
  readonly to: number;
}

/** Merges consecutive samples of one member with the same state into segments; a segment lasts until the next sample with another state. */
export function roleSegments(samples: readonly NodeSample[], groups: readonly number[], endMs: number): RoleSegment[] {
  const out: RoleSegment[] = [];
  const byNode = new Map<string, NodeSample[]>();
  for (const s of samples) byNode.set(s.node, [...(byNode.get(s.node) ?? []), s]);
  for (const [node, list] of byNode) {
    if (!list.some((s) => s.groups.length > 0)) continue; // the coordinator hosts no group
    for (const g of groups) {
      let open: { state: string; from: number } | undefined;
      for (const s of list) {
        const state = !s.up ? 'down' : (s.groups.find((x) => x.group === g)?.role ?? 'none');
        if (open !== undefined && open.state === state) continue;
        if (open !== undefined) out.push({ node, group: g, state: open.state, from: open.from / 1000, to: s.tMs / 1000 });
        open = { state, from: s.tMs };
      }
      if (open !== undefined) out.push({ node, group: g, state: open.state, from: open.from / 1000, to: endMs / 1000 });
    }
  }
  return out;
}

/** One point of a member's commit and applied index in one group. */
export interface IndexPoint {
  readonly t: number;
  readonly node: string;
  readonly group: number;
  readonly index: string;
  readonly value: number;
}

/** Commit and applied index of every answered sample; a down member has no point (its line breaks there). */
export function indexPoints(samples: readonly NodeSample[]): IndexPoint[] {
  const out: IndexPoint[] = [];
  for (const s of samples) {
    if (!s.up) continue;
    for (const g of s.groups) {
      out.push({ t: s.tMs / 1000, node: s.node, group: g.group, index: 'commit', value: g.commit });
      out.push({ t: s.tMs / 1000, node: s.node, group: g.group, index: 'applied', value: g.applied });
    }
  }
  return out;
}
