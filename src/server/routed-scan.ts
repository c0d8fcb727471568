import { SLOTS } from '../sharding/slot.js';
import type { SlotRange } from '../sharding/layout.js';
import type { KvAnswer, KvOp, KvSession } from './kv-service.js';
import type { KeyRouter } from './routed-kv.js';

/** Which group owns which slots: what SCAN walks. */
export interface SlotMap {
  groupOfSlot(slot: number): number;
  slotRangeOf(g: number): SlotRange;
}

/** The router's slot map; a router that knows none (one group) maps every slot to its only group. */
export function slotMapOf(router: KeyRouter, groups: readonly number[]): SlotMap {
  const { groupOfSlot, slotRangeOf } = router;
  if (groupOfSlot !== undefined && slotRangeOf !== undefined) return { groupOfSlot: (s) => groupOfSlot.call(router, s), slotRangeOf: (g) => slotRangeOf.call(router, g) };
  if (groups.length !== 1) throw new Error('routed kv: SCAN over several groups needs a router that knows slot ranges');
  const only = groups[0]!;
  return { groupOfSlot: () => only, slotRangeOf: () => ({ first: 0, last: SLOTS - 1 }) };
}

type ScanOp = Extract<KvOp, { type: 'scan' }>;
type ScanAnswer = Extract<KvAnswer, { type: 'scan' }>;

/**
 * One SCAN call over several groups: groups own contiguous slot ranges in
 * group order, so the position's slot names the group to ask, for its own
 * range only; at its range's end the position moves to the first slot of
 * the next group, which is asked for what is left of `count` (a leader
 * change in between changes nothing: positions are the same on every
 * replica). Each group visits at most what is left of `count`, so the whole
 * call visits about `count` keys, as Redis's does, whatever the groups.
 */
export async function routedScan(slots: SlotMap, op: ScanOp, sessionOf: (g: number) => KvSession): Promise<ScanAnswer> {
  const toSlot = Math.min(op.toSlot, SLOTS);
  const keys: Buffer[] = [];
  let from = op.from;
  let visited = 0;
  while (from.slot < toSlot && visited < op.count) {
    const g = slots.groupOfSlot(from.slot);
    const end = Math.min(toSlot, slots.slotRangeOf(g).last + 1);
    const a = await sessionOf(g).execute({ ...op, from, toSlot: end, count: op.count - visited });
    if (a.type !== 'scan') throw new Error(`kv answered ${a.type} to SCAN`);
    keys.push(...a.keys);
    // An empty group looks at nothing: count it as one visit so a call over many empty groups still ends.
    visited += Math.max(1, a.visited);
    from = a.next ?? { slot: end, hash: 0 };
  }
  return { type: 'scan', keys, next: from.slot < toSlot ? from : undefined, visited };
}

/** WAIT over groups: the least number of followers holding the session's writes in any group it wrote to. */
export async function routedReplicas(groups: Iterable<number>, sessionOf: (g: number) => KvSession): Promise<KvAnswer> {
  const counts = await Promise.all(
    [...groups].map((g) =>
      sessionOf(g)
        .execute({ type: 'replicas' })
        .then((a) => {
          if (a.type !== 'replicas') throw new Error(`kv answered ${a.type} to WAIT`);
          return a.n;
        }),
    ),
  );
  return { type: 'replicas', n: counts.length === 0 ? 0 : Math.min(...counts) };
}
