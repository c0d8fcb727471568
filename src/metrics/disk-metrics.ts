import { exponentialBuckets, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { BatchObserver } from '../../storage/group-commit.js';

/**
 * etcd's WAL fsync histogram (ExponentialBuckets(0.001, 2, 14): 1 ms to
 * 8 s) extended down to 100 µs: a synced LevelDB batch costs about 0.35 ms
 * on this kind of machine, which etcd's first bucket would swallow whole.
 */
export const DISK_SYNC_BUCKETS_SECONDS = exponentialBuckets(0.0001, 2, 18);

/** The process's LevelDB batches: synced-batch latency and batch sizes (all batches). One observation per batch, not per write. */
export function diskMetrics(registry: Registry): BatchObserver {
  const sync = new Histogram({
    name: 'kvstore_disk_sync_duration_seconds',
    help: 'Time to write one synced LevelDB batch (all groups of a host turn), fsync included',
    buckets: DISK_SYNC_BUCKETS_SECONDS,
    registers: [registry],
  });
  const writes = new Histogram({
    name: 'kvstore_disk_batch_writes',
    help: 'Writes (group Readies, metadata) merged into one LevelDB batch',
    buckets: exponentialBuckets(1, 2, 11),
    registers: [registry],
  });
  const bytes = new Histogram({
    name: 'kvstore_disk_batch_bytes',
    help: 'Key and value bytes in one LevelDB batch',
    buckets: exponentialBuckets(256, 4, 10),
    registers: [registry],
  });
  return (b) => {
    // A batch without fsync (only metadata that may be lost) is counted in the sizes, not timed.
    if (b.sync) sync.observe(b.seconds);
    writes.observe(b.writes);
    bytes.observe(b.bytes);
  };
}
