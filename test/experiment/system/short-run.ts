import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import type { ExperimentShape } from '../../../src/experiment/experiment-cluster.js';
import { builtInPlan } from '../../../src/experiment/experiment-plan.js';
import { writeReport, type ReportFiles } from '../../../src/experiment/report-files.js';
import { runExperiment, type ExperimentRecord } from '../../../src/experiment/run-experiment.js';
import { scenarioNamed } from '../../../src/experiment/scenarios.js';

/** The short form CI runs: a second of load, a fault of 1.5 s, half a second after the victim caught up. */
export const SHORT_PACE = { warmupMs: 1_000, faultMs: 1_500, recoverMs: 500 };

export interface ShortRun {
  readonly record: ExperimentRecord;
  readonly files: ReportFiles;
  readonly dir: string;
}

/** Runs a built-in scenario in its short form in a temp folder (removed at teardown unless `keep`). */
export async function runShort(t: ExecutionContext, name: string, shape: ExperimentShape = '2pc', keep = false): Promise<ShortRun> {
  const s = scenarioNamed(name);
  if (s === undefined) throw new Error(`no scenario ${name}`);
  const dir = mkdtempSync(join(tmpdir(), `kvstore-exp-${name}-`));
  if (!keep) t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const plan = builtInPlan(s, SHORT_PACE, { shape, clients: 3, sampleMs: 100, outDir: join(dir, 'out') });
  const record = await runExperiment(plan, new AbortController().signal);
  const files = await writeReport(record);
  t.log(`${name} (${shape}): ${files.analysis.measures.map((m) => `${m.window.label}: elected ${m.elections.map((e) => e.electedMs?.toFixed(0)).join('/')} ms, unavailable ${m.unavailableMs.toFixed(0)} ms, back ${m.backUpMs?.toFixed(0)} ms, caught up ${m.caughtUpMs?.toFixed(0)} ms, by ${m.rejoinedBy}`).join('; ')}; unacknowledged MSETs whole/none/partial ${JSON.stringify(record.verification.unackedMsets)}`);
  return { record, files, dir };
}
