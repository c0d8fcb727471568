import type { Registry } from 'prom-client';
import type { ReplayProgress } from '../participant/group-member.js';
import { collectedGauge } from './collected.js';

/** When every group's replay is done: the latest of their end times; undefined while one is still replaying. */
export function replayDoneSeconds(replays: readonly ReplayProgress[]): number | undefined {
  let latest = 0;
  for (const r of replays) {
    if (r.doneSeconds === undefined) return undefined;
    latest = Math.max(latest, r.doneSeconds);
  }
  return latest;
}

/**
 * The restart's local replay: seconds from process start until every hosted
 * group had applied up to its commit index on disk at start (no sample
 * until then), and the entries replayed from the local log.
 */
export function restartMetrics(registry: Registry, replays: () => readonly ReplayProgress[]): void {
  collectedGauge(registry, 'kvstore_restart_replay_duration_seconds', 'Seconds from process start until every hosted group applied up to its commit index at start', [], () => {
    const s = replayDoneSeconds(replays());
    return s === undefined ? [] : [[{}, s]];
  });
  collectedGauge(registry, 'kvstore_restart_replay_entries', 'Entries after the snapshot up to the commit index at start, replayed from the local log, over all groups', [], () => [
    [{}, replays().reduce((n, r) => n + r.entries, 0)],
  ]);
}
