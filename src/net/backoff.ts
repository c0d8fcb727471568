import { assert } from '../../raft/assert.js';

/**
 * Reconnect delays: exponential from `minMs`, doubling per consecutive
 * failure, capped at `maxMs`, with "equal jitter" (a random point in the upper
 * half of the step) so peers that lost each other at the same moment do not
 * redial in lockstep. Randomness is injected; src/ may use Math.random.
 */
export class Backoff {
  /** Consecutive failures since the last success. */
  private failures = 0;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {
    assert(minMs > 0, 'backoff minMs > 0');
    assert(maxMs >= minMs, 'backoff maxMs >= minMs');
  }

  /** Delay before the next attempt; counts one more failure. */
  nextDelayMs(): number {
    // 2^30 already exceeds any sane cap; bounding the exponent keeps it finite.
    const stepMs = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.failures, 30));
    this.failures += 1;
    return Math.round(stepMs / 2 + (this.random() * stepMs) / 2);
  }

  reset(): void {
    this.failures = 0;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }
}
