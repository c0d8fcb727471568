/** Milliseconds since the experiment began: the one time base of samples, requests and actions (monotonic, never wall time). */
export class ExperimentClock {
  private readonly t0 = performance.now();
  /** Wall time at the start, for the report's header only. */
  readonly startedAt = new Date();

  nowMs(): number {
    return performance.now() - this.t0;
  }
}
