import { assert } from '../../raft/assert.js';
import { makeLayout } from '../../src/sharding/layout.js';
import { SlotRouter } from '../../src/sharding/router.js';

/**
 * Keys the workload knows the group of: key slot s lives in group
 * (s mod groups) + 1, pinned there by a Redis hash tag `{tag}` chosen with
 * the router the front doors use (src/sharding), so a multi-key op over
 * slots of different groups is a transaction over those groups.
 * Slots depend only on `groups` (the participants do not move slots).
 */
export class GroupKeys {
  private readonly router: SlotRouter;
  /** tags[g-1]: a hash tag whose slot group g owns. */
  private readonly tags: string[];

  constructor(readonly groups: number) {
    assert(Number.isSafeInteger(groups) && groups >= 1, 'group keys: groups >= 1');
    this.router = new SlotRouter(makeLayout(['127.0.0.1:1'], { groups, replicas: 1 }));
    this.tags = Array.from({ length: groups }, (_, i) => this.tagOf(i + 1));
  }

  /** The key of workload slot `slot` in key epoch `epoch`. */
  key(slot: number, epoch: number): string {
    return `{${this.tags[slot % this.groups]!}}k${slot}e${epoch}`;
  }

  groupOfSlot(slot: number): number {
    return (slot % this.groups) + 1;
  }

  /** The group the front door routes `key` to. */
  groupOf(key: string): number {
    return this.router.groupOf(Buffer.from(key, 'utf8'));
  }

  /** The first tag `g<g>t<i>` whose slot falls in group g. */
  private tagOf(g: number): string {
    // Each group owns 1/groups of the slots: the expected search is `groups` tries.
    for (let i = 0; i < 100_000; i++) {
      const tag = `g${g}t${i}`;
      if (this.router.groupOf(Buffer.from(tag, 'utf8')) === g) return tag;
    }
    throw new Error(`group keys: no tag found for group ${g} of ${this.groups}`);
  }
}
