import type { NodeId } from '../../raft/types.js';
import type { TransportStats } from '../net/peer-transport.js';
import type { GroupMember } from './group-member.js';

/** `stat` at a member's prompt: one block for a member of one group, else one row per group shown (`several`: the member hosts more than one). */
export function memberStatusText(selfId: NodeId, groups: readonly GroupMember[], several = groups.length > 1): string {
  if (!several && groups.length === 1) {
    const g = groups[0]!;
    const st = g.replica.status();
    return [
      `id        ${st.id}`,
      `role      ${st.role}`,
      `term      ${st.term}`,
      `leader    ${st.leaderId === 0 ? 'none' : st.leaderId}`,
      `commit    ${st.commit}`,
      `applied   ${st.applied}`,
      `last log  ${st.lastIndex}`,
      `snapshot  ${st.snapshotIndex}`,
      `keys      ${g.sm.kv.size}`,
    ].join('\n');
  }
  const rows = [groups.length === 1 ? `id ${selfId}, group ${groups[0]!.groupId}` : `id ${selfId}, ${groups.length} groups`, 'group  role       term    leader  commit    applied   last log  snapshot  keys'];
  for (const g of groups) {
    const st = g.replica.status();
    rows.push(
      `${String(g.groupId).padEnd(7)}${st.role.padEnd(11)}${String(st.term).padEnd(8)}${(st.leaderId === 0 ? 'none' : String(st.leaderId)).padEnd(8)}` +
        `${String(st.commit).padEnd(10)}${String(st.applied).padEnd(10)}${String(st.lastIndex).padEnd(10)}${String(st.snapshotIndex).padEnd(10)}${g.sm.kv.size}`,
    );
  }
  return rows.join('\n');
}

/** `list` at a member's prompt: the members of each group with role, match index and reachability. */
export function memberListText(selfId: NodeId, selfAddress: string, groups: readonly GroupMember[], peers: TransportStats['peers'], several = groups.length > 1): string {
  const out: string[] = [];
  for (const g of groups) {
    const st = g.replica.status();
    if (several) out.push(`group ${g.groupId}`);
    out.push('id  address               role      match     reachable');
    const members = [...st.conf.voters.map((id) => [id, 'voter'] as const), ...st.conf.learners.map((id) => [id, 'learner'] as const)];
    members.sort((a, b) => a[0] - b[0]);
    for (const [id, kind] of members) {
      const pr = st.peers.find((p) => p.id === id);
      const role = id === st.leaderId ? 'leader' : kind === 'learner' ? 'learner' : 'follower';
      const addr = id === selfId ? selfAddress : (g.sm.addresses.get(id) ?? '?');
      const match = id === selfId ? String(st.lastIndex) : pr !== undefined ? String(pr.match) : '-';
      const link = peers[String(id)];
      const reachable = id === selfId ? 'self' : link === undefined ? 'unknown' : link.state === 'ready' ? 'yes' : 'no';
      out.push(`${String(id).padEnd(4)}${addr.padEnd(22)}${role.padEnd(10)}${match.padEnd(10)}${reachable}`);
    }
  }
  return out.join('\n');
}
