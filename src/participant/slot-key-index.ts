import { assert } from '../../raft/assert.js';
import { SLOTS, keySlotOfLatin1 } from '../sharding/slot.js';
import { after, assertPosition, keyHash48, type ScanPosition } from '../kv/scan-cursor.js';

/**
 * The keys of one replica by slot, for SCAN and KEYS (scan-cursor.ts): a
 * slot's keys are visited in (hash, key) order from any position, so a scan
 * resumes where the last call stopped on any replica, whatever was written
 * in between. Maintained on every insert and delete of the data map
 * (SlottedMap below), a few dozen bytes per key: a set entry that shares the
 * key's string. A slot's sorted order is built when a scan needs it and kept
 * while no key is added to the slot (a delete leaves it valid: a removed key
 * is skipped), so scanning a slot of m keys in calls of `count` costs
 * O(m log m) once, then O(log m + count) a call.
 */
export class SlotKeyIndex {
  /** Keys by slot; an empty slot holds undefined. Invariant: every set is non-empty. */
  readonly #slots: Array<Set<string> | undefined> = new Array<Set<string> | undefined>(SLOTS);
  /** A slot's keys sorted by (hash, key), if built since its last insert. May hold removed keys. */
  readonly #sorted = new Map<number, SortedSlot>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  add(key: string): void {
    const slot = keySlotOfLatin1(key);
    let set = this.#slots[slot];
    if (set === undefined) this.#slots[slot] = set = new Set();
    const before = set.size;
    set.add(key);
    if (set.size !== before) {
      this.#size++;
      if (this.#sorted.size > 0) this.#sorted.delete(slot);
    }
  }

  delete(key: string): void {
    const slot = keySlotOfLatin1(key);
    const set = this.#slots[slot];
    if (set === undefined || !set.delete(key)) return;
    this.#size--;
    if (set.size === 0) {
      this.#slots[slot] = undefined;
      if (this.#sorted.size > 0) this.#sorted.delete(slot);
    }
  }

  clear(): void {
    this.#slots.fill(undefined);
    this.#sorted.clear();
    this.#size = 0;
  }

  /**
   * Keys from `from` up to (not including) slot `toSlot`, in scan order,
   * visiting at most about `budget` keys: whole (slot, hash) runs, so it
   * may go a little over. `next` is where the following call starts;
   * undefined: every slot before toSlot is done; `visited` counts the
   * keys looked at. `keep` filters what is
   * returned (MATCH, expiry); rejected keys count against the budget too,
   * so a selective filter returns few keys per call, as Redis's does.
   */
  scan(from: ScanPosition, toSlot: number, budget: number, keep: (key: string) => boolean): { keys: string[]; next: ScanPosition | undefined; visited: number } {
    assertPosition(from);
    assert(Number.isInteger(toSlot) && toSlot >= 0 && toSlot <= SLOTS, () => `scan: toSlot ${toSlot} outside 0..${SLOTS}`);
    assert(Number.isInteger(budget) && budget >= 1, () => `scan: budget ${budget} is not a positive integer`);
    const keys: string[] = [];
    let visited = 0;
    let bytes = 0;
    for (let slot = from.slot; slot < toSlot; slot++) {
      const set = this.#slots[slot];
      if (set === undefined) continue;
      const sorted = this.#sortedOf(slot, set);
      let i = slot === from.slot ? sorted.firstAtOrAfter(from.hash) : 0;
      while (i < sorted.length) {
        const hash = sorted.hashes[i]!;
        // A (slot, hash) run is returned whole, so a cursor never lands inside one.
        for (; i < sorted.length && sorted.hashes[i] === hash; i++) {
          const key = sorted.keys[i]!;
          if (!set.has(key)) continue;
          visited++;
          if (keep(key)) {
            keys.push(key);
            bytes += key.length;
          }
        }
        // Bounded in keys looked at and in bytes returned (a reply must fit a peer frame).
        if (visited >= budget || bytes >= SCAN_REPLY_BYTES_MAX) {
          const next = after(slot, hash);
          return { keys, next: next.slot >= toSlot ? undefined : next, visited };
        }
      }
    }
    return { keys, next: undefined, visited };
  }

  #sortedOf(slot: number, set: Set<string>): SortedSlot {
    let s = this.#sorted.get(slot);
    if (s === undefined) {
      s = SortedSlot.of(set);
      // Kept only where sorting costs: a small slot sorts in microseconds.
      if (set.size >= SORTED_CACHE_KEYS_MIN) this.#sorted.set(slot, s);
    }
    return s;
  }

  /** For tests: the index holds exactly these keys, each in its slot. */
  checkInvariants(keys: Iterable<string>): void {
    let n = 0;
    for (const k of keys) {
      n++;
      assert(this.#slots[keySlotOfLatin1(k)]?.has(k) === true, () => `slot index: key ${k} missing`);
    }
    assert(n === this.#size, () => `slot index: ${this.#size} keys indexed, ${n} held`);
    for (const set of this.#slots) assert(set === undefined || set.size > 0, 'slot index: an empty slot set is kept');
  }
}

/** A scan step stops after the run that brings its keys to this many bytes (peer frames are 64 MiB at most). */
export const SCAN_REPLY_BYTES_MAX = 1 << 20;

/** Slots with at least this many keys keep their sorted order between scans. */
const SORTED_CACHE_KEYS_MIN = 256;

/** One slot's keys in (hash, key) order, hashes alongside. */
class SortedSlot {
  private constructor(
    readonly keys: readonly string[],
    readonly hashes: Float64Array,
  ) {}

  get length(): number {
    return this.keys.length;
  }

  static of(set: Set<string>): SortedSlot {
    const pairs = [...set].map((k) => [keyHash48(k), k] as const);
    pairs.sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    return new SortedSlot(
      pairs.map((p) => p[1]),
      Float64Array.from(pairs, (p) => p[0]),
    );
  }

  /** The first index whose hash is >= h (binary search). */
  firstAtOrAfter(h: number): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.hashes[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * The state machine's key -> value map, with the slot index kept in step on
 * every insert, delete and clear (whoever makes them: 1PC writes,
 * transactions, expiry, snapshot restore).
 */
export class SlottedMap<V> extends Map<string, V> {
  readonly index = new SlotKeyIndex();

  override set(key: string, value: V): this {
    const before = this.size;
    super.set(key, value);
    // Only a new key changes the index; an overwrite costs nothing more.
    if (this.size !== before) this.index.add(key);
    return this;
  }

  override delete(key: string): boolean {
    if (!super.delete(key)) return false;
    this.index.delete(key);
    return true;
  }

  override clear(): void {
    super.clear();
    this.index.clear();
  }
}
