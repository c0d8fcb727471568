// TEMPORARY
import type { Layout } from './layout.js';
import { groupOfSlot } from './layout.js';
import { keySlot } from './slot.js';
export class SlotRouter { constructor(private readonly l: Layout) {} groupOf(key: Uint8Array): number { return groupOfSlot(this.l, keySlot(key)); } }
