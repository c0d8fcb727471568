/**
 * Wakes whoever waits for the state machine to move: a read or a 1PC write
 * blocked by a transaction's lock looks again after each applied batch
 * (or after a short pause, in case the resolution is driven from here).
 */
export class AppliedSignal {
  readonly #waiters = new Set<() => void>();

  /** The replica applied entries. */
  notify(): void {
    if (this.#waiters.size === 0) return;
    const ws = [...this.#waiters];
    this.#waiters.clear();
    for (const w of ws) w();
  }

  /** Resolves after the next apply, or after ms, whichever is first. */
  nextOrAfter(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.#waiters.add(done);
    });
  }
}
