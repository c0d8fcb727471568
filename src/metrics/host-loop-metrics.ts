import type { Registry } from 'prom-client';
import type { HostLoopStats } from '../participant/host-loop.js';
import { collectedCounter } from './collected.js';

/** The process's one host loop, from its stats at scrape time. */
export function hostLoopMetrics(registry: Registry, stats: Readonly<HostLoopStats>): void {
  collectedCounter(registry, 'kvstore_host_loop_turns_total', 'Host loop turns that had at least one Ready', [], () => [[{}, stats.turns]]);
  collectedCounter(registry, 'kvstore_host_loop_write_turns_total', 'Host loop turns that wrote to disk', [], () => [[{}, stats.writeTurns]]);
  collectedCounter(registry, 'kvstore_host_loop_synced_write_turns_total', 'Host loop turns with a synced write (one batch for every group)', [], () => [[{}, stats.syncedWriteTurns]]);
  collectedCounter(registry, 'kvstore_host_loop_readies_total', 'Readies handled, over all groups', [], () => [[{}, stats.readies]]);
}
