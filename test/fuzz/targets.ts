import fc from 'fast-check';
import { configTarget } from './config-target.js';
import { frameTarget } from './frame-target.js';
import type { FuzzTarget } from './fuzz-target.js';
import { replyTarget } from './reply-target.js';
import { inlineTarget, respTarget } from './resp-target.js';
import { memcacheTarget } from './memcache-target.js';

/** Every fuzz target, by name; the campaign and the seeded test run all of them. */
export const FUZZ_TARGETS: ReadonlyMap<string, FuzzTarget<unknown>> = new Map(
  ([respTarget, inlineTarget, replyTarget, configTarget, frameTarget, memcacheTarget] as FuzzTarget<never>[]).map((t) => [t.name, t as FuzzTarget<unknown>]),
);

export function targetNamed(name: string): FuzzTarget<unknown> {
  const t = FUZZ_TARGETS.get(name);
  if (t === undefined) throw new Error(`unknown fuzz target "${name}" (known: ${[...FUZZ_TARGETS.keys()].join(', ')})`);
  return t;
}

export function propertyOf(t: FuzzTarget<unknown>): fc.IPropertyWithHooks<[unknown]> {
  return fc.property(t.arbitrary, (input) => t.check(input));
}

/** One run of a target: `runs` inputs from `seed` (or exactly one, replayed by its `path`). */
export interface BatchResult {
  readonly runs: number;
  readonly failed: boolean;
  readonly seed: number;
  /** fast-check's path to the shrunk counterexample: with the seed, it replays it. */
  readonly path?: string;
  readonly error?: string;
  readonly counterexample?: string;
}

export function runBatch(t: FuzzTarget<unknown>, seed: number, runs: number, path?: string): BatchResult {
  const details = fc.check(propertyOf(t), { seed, numRuns: runs, ...(path !== undefined ? { path } : {}), endOnFailure: false });
  if (!details.failed) return { runs: details.numRuns, failed: false, seed };
  const ce = details.counterexample?.[0];
  return {
    runs: details.numRuns,
    failed: true,
    seed: details.seed,
    ...(details.counterexamplePath !== null ? { path: details.counterexamplePath } : {}),
    error: details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance),
    counterexample: fc.stringify(ce).slice(0, 2000),
  };
}
