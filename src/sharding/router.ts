import { groupOfSlot, groupReplicas, slotRange, type Layout, type SlotRange } from './layout.js';
import { keySlot } from './slot.js';

/**
 * Key -> group for one layout; the same code in the coordinator and in
 * every kvstoreraftsystem peer, so a key goes to the same group whichever
 * front door a client talks to. Pure: it owns no sockets and learns no
 * leaders; who leads a group is the caller's business.
 */
export class SlotRouter {
  /** Replicas of each group, index g-1, computed once: they are asked per request. */
  private readonly replicas: ReadonlyArray<readonly number[]>;

  constructor(readonly layout: Layout) {
    this.replicas = Array.from({ length: layout.groups }, (_, i) => Object.freeze(groupReplicas(layout, i + 1)));
  }

  slotOf(key: Uint8Array): number {
    return keySlot(key);
  }

  /** The group owning the key's slot (1..groups). */
  groupOf(key: Uint8Array): number {
    return groupOfSlot(this.layout, keySlot(key));
  }

  /**
   * The keys of a multi-key command (MSET, DEL, …) by group: each group maps
   * to the indexes of its keys in `keys`, in the order given. Groups come in
   * ascending id order, whatever the key order, so work over several groups
   * (2PC prepares, lock order) is done in one order everywhere.
   */
  groupsOf(keys: readonly Uint8Array[]): Map<number, number[]> {
    const byGroup = new Map<number, number[]>();
    for (const [i, key] of keys.entries()) {
      const g = this.groupOf(key);
      const list = byGroup.get(g);
      if (list === undefined) byGroup.set(g, [i]);
      else list.push(i);
    }
    return new Map([...byGroup].sort((a, b) => a[0] - b[0]));
  }

  groupOfSlot(slot: number): number {
    return groupOfSlot(this.layout, slot);
  }

  /** The participants holding group g, preferred leader first. */
  replicasOf(g: number): readonly number[] {
    // groupReplicas asserts the range; the cache is only for groups it accepted.
    return this.replicas[g - 1] ?? groupReplicas(this.layout, g);
  }

  slotRangeOf(g: number): SlotRange {
    return slotRange(this.layout, g);
  }
}
