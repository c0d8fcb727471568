import { assert } from '../../raft/assert.js';

/**
 * The expiries of one state machine's keys: key -> absolute ms, plus a
 * min-heap over (atMs, key) so the leader's sweep finds the expired keys
 * without scanning them all. The map is the truth (it goes in snapshots);
 * the heap is derived, lazily cleaned: an entry whose key has another
 * expiry now (or none) is dropped when it reaches the top.
 * Invariant: every key in the map has a heap entry with its current atMs.
 */
export class ExpiryIndex {
  readonly #at = new Map<string, number>();
  #heap: Array<readonly [number, string]> = [];

  get size(): number {
    return this.#at.size;
  }

  get(key: string): number | undefined {
    return this.#at.get(key);
  }

  /** Sets (atMs) or clears (undefined) a key's expiry. */
  set(key: string, atMs: number | undefined): void {
    if (atMs === undefined) {
      this.#at.delete(key);
      return;
    }
    assert(Number.isSafeInteger(atMs), () => `expiry: ${atMs} is not a safe integer of ms`);
    if (this.#at.get(key) === atMs) return;
    this.#at.set(key, atMs);
    this.#push([atMs, key]);
    // Stale heap entries are dropped as they surface; rebuild if they pile up (keys whose expiry keeps moving).
    if (this.#heap.length > 2 * this.#at.size + 1024) this.#rebuild();
  }

  delete(key: string): void {
    this.#at.delete(key);
  }

  /** Up to `max` keys whose expiry is <= nowMs, earliest first. Changes nothing the map holds. */
  expired(nowMs: number, max: number): string[] {
    const taken: Array<readonly [number, string]> = [];
    const out: string[] = [];
    while (out.length < max && this.#heap.length > 0 && this.#heap[0]![0] <= nowMs) {
      const top = this.#pop();
      if (this.#at.get(top[1]) !== top[0]) continue; // stale
      taken.push(top);
      out.push(top[1]);
    }
    // Still expiring until a replicated delete lands: back in the heap.
    for (const e of taken) this.#push(e);
    return out;
  }

  entries(): IterableIterator<[string, number]> {
    return this.#at.entries();
  }

  checkInvariants(hasKey: (key: string) => boolean): void {
    for (const k of this.#at.keys()) assert(hasKey(k), () => `expiry: ${JSON.stringify(k)} has an expiry but no value`);
    const current = new Set(this.#heap.filter(([at, k]) => this.#at.get(k) === at).map(([, k]) => k));
    assert(current.size === this.#at.size, 'expiry: a key with an expiry is missing from the heap');
  }

  #rebuild(): void {
    this.#heap = [];
    for (const [k, at] of this.#at) this.#push([at, k]);
  }

  #push(e: readonly [number, string]): void {
    const h = this.#heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]![0] <= h[i]![0]) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }

  #pop(): readonly [number, string] {
    const h = this.#heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l]![0] < h[m]![0]) m = l;
        if (r < h.length && h[r]![0] < h[m]![0]) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }
}
