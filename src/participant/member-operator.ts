import type { NodeId } from '../../raft/types.js';
import type { GroupMember } from './group-member.js';
import { NodeError } from './node-error.js';

/** How often a transfer's outcome is looked at. */
const TRANSFER_POLL_MS = 20;

/**
 * The group an operator command means: the one named, or the only one.
 * Throws a BAD_REQUEST saying what to type otherwise.
 */
export function chooseGroup(groups: readonly GroupMember[], group: number | undefined, usage: string): GroupMember {
  if (group === undefined) {
    if (groups.length === 1) return groups[0]!;
    throw new NodeError('BAD_REQUEST', `this member hosts ${groups.length} groups (${groupIds(groups)}): say which, ${usage}`);
  }
  const g = groups.find((x) => x.groupId === group);
  if (g === undefined) throw new NodeError('BAD_REQUEST', `this member does not host group ${group} (it hosts ${groupIds(groups)})`);
  return g;
}

/** The groups a command names: one, or all when none is named. */
export function chooseGroups(groups: readonly GroupMember[], group: number | undefined): readonly GroupMember[] {
  return group === undefined ? groups : [chooseGroup(groups, group, '')];
}

function groupIds(groups: readonly GroupMember[]): string {
  return groups.map((g) => g.groupId).join(', ');
}

/**
 * `transfer <id>`: hands leadership of the group to `to` (TimeoutNow,
 * Raft thesis §3.10) and resolves once this node sees `to` lead; refuses
 * at once what cannot work (not the leader, not a voter, to itself), and
 * fails after `timeoutMs` (the core abandons a transfer after an election
 * timeout; a follower that cannot catch up never gets it).
 */
export async function transferLeadership(selfId: NodeId, g: GroupMember, to: NodeId, timeoutMs: number): Promise<{ readonly term: number }> {
  const st = g.replica.status();
  if (st.role !== 'leader') {
    throw new NodeError('NOT_LEADER', `not the leader of group ${g.groupId} (${st.leaderId === 0 ? 'no leader known' : `the leader is ${st.leaderId}`}): transfer from the leader's prompt`);
  }
  if (to === selfId) throw new NodeError('BAD_REQUEST', `${selfId} leads group ${g.groupId} already`);
  if (!st.conf.voters.includes(to)) throw new NodeError('BAD_REQUEST', `${to} is not a voter of group ${g.groupId} (voters: ${st.conf.voters.join(', ')})`);
  await g.replica.withNode((n) => n.transferLeader(to));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = g.replica.status();
    if (now.leaderId === to) return { term: now.term };
    if (Date.now() >= deadline) {
      throw new NodeError('TIMEOUT', `transfer of group ${g.groupId} to ${to} did not finish within ${timeoutMs} ms (the leader is ${now.leaderId === 0 ? 'unknown' : now.leaderId}); is ${to} up and caught up?`);
    }
    await new Promise((r) => setTimeout(r, TRANSFER_POLL_MS));
  }
}

/** `snapshot`: takes one now in each group named (or all) and says the index each covers. */
export async function snapshotNow(groups: readonly GroupMember[]): Promise<Array<{ readonly group: number; readonly index: number }>> {
  const out: Array<{ group: number; index: number }> = [];
  for (const g of groups) {
    await g.replica.snapshotNow();
    out.push({ group: g.groupId, index: g.replica.status().snapshotIndex });
  }
  return out;
}
