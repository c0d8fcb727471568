import type { SimTotals } from './simulation.js';

/** The campaign's closing lines: what the seeds did, and how fast. */
export function formatTotals(t: SimTotals, seconds: number): string {
  const rate = seconds > 0 ? t.seeds / seconds : 0;
  return [
    `seeds ${t.seeds}  ticks ${t.ticks}  faults ${t.faults} (crashes ${t.crashes})  elections ${t.elections}`,
    `commits ${t.commits}  writes acked ${t.writesAcked}  reads ${t.reads}  snapshots ${t.snapshots} (sent ${t.snapshotsSent})`,
    `conf changes ${t.confChanges}  transfers ${t.transfers}  messages ${t.messages}  slowest recovery ${t.recoveryTicksMax} ticks`,
    `${seconds.toFixed(1)} s, ${rate.toFixed(1)} seeds/s`,
  ].join('\n');
}
