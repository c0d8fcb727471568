/**
 * The core's only source of randomness: a seeded generator the host passes in,
 * so any run is replayed exactly from its seed.
 */
export interface Rng {
  /** An integer in [lo, hi). */
  intBetween(lo: number, hi: number): number;
}

/**
 * Mulberry32: a small, fast, well-distributed 32-bit generator. Deterministic
 * for a given seed; good enough for election jitter and simulation schedules.
 */
export class SeededRng implements Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  intBetween(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.intBetween(0, items.length)];
    if (item === undefined) throw new RangeError('pick from an empty list');
    return item;
  }
}
