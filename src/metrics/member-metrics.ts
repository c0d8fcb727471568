import type { Registry } from 'prom-client';
import type { BatchObserver } from '../../storage/group-commit.js';
import type { PeerTransport } from '../net/peer-transport.js';
import type { GroupMember } from '../participant/group-member.js';
import type { SnapshotPhase } from '../participant/host-contract.js';
import type { HostLoop } from '../participant/host-loop.js';
import type { FrontDoorStats } from '../server/front-door-stats.js';
import type { TxnFrontDoorStats } from '../server/txn-front-door-stats.js';
import { groupTxnViews, resolverTotals } from '../participant/member-txn.js';
import { diskMetrics } from './disk-metrics.js';
import { txnFrontDoorMetrics, txnGroupMetrics, txnResolverMetrics } from './txn-metrics.js';
import { frontDoorMetrics } from './front-door-metrics.js';
import { hostLoopMetrics } from './host-loop-metrics.js';
import { nodeRegistry } from './node-registry.js';
import type { NodeKind } from './node-registry.js';
import { peerMetrics } from './peer-metrics.js';
import { raftGroupMetrics } from './raft-group-metrics.js';
import { restartMetrics } from './restart-metrics.js';
import { snapshotMetrics } from './snapshot-metrics.js';

/**
 * A member process's metrics, in two steps because its parts come in two:
 * the hooks (disk batches, snapshot timings, request latency) must exist
 * before the store and groups are opened; the collectors over groups,
 * loop and transport are added once those exist (`watch`).
 */
export interface MemberMetrics {
  readonly registry: Registry;
  readonly onBatch: BatchObserver;
  readonly onSnapshotSeconds: (phase: SnapshotPhase, seconds: number) => void;
  watch(parts: { readonly groups: readonly GroupMember[]; readonly loop: HostLoop; readonly transport: PeerTransport; readonly txn: TxnFrontDoorStats }): void;
}

export function memberMetrics(kind: NodeKind, id: number, frontDoor: FrontDoorStats): MemberMetrics {
  const registry = nodeRegistry(kind, id);
  frontDoorMetrics(registry, frontDoor);
  return {
    registry,
    onBatch: diskMetrics(registry),
    onSnapshotSeconds: snapshotMetrics(registry),
    watch({ groups, loop, transport, txn }) {
      txnFrontDoorMetrics(registry, txn);
      txnGroupMetrics(registry, () => groupTxnViews(groups));
      txnResolverMetrics(registry, () => resolverTotals(groups));
      raftGroupMetrics(registry, () => groups.map((g) => g.replica));
      peerMetrics(registry, () => transport.stats().traffic);
      hostLoopMetrics(registry, loop.stats);
      restartMetrics(registry, () => groups.map((g) => g.replay));
    },
  };
}
