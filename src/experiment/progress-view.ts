import { SingleBar } from 'cli-progress';
import type { Writable } from 'node:stream';
import type { ClientLoad } from './client-load.js';
import type { ExperimentClock } from './experiment-clock.js';
import type { TimelineRunner } from './timeline-runner.js';
import { formatStep, type Step } from './timeline-step.js';

const redrawMs = 200;

/**
 * The progress bar while an experiment runs: steps done of all, the step
 * running now, and the load's ok / failed counts (cli-progress).
 */
export class ProgressView {
  private bar: SingleBar | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stream: Writable,
    private readonly steps: readonly Step[],
    private readonly runner: TimelineRunner,
    private readonly load: ClientLoad,
    private readonly clock: ExperimentClock,
  ) {}

  start(): void {
    const bar = new SingleBar({
      stream: this.stream,
      format: ' {bar} step {value}/{total} | {t}s | {step} | ok {ok} failed {failed}',
      hideCursor: true,
      clearOnComplete: false,
      barsize: 24,
    });
    this.bar = bar;
    bar.start(this.steps.length, 0, this.payload());
    this.timer = setInterval(() => bar.update(Math.min(this.runner.stepAt, this.steps.length), this.payload()), redrawMs);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (this.bar !== undefined) {
      this.bar.update(Math.min(this.runner.stepAt, this.steps.length), this.payload());
      this.bar.stop();
    }
    this.bar = undefined;
  }

  private payload(): Record<string, string | number> {
    const s = this.steps[this.runner.stepAt];
    const { ok, failed } = this.load.counts();
    return { step: s === undefined ? 'done' : formatStep(s).padEnd(28), ok, failed, t: (this.clock.nowMs() / 1000).toFixed(1) };
  }
}
