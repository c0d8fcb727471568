import { exponentialBuckets, Histogram, type Registry } from 'prom-client';
import type { TxnFrontDoorStats } from '../server/txn-front-door-stats.js';
import type { GroupTxnView } from '../server/txn-info.js';
import { collectedCounter, collectedGauge } from './collected.js';

const OPS = ['mset', 'mget', 'del', 'exec'] as const;

/** 100 µs to 3.3 s, as the request latency. */
const PHASE_BUCKETS_SECONDS = exponentialBuckets(0.0001, 2, 16);

/** A front door's multi-key commands by path, and its 2PC attempts, aborts and commands in flight. */
export function txnFrontDoorMetrics(registry: Registry, stats: TxnFrontDoorStats): void {
  collectedCounter(registry, 'kvstore_multikey_commands_total', 'MSET / MGET / DEL commands by path: one group (one Raft entry) or cross (a 2PC transaction)', ['command', 'path'], () =>
    OPS.flatMap((op) => [[{ command: op, path: 'single' }, stats.single[op]] as const, [{ command: op, path: 'cross' }, stats.cross[op]] as const]),
  );
  collectedCounter(registry, 'kvstore_txn_failed_total', 'Cross-group commands answered -ERROR (conflict or timeout past the request deadline)', ['command'], () =>
    OPS.map((op) => [{ command: op }, stats.crossFailed[op]] as const),
  );
  collectedCounter(registry, 'kvstore_txn_attempts_total', 'Transaction attempts begun (a retried command makes several)', [], () => [[{}, stats.attempts]]);
  collectedCounter(registry, 'kvstore_txn_aborts_total', 'Transaction attempts aborted because a key was locked', [], () => [[{}, stats.aborts]]);
  collectedCounter(registry, 'kvstore_txn_spread_batches_total', 'Commands that spread committed outcomes (RESOLVE, FORGET) to a group, each carrying one or more steps', [], () => [[{}, stats.spread().batches]]);
  collectedCounter(registry, 'kvstore_txn_spread_steps_total', 'RESOLVE and FORGET steps in those commands (steps per batch is what batching saves)', [], () => [[{}, stats.spread().steps]]);
  const phase = new Histogram({
    name: 'kvstore_txn_phase_duration_seconds',
    help: 'A cross-group write attempt\'s rounds at this front door: prepare (every group\'s PREPARE sent to all answered prepared), decide (the primary\'s DECIDE)',
    labelNames: ['phase'],
    buckets: PHASE_BUCKETS_SECONDS,
    registers: [registry],
  });
  const by = { prepare: phase.labels('prepare'), decide: phase.labels('decide') };
  stats.onPhase = (p, seconds) => by[p].observe(seconds);
  collectedGauge(registry, 'kvstore_txn_in_flight', 'Cross-group commands running now at this front door', [], () => [[{}, stats.inFlight]]);
}

/** Each group's open transactions as its replica's applied state (or, at the coordinator, its leader's report) holds them. */
export function txnGroupMetrics(registry: Registry, groups: () => readonly GroupTxnView[]): void {
  collectedGauge(registry, 'kvstore_txn_open', 'Prepared transaction records (each holds locks) in the group', ['group'], () =>
    groups().flatMap((g) => (g.prepared === undefined ? [] : [[{ group: String(g.group) }, g.prepared] as const])),
  );
  collectedGauge(registry, 'kvstore_txn_decisions', 'Transaction decisions the group holds as primary, not yet forgotten', ['group'], () =>
    groups().flatMap((g) => (g.decisions === undefined ? [] : [[{ group: String(g.group) }, g.decisions] as const])),
  );
}

/** A member's lock resolvers: locks resolved past their bound and decisions spread after their front door died. */
export function txnResolverMetrics(registry: Registry, totals: () => { resolvedLocks: number; finishedDecisions: number; prepareWaits: number }): void {
  collectedCounter(registry, 'kvstore_txn_prepare_waits_total', "Turns an older writer's PREPARE waited for a younger one's lock (wait-die) at this member's leaders", [], () => [[{}, totals().prepareWaits]]);
  collectedCounter(registry, 'kvstore_txn_resolved_locks_total', 'Locks held past their bound that this member resolved (asking the primary)', [], () => [[{}, totals().resolvedLocks]]);
  collectedCounter(registry, 'kvstore_txn_finished_decisions_total', 'Decisions whose front door died before spreading them, spread by this member', [], () => [[{}, totals().finishedDecisions]]);
}
