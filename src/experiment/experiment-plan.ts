import type { ExperimentShape } from './experiment-cluster.js';
import type { ExperimentPlan } from './run-experiment.js';
import type { ScenarioFile } from './scenario-file.js';
import type { Pace, Scenario } from './scenarios.js';
import { parseStep } from './timeline-step.js';

/** What the command line (or a test) chooses beyond the scenario. */
export interface PlanChoices {
  readonly shape: ExperimentShape;
  readonly groups?: number;
  readonly clients: number;
  readonly sampleMs: number;
  readonly outDir: string;
  readonly requestTimeoutMs?: number;
}

/** The default number of groups: the multi-raft shape of `kvstore cluster` for 2pc, one group for raft peers. */
export function defaultGroups(shape: ExperimentShape): number {
  return shape === '2pc' ? 3 : 1;
}

export function replicaNames(shape: ExperimentShape): string[] {
  return [1, 2, 3].map((i) => (shape === '2pc' ? `participant${i}` : `raft${i}`));
}

export function builtInPlan(s: Scenario, pace: Pace, c: PlanChoices): ExperimentPlan {
  return {
    name: s.name, description: s.description, shape: c.shape, groups: c.groups ?? defaultGroups(c.shape), clients: c.clients, sampleMs: c.sampleMs,
    msetEvery: s.msetEvery, ...(s.snapshotEntries !== undefined ? { snapshotEntries: s.snapshotEntries } : {}), requestTimeoutMs: c.requestTimeoutMs ?? 2_000,
    outDir: c.outDir, steps: s.steps(pace, replicaNames(c.shape)).map(parseStep),
  };
}

/** A scenario file's own shape and groups win over the defaults, not over what the command line gave. */
export function filePlan(f: ScenarioFile, path: string, c: PlanChoices & { readonly shapeGiven: boolean }): ExperimentPlan {
  const shape = c.shapeGiven ? c.shape : (f.shape ?? c.shape);
  return {
    name: f.name, description: `timeline from ${path}`, shape, groups: c.groups ?? f.groups ?? defaultGroups(shape), clients: c.clients, sampleMs: c.sampleMs,
    msetEvery: f.msetEvery, ...(f.snapshotEntries !== undefined ? { snapshotEntries: f.snapshotEntries } : {}), requestTimeoutMs: c.requestTimeoutMs ?? 2_000,
    outDir: c.outDir, steps: f.steps,
  };
}
