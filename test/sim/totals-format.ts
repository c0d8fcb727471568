import type { SimTotals } from './simulation.js';

/** The campaign's closing lines: what the seeds did, and how fast. */
export function formatTotals(t: SimTotals, seconds: number): string {
  const rate = seconds > 0 ? t.seeds / seconds : 0;
  return [
    `seeds ${t.seeds}  ticks ${t.ticks}  faults ${t.faults} (crashes ${t.crashes})  elections ${t.elections}`,
    `commits ${t.commits}  writes acked ${t.writesAcked}  reads ${t.reads}  snapshots ${t.snapshots} (sent ${t.snapshotsSent})`,
    `conf changes ${t.confChanges}  transfers ${t.transfers}  messages ${t.messages}  slowest recovery ${t.recoveryTicksMax} ticks`,
    `loop turns that wrote ${t.writeTurns}  disk batches ${t.batches} (with Readies ${t.loopBatches}; in flight at a crash: ${t.crashLanded} landed, ${t.crashLost} lost)  ` +
      `groups per write turn <= ${t.groupsPerWriteTurnMax}, per batch <= ${t.groupsPerBatchMax}`,
    `${seconds.toFixed(1)} s, ${rate.toFixed(1)} seeds/s`,
  ].join('\n');
}
