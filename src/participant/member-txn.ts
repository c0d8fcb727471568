import type { GroupTxnView } from '../server/txn-info.js';
import { DEFAULT_TXN_PARTICIPANT_OPTIONS } from '../txn/txn-participant.js';
import type { GroupMember } from './group-member.js';

/** Each hosted group's open transactions, as its replica's applied state holds them (INFO and /metrics). */
export function groupTxnViews(groups: readonly GroupMember[]): GroupTxnView[] {
  return groups.map((g) => ({ group: g.groupId, prepared: g.sm.kv.txns.preparedCount, decisions: g.sm.kv.txns.decisionCount, lockedKeys: g.sm.kv.txns.lockedKeys }));
}

/** What this member's lock resolvers did, over its groups. */
export function resolverTotals(groups: readonly GroupMember[]): { resolvedLocks: number; finishedDecisions: number; prepareWaits: number } {
  return {
    prepareWaits: groups.reduce((n, g) => n + g.kv.txn.waits, 0),
    resolvedLocks: groups.reduce((n, g) => n + g.kv.txn.resolvedLocks, 0),
    finishedDecisions: groups.reduce((n, g) => n + g.kv.txn.finishedDecisions, 0),
  };
}

/** Runs the lock resolvers a few times per lock timeout (each acts only where its group leads); returns the stop. */
export function startTxnSweeper(groups: readonly GroupMember[]): () => void {
  const timer = setInterval(() => {
    for (const g of groups) g.kv.txn.sweep();
  }, Math.max(10, Math.floor(DEFAULT_TXN_PARTICIPANT_OPTIONS.lockTimeoutMs / 4)));
  timer.unref();
  return () => clearInterval(timer);
}
