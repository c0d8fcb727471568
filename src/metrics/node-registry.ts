import { Gauge, Registry } from 'prom-client';
import { processMetrics } from './process-metrics.js';
import { kvstoreVersion } from './version.js';

/** What a process is, in kvstore_build_info and /status. */
export type NodeKind = 'coordinator' | 'participant' | 'raft';

/**
 * The registry of one process (not prom-client's global one, so a test can
 * run several nodes in one process): the process's CPU and memory
 * (process-metrics.ts), and what this is.
 */
export function nodeRegistry(kind: NodeKind, nodeId: number): Registry {
  const registry = new Registry();
  processMetrics(registry);
  const info = new Gauge({
    name: 'kvstore_build_info',
    help: 'Always 1; the labels say which kvstore this is (node 0: a coordinator)',
    labelNames: ['version', 'kind', 'node'],
    registers: [registry],
  });
  info.set({ version: kvstoreVersion(), kind, node: String(nodeId) }, 1);
  return registry;
}
