import { assert } from '../../raft/assert.js';
import type { Layout } from '../sharding/layout.js';
import { groupOfSlot, slotRange } from '../sharding/layout.js';
import { keySlot } from '../sharding/slot.js';

/** Tags tried per group before giving up (a group owns >= 1 of 16384 slots; a few thousand tags hit any range of 4+ slots). */
const tagTriesMax = 1_000_000;

/**
 * A Redis hash tag per group (`{e12}`): a key holding it lands in that
 * group's slots, so the load can aim writes at every group, and an MSET can
 * span several groups on purpose. Checked against the router's own mapping.
 */
export function groupTags(layout: Layout): string[] {
  const tags: string[] = [];
  for (let g = 1; g <= layout.groups; g++) {
    const { first, last } = slotRange(layout, g);
    let found: string | undefined;
    for (let i = 0; i < tagTriesMax && found === undefined; i++) {
      const s = keySlot(Buffer.from(`e${i}`));
      if (s >= first && s <= last) found = `e${i}`;
    }
    assert(found !== undefined, `no hash tag found for group ${g} (slots ${first}..${last})`);
    assert(groupOfSlot(layout, keySlot(Buffer.from(`{${found}}x`))) === g, `tag ${found} does not route to group ${g}`);
    tags.push(found);
  }
  return tags;
}
