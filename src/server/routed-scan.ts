import { SLOTS } from '../sharding/slot.js';
import type { KvAnswer, KvOp, KvSession } from './kv-service.js';
import type { KeyRouter } from './routed-kv.js';

type ScanOp = Extract<KvOp, { type: 'scan' }>;
type ScanAnswer = Extract<KvAnswer, { type: 'scan' }>;

/**
 * One SCAN step over several groups: groups own contiguous slot ranges in
 * group order, so the position's slot names the one group to ask, for its
 * own range only; at its range's end the next position is the first slot of
 * the next group (a leader change in between changes nothing: positions are
 * the same on every replica). One group per call bounds the call's work.
 */
export function routedScan(router: KeyRouter, op: ScanOp, sessionOf: (g: number) => KvSession): Promise<ScanAnswer> {
  const { groupOfSlot, slotRangeOf } = router;
  if (groupOfSlot === undefined || slotRangeOf === undefined) throw new Error('routed kv: SCAN needs a router that knows slot ranges');
  if (op.from.slot >= Math.min(op.toSlot, SLOTS)) return Promise.resolve({ type: 'scan', keys: [], next: undefined });
  const g = groupOfSlot.call(router, op.from.slot);
  const end = Math.min(op.toSlot, slotRangeOf.call(router, g).last + 1);
  return sessionOf(g)
    .execute({ ...op, toSlot: end })
    .then((a) => {
      if (a.type !== 'scan') throw new Error(`kv answered ${a.type} to SCAN`);
      const next = a.next ?? (end < op.toSlot ? { slot: end, hash: 0 } : undefined);
      return { type: 'scan', keys: a.keys, next };
    });
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
