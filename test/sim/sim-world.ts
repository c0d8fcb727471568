import { assert } from '../../raft/assert.js';

/**
 * Steps of one tick. Ticks, client actions and deliveries happen at tick
 * boundaries; a disk write completes a seeded number of steps after it was
 * handed to the disk, so writes of different processes overlap and a crash
 * can land while one is in flight.
 */
export const STEPS_PER_TICK = 4;
/** Events one step may run before we call it a livelock in the host. */
export const EVENTS_PER_STEP_MAX = 200_000;

interface WorldEvent {
  readonly fn: () => void;
  /**
   * Runs once the event's promise continuations have run too, and the
   * events it set off at this step (e.g. the owner's invariants): once per
   * settle however many of the owner's events ran.
   */
  readonly after: (() => void) | undefined;
}

interface TimedEvent extends WorldEvent {
  readonly step: number;
  /** Tie-break: events due at one step run in the order they were scheduled. */
  readonly seq: number;
}

/**
 * Lets every promise continuation that is queued run: Node runs a
 * process.nextTick callback only once V8's microtask queue is empty, so
 * this resolves after the whole cascade an event set off (a store's
 * promise, Promise.all in the host loop, a client's .then), however deep.
 * Nothing else runs meanwhile (no timers, no I/O): the run stays
 * deterministic, because every continuation comes from the world's own
 * inputs in an order the world fixed.
 */
function drainMicrotasks(): Promise<void> {
  return new Promise<void>((resolve) => process.nextTick(resolve));
}

/**
 * The simulated world's clock and its one event queue. Everything the
 * shipped host loop sees as nondeterministic enters here: its scheduler's
 * `soon` (an event at the current step, after those already queued), disk
 * completions (events at a later step), and the ticks, deliveries, client
 * calls and faults the simulation makes at tick boundaries. After every
 * event the world drains the microtask queue, so the continuations that
 * event set off run before the next event, as they would in a process
 * whose next input arrives later.
 *
 * A failure anywhere (a checker, an assertion in the host or the core, an
 * error the host loop reports as fatal) is recorded and ends the run at
 * the next event boundary.
 * Invariant: `step` never decreases; timed events run in (step, seq) order.
 */
export class SimWorld {
  /** The current step (STEPS_PER_TICK per tick). */
  step = 0;
  private seq = 0;
  private readonly soonQueue: WorldEvent[] = [];
  private soonHead = 0;
  /** Binary min-heap on (step, seq). */
  private readonly timed: TimedEvent[] = [];
  private failure: { readonly err: unknown } | undefined;
  /** `after` callbacks of the events run in this settle, each once. */
  private readonly afters = new Set<() => void>();
  private eventsStep = -1;
  private eventsInStep = 0;
  /** Totals. */
  events = 0;

  constructor(readonly tickMs: number) {}

  get tick(): number {
    return Math.floor(this.step / STEPS_PER_TICK);
  }

  /** Virtual wall-clock time (the host's `now`). */
  nowMs(): number {
    return (this.step * this.tickMs) / STEPS_PER_TICK;
  }

  /** Runs fn at the current step, after every event already queued for it. */
  soon(fn: () => void, after?: () => void): void {
    this.soonQueue.push({ fn, after });
  }

  /** Runs fn at a later step. */
  at(step: number, fn: () => void, after?: () => void): void {
    assert(Number.isInteger(step) && step > this.step, () => `world: event at step ${step}, now ${this.step}`);
    this.push({ step, seq: this.seq++, fn, after });
  }

  /** Records the first failure; the run stops at the next event boundary. */
  fail(err: unknown): void {
    if (this.failure === undefined) this.failure = { err };
  }

  /** Throws the recorded failure, if any. */
  check(): void {
    if (this.failure !== undefined) throw this.failure.err;
  }

  /** Runs fn now (a world action: a tick, a delivery), then everything it set off at this step. */
  async run(fn: () => void): Promise<void> {
    this.guard(fn);
    await this.settle();
  }

  /**
   * Runs every event due at the current step, each followed by its
   * continuations; then each `after` of the events that ran, once.
   */
  async settle(): Promise<void> {
    await drainMicrotasks();
    this.check();
    while (this.soonHead < this.soonQueue.length) {
      const ev = this.soonQueue[this.soonHead++]!;
      this.countEvent();
      this.guard(ev.fn);
      if (ev.after !== undefined) this.afters.add(ev.after);
      await drainMicrotasks();
      this.check();
    }
    this.soonQueue.length = 0;
    this.soonHead = 0;
    for (const after of this.afters) this.guard(after);
    this.afters.clear();
    this.check();
  }

  /** Runs the timed events due before `step` in order (each settled), then moves the clock to `step`. */
  async runUntil(step: number): Promise<void> {
    assert(step >= this.step, () => `world: runUntil(${step}) at step ${this.step}`);
    for (let top = this.timed[0]; top !== undefined && top.step < step; top = this.timed[0]) {
      this.pop();
      this.step = top.step;
      this.countEvent();
      this.guard(top.fn);
      if (top.after !== undefined) this.afters.add(top.after);
      await this.settle();
    }
    this.step = step;
  }

  private countEvent(): void {
    if (this.eventsStep !== this.step) {
      this.eventsStep = this.step;
      this.eventsInStep = 0;
    }
    this.events++;
    assert(++this.eventsInStep <= EVENTS_PER_STEP_MAX, () => `world: more than ${EVENTS_PER_STEP_MAX} events at step ${this.step}`);
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.fail(err);
    }
  }

  private push(ev: TimedEvent): void {
    const h = this.timed;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private pop(): void {
    const h = this.timed;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    for (let i = 0; ; ) {
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

function before(a: TimedEvent, b: TimedEvent): boolean {
  return a.step < b.step || (a.step === b.step && a.seq < b.seq);
}
