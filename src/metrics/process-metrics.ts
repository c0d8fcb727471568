import type { Registry } from 'prom-client';
import { collectedCounter, collectedGauge } from './collected.js';

/**
 * The process's own CPU, memory and start time, read when scraped.
 * Instead of prom-client's collectDefaultMetrics: its GC observer and
 * event-loop monitor run all the time, and its scrape reads /proc files
 * synchronously; measured under a c=128 SET load with scrapes every
 * 100 ms, that cost several percent of throughput (README, metrics).
 */
export function processMetrics(registry: Registry): void {
  const startSeconds = Date.now() / 1000 - process.uptime();
  collectedCounter(registry, 'kvstore_process_cpu_user_seconds_total', 'User CPU time of this process', [], () => [[{}, process.cpuUsage().user / 1e6]]);
  collectedCounter(registry, 'kvstore_process_cpu_system_seconds_total', 'System CPU time of this process', [], () => [[{}, process.cpuUsage().system / 1e6]]);
  collectedCounter(registry, 'kvstore_process_cpu_seconds_total', 'User and system CPU time of this process', [], () => {
    const u = process.cpuUsage();
    return [[{}, (u.user + u.system) / 1e6]];
  });
  collectedGauge(registry, 'kvstore_process_resident_memory_bytes', 'Resident memory of this process', [], () => [[{}, process.memoryUsage.rss()]]);
  collectedGauge(registry, 'kvstore_nodejs_heap_used_bytes', 'V8 heap in use', [], () => [[{}, process.memoryUsage().heapUsed]]);
  collectedGauge(registry, 'kvstore_process_start_time_seconds', 'When this process started, in seconds since the Unix epoch', [], () => [[{}, startSeconds]]);
}
