import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { EXPERIMENT_SHAPES, type ExperimentShape } from './experiment-cluster.js';
import { parseStep, StepError, type Step } from './timeline-step.js';

/** Steps one file may hold. */
export const fileStepsMax = 1_000;

/**
 * A user's own scenario, YAML or JSON (JSON is YAML too):
 *
 *   name: my-test            # optional, for the report
 *   shape: 2pc               # optional: 2pc or raft
 *   groups: 3                # optional
 *   snapshot_entries: 200    # optional, for every replica
 *   mset_every: 2            # optional: every 2nd request an MSET over every group
 *   steps:
 *     - start load
 *     - wait 2s
 *     - kill -9 leader
 *     - wait 3s
 *     - restart victim
 *     - wait caught-up victim
 *     - stop
 */
export interface ScenarioFile {
  readonly name: string;
  readonly shape?: ExperimentShape;
  readonly groups?: number;
  readonly snapshotEntries?: number;
  readonly msetEvery: number;
  readonly steps: readonly Step[];
  readonly lines: readonly string[];
}

const KEYS = new Set(['name', 'shape', 'groups', 'snapshot_entries', 'mset_every', 'steps']);

function positiveInt(v: unknown, what: string, path: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new StepError(`${path}: ${what} must be a whole number >= 0`);
  return v;
}

export function parseScenarioText(text: string, path: string): ScenarioFile {
  let doc: unknown;
  try {
    doc = load(text);
  } catch (err) {
    throw new StepError(`${path}: not YAML or JSON: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new StepError(`${path}: expected a mapping with a steps list`);
  const o = doc as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KEYS.has(k)) throw new StepError(`${path}: unknown key ${JSON.stringify(k)} (known: ${[...KEYS].join(', ')})`);
  if (!Array.isArray(o.steps) || o.steps.length === 0) throw new StepError(`${path}: steps must be a non-empty list of lines`);
  if (o.steps.length > fileStepsMax) throw new StepError(`${path}: more than ${fileStepsMax} steps`);
  const lines = o.steps.map((s, i) => {
    if (typeof s !== 'string') throw new StepError(`${path}: step ${i + 1} must be a line of text, like "kill -9 leader"`);
    return s;
  });
  const steps = lines.map((l, i) => {
    try {
      return parseStep(l);
    } catch (err) {
      throw err instanceof StepError ? new StepError(`${path}: step ${i + 1}: ${err.message}`) : err;
    }
  });
  if (o.shape !== undefined && !(EXPERIMENT_SHAPES as readonly unknown[]).includes(o.shape)) throw new StepError(`${path}: shape must be one of ${EXPERIMENT_SHAPES.join(', ')}`);
  if (o.name !== undefined && typeof o.name !== 'string') throw new StepError(`${path}: name must be text`);
  const groups = o.groups === undefined ? undefined : positiveInt(o.groups, 'groups', path);
  if (groups === 0) throw new StepError(`${path}: groups must be at least 1`);
  const snapshotEntries = o.snapshot_entries === undefined ? undefined : positiveInt(o.snapshot_entries, 'snapshot_entries', path);
  return {
    name: typeof o.name === 'string' ? o.name : 'custom',
    ...(o.shape !== undefined ? { shape: o.shape as ExperimentShape } : {}),
    ...(groups !== undefined ? { groups } : {}),
    ...(snapshotEntries !== undefined && snapshotEntries > 0 ? { snapshotEntries } : {}),
    msetEvery: o.mset_every === undefined ? 0 : positiveInt(o.mset_every, 'mset_every', path),
    steps,
    lines,
  };
}

export function loadScenarioFile(path: string): ScenarioFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new StepError(`${path}: cannot read: ${err instanceof Error ? err.message : String(err)}`);
  }
  return parseScenarioText(text, path);
}
