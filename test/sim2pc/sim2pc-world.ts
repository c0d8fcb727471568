import { SeededRng } from '../../raft/rng.js';
import type { TxnEnv } from '../../src/txn/txn-client.js';

interface Timed {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
}

/** Lets every promise continuation queued so far run (process.nextTick runs once V8's microtask queue is empty). */
function drainMicrotasks(): Promise<void> {
  return new Promise<void>((resolve) => process.nextTick(resolve));
}

/**
 * The 2PC simulation's clock, event queue and randomness. Every input the
 * shipped protocol code sees (time, sleeps, message arrivals, replies,
 * crashes) is an event here; after each event the microtask queue is
 * drained, so the continuations it set off run before the next one.
 * Same seed, same run.
 * Invariant: `now` never decreases; events run in (at, seq) order.
 */
export class Sim2pcWorld {
  now = 0;
  events = 0;
  readonly rng: SeededRng;
  #seq = 0;
  readonly #heap: Timed[] = [];
  #failure: unknown;

  constructor(readonly seed: number) {
    this.rng = new SeededRng(seed >>> 0 || 1);
  }

  at(delayMs: number, run: () => void): void {
    const e: Timed = { at: this.now + Math.max(0, delayMs), seq: this.#seq++, run };
    const h = this.#heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  /** An env whose sleeps end only while `alive()` holds (a crashed front door's timers never fire). */
  env(alive: () => boolean = () => true): TxnEnv {
    return {
      now: () => this.now,
      sleep: (ms) =>
        new Promise<void>((resolve) => {
          this.at(ms, () => {
            if (alive()) resolve();
          });
        }),
      random: () => this.rng.next(),
    };
  }

  fail(err: unknown): void {
    this.#failure ??= err;
  }

  get failure(): unknown {
    return this.#failure;
  }

  /** Runs events until `untilMs` or a failure. */
  async runUntil(untilMs: number, afterEach: () => void = () => {}): Promise<void> {
    await drainMicrotasks();
    while (this.#failure === undefined) {
      const next = this.#heap[0];
      if (next === undefined || next.at > untilMs) break;
      this.#pop();
      this.now = next.at;
      this.events++;
      try {
        next.run();
      } catch (err) {
        this.fail(err);
      }
      await drainMicrotasks();
      try {
        afterEach();
      } catch (err) {
        this.fail(err);
      }
    }
    if (this.#failure === undefined) this.now = Math.max(this.now, untilMs);
  }

  #pop(): void {
    const h = this.#heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

function before(a: Timed, b: Timed): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
