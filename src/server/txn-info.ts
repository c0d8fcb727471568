import type { TxnDriver } from '../txn/txn-driver.js';
import type { InfoSection, InfoValue } from './info-text.js';
import type { TxnFrontDoorStats } from './txn-front-door-stats.js';

/** One group's open transactions, as its replica's applied state holds them. */
export interface GroupTxnView {
  readonly group: number;
  readonly prepared: number | undefined;
  readonly decisions: number | undefined;
  readonly lockedKeys?: number;
}

/**
 * INFO's `# Transactions`: the front door's multi-key commands by path, its
 * 2PC attempts and aborts, and each group's open transactions (prepared
 * records hold locks; a decision stays until every group has the outcome).
 */
export function txnInfoSection(stats: TxnFrontDoorStats, driver: TxnDriver, groups: () => readonly GroupTxnView[], resolver?: () => { resolvedLocks: number; finishedDecisions: number; prepareWaits: number }): InfoSection {
  return {
    name: 'Transactions',
    fields: () => {
      const out: [string, InfoValue][] = [];
      for (const op of ['mset', 'mget', 'del', 'exec'] as const) out.push([`single_group_${op}`, stats.single[op]]);
      for (const op of ['mset', 'mget', 'del', 'exec'] as const) out.push([`cross_group_${op}`, stats.cross[op]], [`cross_group_${op}_failed`, stats.crossFailed[op]]);
      out.push(['txn_in_flight', stats.inFlight], ['txn_attempts', stats.attempts], ['txn_aborts', stats.aborts], ['txn_outcomes_spreading', driver.finishing]);
      // Wait-die's admission: transactions running now and those queued for a turn.
      out.push(['txn_running', driver.running], ['txn_queued', driver.queued]);
      // Outcomes spread in batches (txn-outbox): steps per batch is the saving.
      const spread = driver.spreadBatches;
      out.push(['txn_spread_batches', spread.batches], ['txn_spread_steps', spread.steps]);
      const gs = groups();
      let open = 0;
      let known = false;
      for (const g of gs) {
        if (g.prepared !== undefined) {
          open += g.prepared;
          known = true;
        }
        out.push([`group${g.group}_txns`, `prepared=${g.prepared ?? -1},decisions=${g.decisions ?? -1}${g.lockedKeys !== undefined ? `,locked_keys=${g.lockedKeys}` : ''}`]);
      }
      out.push(['open_transactions', known ? open : -1]);
      if (resolver !== undefined) {
        const r = resolver();
        out.push(['resolved_locks', r.resolvedLocks], ['finished_decisions', r.finishedDecisions], ['prepare_waits', r.prepareWaits]);
      }
      return out;
    },
  };
}
