import { exponentialBuckets, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { SnapshotPhase } from '../participant/host-contract.js';

/** 1 ms to 262 s by factors of 4: snapshots are rare, and a scrape renders every bucket. */
const SNAPSHOT_BUCKETS_SECONDS = exponentialBuckets(0.001, 4, 10);

/** Snapshot durations by phase: save (take + write + compact), send (stream to a follower), restore (from the leader, or from disk at start). */
export function snapshotMetrics(registry: Registry): (phase: SnapshotPhase, seconds: number) => void {
  const make = (phase: SnapshotPhase, help: string): Histogram =>
    new Histogram({ name: `kvstore_snapshot_${phase}_duration_seconds`, help, buckets: SNAPSHOT_BUCKETS_SECONDS, registers: [registry] });
  const by: Record<SnapshotPhase, Histogram> = {
    save: make('save', 'Time to take a snapshot of a group and make it durable'),
    send: make('send', 'Time to stream a snapshot to a follower (successful sends only)'),
    restore: make('restore', 'Time to restore a group from a snapshot (received, or on disk at start)'),
  };
  return (phase, seconds) => by[phase].observe(seconds);
}
