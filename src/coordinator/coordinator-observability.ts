import type { TxnFrontDoorStats } from '../server/txn-front-door-stats.js';
import { txnFrontDoorMetrics, txnGroupMetrics } from '../metrics/txn-metrics.js';
import type { Registry } from 'prom-client';
import { formatEndpoint } from '../config/address.js';
import { collectedGauge } from '../metrics/collected.js';
import { frontDoorMetrics } from '../metrics/front-door-metrics.js';
import type { Readiness } from '../metrics/metrics-server.js';
import { nodeRegistry } from '../metrics/node-registry.js';
import { peerMetrics } from '../metrics/peer-metrics.js';
import { scrapeMemo } from '../metrics/scrape-memo.js';
import type { FrontDoorStats } from '../server/front-door-stats.js';
import type { InfoSection } from '../server/info-text.js';
import { groupReplicas } from '../sharding/layout.js';
import type { Layout } from '../sharding/layout.js';
import { groupLeaderView } from './coordinator-status.js';
import type { GroupLeaderView } from './coordinator-status.js';
import type { ParticipantTracker } from './participant-tracker.js';

/** Every group's leader as the coordinator believes it now. */
function leaderViews(layout: Layout, tracker: ParticipantTracker): GroupLeaderView[] {
  const rows = tracker.snapshot();
  const out: GroupLeaderView[] = [];
  for (let g = 1; g <= layout.groups; g++) out.push(groupLeaderView(tracker, rows, g));
  return out;
}

/** The coordinator's registry: its front door, its links to the participants, and what it believes of each group. */
export function coordinatorMetrics(layout: Layout, tracker: ParticipantTracker, frontDoor: FrontDoorStats, txn: TxnFrontDoorStats): Registry {
  const registry = nodeRegistry('coordinator', 0);
  frontDoorMetrics(registry, frontDoor);
  txnFrontDoorMetrics(registry, txn);
  txnGroupMetrics(registry, () => leaderViews(layout, tracker));
  peerMetrics(registry, () => tracker.traffic());
  const views = scrapeMemo(() => leaderViews(layout, tracker));
  collectedGauge(registry, 'kvstore_coordinator_participant_up', '1 while the participant answers heartbeats', ['participant'], () =>
    tracker.snapshot().map((p) => [{ participant: String(p.id) }, p.alive ? 1 : 0] as const),
  );
  collectedGauge(registry, 'kvstore_coordinator_group_has_leader', '1 when the coordinator knows a leader of the group', ['group'], () =>
    views().map((v) => [{ group: String(v.group) }, v.leader === 0 ? 0 : 1] as const),
  );
  collectedGauge(registry, 'kvstore_coordinator_group_leader_id', 'The participant the coordinator routes the group to (0: none)', ['group'], () =>
    views().map((v) => [{ group: String(v.group) }, v.leader] as const),
  );
  return registry;
}

/** /readyz of a coordinator: it knows a leader for every group, so it can route every key. */
export function coordinatorReadiness(layout: Layout, tracker: ParticipantTracker): Readiness {
  const problem = tracker.layoutProblem();
  if (problem !== undefined) return { ready: false, reason: `layout mismatch: ${problem}` };
  const leaderless = leaderViews(layout, tracker).filter((v) => v.leader === 0).map((v) => v.group);
  return leaderless.length === 0 ? { ready: true, reason: '' } : { ready: false, reason: `no known leader for group ${leaderless.join(', ')}` };
}

/** /status of a coordinator: each group's routing, each participant's liveness and reported groups. */
export function coordinatorStatusJson(self: string, layout: Layout, tracker: ParticipantTracker): unknown {
  return {
    kind: 'coordinator',
    listen: self,
    pid: process.pid,
    uptime_seconds: process.uptime(),
    // TODO(issue 13): open cross-group transactions, once 2PC exists.
    txn_open: 0,
    groups: leaderViews(layout, tracker).map((v) => ({ group: v.group, replicas: groupReplicas(layout, v.group), leader: v.leader, term: v.term ?? null, commit: v.commit ?? null })),
    participants: tracker.snapshot().map((p) => ({
      id: p.id,
      address: formatEndpoint(p.address),
      alive: p.alive,
      missed_heartbeats: p.missed,
      groups: p.status?.groups ?? [],
      ...(p.layoutProblem !== undefined ? { layout_problem: p.layoutProblem } : {}),
    })),
  };
}

/** INFO's Keyspace (a coordinator holds no data) and Raft sections of a coordinator. */
export function coordinatorInfoSections(layout: Layout, tracker: ParticipantTracker): InfoSection[] {
  return [
    { name: 'Keyspace', fields: () => [] },
    {
      name: 'Raft',
      fields: () => [
        ['raft_groups', layout.groups],
        ...leaderViews(layout, tracker).map((v) => [`group${v.group}`, `leader=${v.leader},term=${v.term ?? -1},commit=${v.commit ?? -1}`] as const),
        ...tracker.snapshot().map((p) => [`participant${p.id}`, `address=${formatEndpoint(p.address)},alive=${p.alive ? 1 : 0},missed=${p.missed}`] as const),
      ],
    },
  ];
}
