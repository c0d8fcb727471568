import { assert } from './assert.js';

/**
 * The AppendEntries messages sent to one follower and not yet acknowledged,
 * remembered by the last index each carried. Bounds the replication pipeline:
 * a leader sends nothing more to a follower whose window is full.
 * Invariant: indexes strictly increase from oldest to newest; count <= capacity.
 */
export class Inflights {
  private readonly buf: number[];
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    assert(capacity >= 1, 'inflights capacity >= 1');
    this.buf = new Array<number>(capacity).fill(0);
  }

  get size(): number {
    return this.count;
  }

  full(): boolean {
    return this.count === this.capacity;
  }

  add(lastIndex: number): void {
    assert(!this.full(), 'inflights: add to a full window');
    if (this.count > 0) {
      const newest = this.buf[(this.start + this.count - 1) % this.capacity]!;
      assert(lastIndex > newest, () => `inflights: ${lastIndex} not after ${newest}`);
    }
    this.buf[(this.start + this.count) % this.capacity] = lastIndex;
    this.count++;
  }

  /** Frees every message whose last index is <= index (acknowledged). */
  freeLE(index: number): void {
    while (this.count > 0 && this.buf[this.start]! <= index) {
      this.start = (this.start + 1) % this.capacity;
      this.count--;
    }
  }

  /** Frees the oldest message: its acknowledgement may have been lost (see heartbeat responses). */
  freeFirstOne(): void {
    if (this.count === 0) return;
    this.start = (this.start + 1) % this.capacity;
    this.count--;
  }

  reset(): void {
    this.start = 0;
    this.count = 0;
  }
}
