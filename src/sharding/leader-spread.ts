import { assert } from '../../raft/assert.js';
import { groupReplicas, preferredLeader, type Layout } from './layout.js';

/**
 * Which participant should lead each group, so that every live process
 * leads about N/P groups instead of one process leading them all (leaders
 * do the fsyncs and answer the clients). Whoever drives the transfers (the
 * coordinator, or a raft peer's front door) asks each group's current
 * leader to hand over (Raft §3.10 leadership transfer, `transferLeader`).
 *
 * The rule: the target of each group depends only on the layout and on
 * which participants are alive, never on who leads now, so every front door
 * computes the same targets, applying them is idempotent, and nothing
 * oscillates while the set of live participants stays the same.
 *
 * 1. A group whose preferred leader (its first replica) is alive targets it.
 *    With everyone alive that is the layout's even spread: participant p
 *    leads groups p, p+P, p+2P, …; and a participant that comes back gets
 *    its groups back.
 * 2. The other groups (orphans), in group order, target their live replica
 *    that leads the fewest groups so far (counting step 1 and earlier
 *    orphans), ties going to the earliest in the group's ring order. So a
 *    dead participant's groups are shared out among the live replicas
 *    rather than piled on its ring successor. When every group is on every
 *    participant (R = P, as in kvstoreraftsystem) the live participants'
 *    loads then differ by at most one; with R < P an orphan can only go to
 *    its own replicas, so the spread is as even as greedy choice allows.
 * 3. A group with no live replica has no target (it cannot elect anyone).
 *
 * A transfer is proposed only from a live, known leader (a dead one cannot
 * hand over; its group elects someone and the next round looks again), and
 * never to a dead participant.
 */

export interface LeaderMove {
  readonly group: number;
  /** The current leader, alive. */
  readonly from: number;
  /** The target leader: alive, a replica of the group, not `from`. */
  readonly to: number;
}

function assertAlive(layout: Layout, alive: ReadonlySet<number>): void {
  for (const id of alive) {
    assert(Number.isInteger(id) && id >= 1 && id <= layout.participants.length, () => `alive participant ${id} is not in 1..${layout.participants.length}`);
  }
}

/** The target leader of each group that has a live replica (see the rule above). */
export function leaderTargets(layout: Layout, alive: ReadonlySet<number>): Map<number, number> {
  assertAlive(layout, alive);
  const targets = new Map<number, number>();
  /** Groups targeted at each participant so far; index = participant id. */
  const load = new Array<number>(layout.participants.length + 1).fill(0);
  const orphans: number[] = [];
  for (let g = 1; g <= layout.groups; g++) {
    const preferred = preferredLeader(layout, g);
    if (alive.has(preferred)) {
      targets.set(g, preferred);
      load[preferred]! += 1;
    } else {
      orphans.push(g);
    }
  }
  for (const g of orphans) {
    let best: number | undefined;
    for (const id of groupReplicas(layout, g)) {
      if (alive.has(id) && (best === undefined || load[id]! < load[best]!)) best = id;
    }
    if (best === undefined) continue;
    targets.set(g, best);
    load[best]! += 1;
  }
  return targets;
}

/**
 * The leadership transfers that bring each group to its target, in group
 * order. `leaders` maps a group to its current leader; a group missing from
 * it has no known leader and is left alone.
 */
export function spreadMoves(layout: Layout, alive: ReadonlySet<number>, leaders: ReadonlyMap<number, number>): LeaderMove[] {
  for (const g of leaders.keys()) assert(Number.isInteger(g) && g >= 1 && g <= layout.groups, () => `leader given for group ${g}, not in 1..${layout.groups}`);
  const targets = leaderTargets(layout, alive);
  const moves: LeaderMove[] = [];
  for (let g = 1; g <= layout.groups; g++) {
    const from = leaders.get(g);
    if (from === undefined) continue;
    assert(groupReplicas(layout, g).includes(from), () => `leader ${from} of group ${g} is not one of its replicas`);
    const to = targets.get(g);
    if (to === undefined || to === from || !alive.has(from)) continue;
    moves.push({ group: g, from, to });
  }
  return moves;
}
