import type { NodeId } from '../../raft/types.js';
import { groupReplicas, groupsOf, preferredLeader } from '../sharding/layout.js';
import { encodeLayout } from '../sharding/layout-codec.js';
import type { Layout } from '../sharding/layout.js';
import { SlotRouter } from '../sharding/router.js';
import type { MemberOptions } from './raft-member.js';

/** What a member process hosts under a layout: its groups (with their voters and preferred leader) and its front door's router. */
export function shardingOf(layout: Layout, selfId: NodeId): NonNullable<MemberOptions['sharding']> {
  // Replicas come in ring order; a Raft membership lists voters sorted.
  const groups = groupsOf(layout, selfId).map((g) => ({
    id: g,
    voters: [...groupReplicas(layout, g)].sort((a, b) => a - b),
    preferredLeader: preferredLeader(layout, g),
  }));
  return { groups, router: new SlotRouter(layout), layout: encodeLayout(layout), replicasOf: (g) => groupReplicas(layout, g) };
}
