import type { NodeId } from '../../raft/types.js';
import type { Readiness } from '../metrics/metrics-server.js';
import { replayDoneSeconds } from '../metrics/restart-metrics.js';
import type { InfoSection } from '../server/info-text.js';
import type { GroupMember } from './group-member.js';

/** One group as /status shows it; a leader adds its followers' progress. */
export function groupStatusJson(g: GroupMember): Record<string, unknown> {
  const st = g.replica.status();
  const c = g.replica.counters();
  return {
    group: g.groupId,
    role: st.role,
    term: st.term,
    leader: st.leaderId,
    commit: st.commit,
    applied: st.applied,
    first_index: st.firstIndex,
    last_index: st.lastIndex,
    snapshot_index: st.snapshotIndex,
    keys: g.sm.kv.size,
    elections_started: st.electionsStarted,
    leader_changes_seen: c.leaderChangesSeen,
    proposals_committed: c.proposalsCommitted,
    proposals_failed: c.proposalsFailed,
    replay: { to_index: g.replay.toIndex, entries: g.replay.entries, done_seconds: g.replay.doneSeconds ?? null },
    ...(st.role === 'leader'
      ? {
          lead_transferee: st.leadTransferee,
          followers: st.peers
            .filter((p) => p.id !== st.id)
            .map((p) => ({ id: p.id, learner: p.learner, match: p.match, next: p.next, state: p.state, active: p.recentActive, lag: Math.max(0, st.lastIndex - p.match) })),
        }
      : {}),
  };
}

/** /status of a member: what it is, then every group it hosts. */
export function memberStatusJson(id: NodeId, kind: string, groups: readonly GroupMember[]): unknown {
  return {
    id,
    kind,
    pid: process.pid,
    uptime_seconds: process.uptime(),
    replay_done_seconds: replayDoneSeconds(groups.map((g) => g.replay)) ?? null,
    // TODO(issue 13): pending cross-group transactions, once 2PC exists.
    txn_open: 0,
    groups: groups.map(groupStatusJson),
  };
}

/** /readyz of a member: every group it hosts has a known leader. */
export function memberReadiness(groups: readonly GroupMember[]): Readiness {
  const leaderless = groups.filter((g) => g.replica.leaderId === 0).map((g) => g.groupId);
  return leaderless.length === 0 ? { ready: true, reason: '' } : { ready: false, reason: `no known leader for group ${leaderless.join(', ')}` };
}

/** INFO's Keyspace and Raft sections of a member. Keys: over every group replica it holds (leaders' and followers'). */
export function memberInfoSections(id: NodeId, groups: readonly GroupMember[]): InfoSection[] {
  return [
    { name: 'Keyspace', fields: () => [['db0', `keys=${groups.reduce((n, g) => n + g.sm.kv.size, 0)},expires=${groups.reduce((n, g) => n + g.sm.kv.expiringKeys, 0)},avg_ttl=0`]] },
    {
      name: 'Raft',
      fields: () => [
        ['raft_node_id', id],
        ['raft_groups', groups.length],
        ...groups.map((g) => {
          const st = g.replica.status();
          return [
            `group${g.groupId}`,
            `role=${st.role},term=${st.term},leader=${st.leaderId},commit=${st.commit},applied=${st.applied},last_index=${st.lastIndex},snapshot_index=${st.snapshotIndex}`,
          ] as const;
        }),
      ],
    },
  ];
}
