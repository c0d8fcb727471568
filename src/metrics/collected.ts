import { Counter, Gauge } from 'prom-client';
import type { LabelValues, Registry } from 'prom-client';

/** One sample: its label values and its value. */
export type Sample<L extends string> = readonly [labels: LabelValues<L>, value: number];

/**
 * A counter read from counts the code keeps anyway (plain fields), at
 * scrape time: nothing is pushed on the hot path. The samples replace the
 * previous ones, so a label that went away (a peer removed) goes too.
 * Invariant: each source count never decreases, so the counter does not.
 */
export function collectedCounter<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
  read: () => Iterable<Sample<L>>,
): Counter<L> {
  return new Counter<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, value] of read()) this.inc(labels, value);
    },
  });
}

/** A gauge read from the current state at scrape time (role, term, indexes). */
export function collectedGauge<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
  read: () => Iterable<Sample<L>>,
): Gauge<L> {
  return new Gauge<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, value] of read()) this.set(labels, value);
    },
  });
}
