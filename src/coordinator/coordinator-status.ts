import { formatEndpoint } from '../config/address.js';
import type { Endpoint } from '../config/address.js';
import { groupReplicas, slotRange } from '../sharding/layout.js';
import type { Layout } from '../sharding/layout.js';
import type { ParticipantTracker } from './participant-tracker.js';

/** What the coordinator believes of one group: its leader (if a live participant says it leads) and that leader's report. */
export interface GroupLeaderView {
  readonly group: number;
  /** 0: no leader known. */
  readonly leader: number;
  readonly term: number | undefined;
  readonly commit: number | undefined;
  /** Open transactions in the leader's report: prepared records (holding locks) and decisions not yet forgotten. */
  readonly prepared: number | undefined;
  readonly decisions: number | undefined;
}

export function groupLeaderView(tracker: ParticipantTracker, rows: ReturnType<ParticipantTracker['snapshot']>, group: number): GroupLeaderView {
  const leader = tracker.leaderOf(group);
  const st = leader === undefined ? undefined : rows.find((r) => r.id === leader.id)?.status?.groups.find((x) => x.group === group);
  return { group, leader: leader === undefined || st?.role !== 'leader' ? 0 : leader.id, term: st?.term, commit: st?.commit, prepared: st?.prepared, decisions: st?.decisions };
}

/** `stat` at the coordinator prompt: the cluster, then one row per group (or only `only`). */
export function coordinatorStatusText(self: Endpoint, layout: Layout, tracker: ParticipantTracker, only?: number): string {
  const rows = tracker.snapshot();
  const live = rows.filter((r) => r.alive).length;
  const problem = tracker.layoutProblem();
  const out = [
    `coordinator  ${formatEndpoint(self)}`,
    `participants ${rows.length} (${live} alive)`,
    `groups       ${layout.groups} of ${layout.replicas} replicas, 16384 slots`,
    ...(problem === undefined ? [] : [`LAYOUT MISMATCH: ${problem}; every command is refused`]),
    'group  slots          replicas     leader  term    commit    txns',
  ];
  for (let g = 1; g <= layout.groups; g++) {
    if (only !== undefined && g !== only) continue;
    const range = slotRange(layout, g);
    const v = groupLeaderView(tracker, rows, g);
    const leaderText = v.leader === 0 ? 'none' : String(v.leader);
    out.push(
      `${String(g).padEnd(7)}${`${range.first}-${range.last}`.padEnd(15)}${groupReplicas(layout, g).join(',').padEnd(13)}${leaderText.padEnd(8)}${String(v.term ?? '-').padEnd(8)}${String(v.commit ?? '-').padEnd(10)}${v.prepared === undefined ? '-' : `${v.prepared} open, ${v.decisions ?? 0} decided`}`,
    );
  }
  return out.join('\n');
}

/** `list` at the coordinator prompt: one row per participant, with the groups it leads and follows. */
export function coordinatorMembersText(tracker: ParticipantTracker): string {
  const out = ['id  address               liveness  leads     follows'];
  for (const r of tracker.snapshot()) {
    const groups = r.status?.groups ?? [];
    const leads = groups.filter((g) => g.role === 'leader').map((g) => g.group);
    const follows = groups.filter((g) => g.role !== 'leader').map((g) => g.group);
    const list = (gs: number[]): string => (r.status === undefined ? '-' : gs.length === 0 ? 'none' : gs.join(','));
    out.push(`${String(r.id).padEnd(4)}${formatEndpoint(r.address).padEnd(22)}${(r.alive ? 'alive' : 'dead').padEnd(10)}${list(leads).padEnd(10)}${list(follows)}`);
  }
  return out.join('\n');
}
