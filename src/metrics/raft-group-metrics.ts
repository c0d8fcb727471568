import type { Registry } from 'prom-client';
import type { RaftStatus } from '../../raft/ready.js';
import { ROLES } from '../../raft/types.js';
import { collectedCounter, collectedGauge } from './collected.js';
import type { Sample } from './collected.js';
import { scrapeMemo } from './scrape-memo.js';

/** What the metrics read of one hosted group (GroupReplica is one). */
export interface GroupView {
  readonly groupId: number;
  status(): RaftStatus;
  counters(): { readonly leaderChangesSeen: number; readonly proposalsCommitted: number; readonly proposalsFailed: number };
}

interface Reading {
  readonly group: string;
  readonly st: RaftStatus;
  readonly counts: ReturnType<GroupView['counters']>;
}

/**
 * Per group, from each replica's status at scrape time: role, term,
 * leader, indexes, and the counters it keeps; a leader adds each
 * follower's match index and lag. Labels: group, and peer for followers.
 */
export function raftGroupMetrics(registry: Registry, groups: () => readonly GroupView[]): void {
  const read = scrapeMemo((): Reading[] => groups().map((g) => ({ group: String(g.groupId), st: g.status(), counts: g.counters() })));
  const perGroup = (f: (r: Reading) => number) => (): Array<Sample<'group'>> => read().map((r) => [{ group: r.group }, f(r)]);
  const gauge = (name: string, help: string, f: (r: Reading) => number): void => void collectedGauge(registry, name, help, ['group'], perGroup(f));
  const counter = (name: string, help: string, f: (r: Reading) => number): void => void collectedCounter(registry, name, help, ['group'], perGroup(f));

  gauge('kvstore_raft_is_leader', '1 when this node leads the group', (r) => (r.st.role === 'leader' ? 1 : 0));
  gauge('kvstore_raft_has_leader', '1 when this node knows a leader of the group', (r) => (r.st.leaderId !== 0 ? 1 : 0));
  gauge('kvstore_raft_leader_id', 'The leader this node knows (0: none)', (r) => r.st.leaderId);
  gauge('kvstore_raft_term', 'Current term', (r) => r.st.term);
  gauge('kvstore_raft_commit_index', 'Highest log index known committed', (r) => r.st.commit);
  gauge('kvstore_raft_applied_index', 'Highest log index applied to the state machine', (r) => r.st.applied);
  gauge('kvstore_raft_last_log_index', 'Index of the last entry in the log', (r) => r.st.lastIndex);
  gauge('kvstore_raft_snapshot_index', 'Index the newest snapshot covers', (r) => r.st.snapshotIndex);
  counter('kvstore_raft_leader_changes_seen_total', 'Times this node learned of a new leader', (r) => r.counts.leaderChangesSeen);
  counter('kvstore_raft_proposals_committed_total', 'Commands proposed here, applied and answered', (r) => r.counts.proposalsCommitted);
  counter('kvstore_raft_proposals_failed_total', 'Commands proposed here that failed (refused, lost, timed out, leadership lost)', (r) => r.counts.proposalsFailed);
  counter('kvstore_raft_elections_started_total', 'Elections this node started as a candidate', (r) => r.st.electionsStarted);
  collectedGauge(registry, 'kvstore_raft_role', '1 for the role this node has in the group, 0 for the others', ['group', 'role'], () =>
    read().flatMap((r) => ROLES.map((role) => [{ group: r.group, role }, r.st.role === role ? 1 : 0] as const)),
  );
  const followers = (f: (st: RaftStatus, match: number) => number) => (): Array<Sample<'group' | 'peer'>> =>
    read().flatMap((r) =>
      r.st.role !== 'leader' ? [] : r.st.peers.filter((p) => p.id !== r.st.id).map((p) => [{ group: r.group, peer: String(p.id) }, f(r.st, p.match)] as const),
    );
  collectedGauge(registry, 'kvstore_raft_follower_match_index', 'Leader only: the highest index known replicated on each follower', ['group', 'peer'], followers((_st, match) => match));
  collectedGauge(registry, 'kvstore_raft_follower_lag_entries', 'Leader only: entries each follower is behind the leader\'s last index', ['group', 'peer'], followers((st, match) => Math.max(0, st.lastIndex - match)));
}
