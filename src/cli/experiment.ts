import { Command, InvalidArgumentError, Option } from 'commander';
import { join } from 'node:path';
import { EXPERIMENT_SHAPES, type ExperimentShape } from '../experiment/experiment-cluster.js';
import { experimentSummary } from '../experiment/experiment-summary.js';
import { writeReport } from '../experiment/report-files.js';
import { ExperimentSetupError, runExperiment, type ExperimentPlan } from '../experiment/run-experiment.js';
import { loadScenarioFile } from '../experiment/scenario-file.js';
import { PACE_DEFAULT, SCENARIOS, scenarioNamed } from '../experiment/scenarios.js';
import { parseDurationMs, StepError } from '../experiment/timeline-step.js';
import { builtInPlan, filePlan, replicaNames } from '../experiment/experiment-plan.js';

/** Exit statuses of `kvstore experiment`. */
export const EXPERIMENT_EXIT = { ok: 0, lostWrites: 1, badInput: 2, interrupted: 130 } as const;

interface Options {
  file?: string;
  shape: ExperimentShape;
  groups?: number;
  clients: number;
  sampleMs: number;
  warmup: number;
  fault: number;
  recover: number;
  out?: string;
  progress: boolean;
  list?: boolean;
}

const wholeNumber = (lo: number, hi: number) => (v: string): number => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < lo || n > hi) throw new InvalidArgumentError(`a whole number in ${lo}..${hi}`);
  return n;
};
const duration = (v: string): number => {
  try {
    return parseDurationMs(v);
  } catch (err) {
    throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
  }
};

function stamp(d: Date): string {
  return d.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
}

/**
 * `kvstore experiment <scenario>` (src/experiment/): a fault scenario on a
 * fresh local cluster under load, a report in HTML + JSON + CSV.
 */
export function addExperimentCommand(program: Command): void {
  program
    .command('experiment')
    .description(`run a fault scenario on a fresh local cluster under load, and write a report (HTML, JSON, CSV); scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}`)
    .argument('[scenario]', 'a built-in scenario (see --list)')
    .option('--file <path>', 'your own timeline, YAML or JSON (see README "Experiments")')
    .option('--shape <shape>', `2pc: a coordinator + 3 participants; raft: 3 kvstoreraftsystem peers`, (v) => {
      if (!(EXPERIMENT_SHAPES as readonly string[]).includes(v)) throw new InvalidArgumentError(EXPERIMENT_SHAPES.join(' or '));
      return v;
    }, '2pc')
    .option('--groups <n>', 'Raft groups (default: 3 for 2pc, 1 for raft)', wholeNumber(1, 64))
    .option('--clients <n>', 'concurrent clients of the load', wholeNumber(1, 256), 4)
    .option('--sample-ms <ms>', 'how often every member\'s /metrics is scraped', wholeNumber(20, 5_000), 100)
    .addOption(new Option('--warmup <duration>', 'load before the fault (2s, 500ms)').argParser(duration).default(PACE_DEFAULT.warmupMs, `${PACE_DEFAULT.warmupMs / 1000}s`))
    .addOption(new Option('--fault <duration>', 'how long the fault lasts').argParser(duration).default(PACE_DEFAULT.faultMs, `${PACE_DEFAULT.faultMs / 1000}s`))
    .addOption(new Option('--recover <duration>', 'load after the victim caught up').argParser(duration).default(PACE_DEFAULT.recoverMs, `${PACE_DEFAULT.recoverMs / 1000}s`))
    .option('--out <dir>', 'the report folder, made fresh (default experiments/<scenario>-<time>)')
    .option('--no-progress', 'no progress bar')
    .option('--list', 'list the built-in scenarios and their timelines')
    .action(async (scenario: string | undefined, o: Options, cmd: Command) => {
      const status = await experimentCommand(scenario, o, cmd.getOptionValueSource('shape'));
      await new Promise<void>((r) => process.stdout.write('', () => r()));
      process.exit(status);
    });
}

async function experimentCommand(scenarioName: string | undefined, o: Options, shapeSource: string | undefined): Promise<number> {
  const complain = (s: string): number => {
    process.stderr.write(`kvstore experiment: ${s}\n`);
    return EXPERIMENT_EXIT.badInput;
  };
  const pace = { warmupMs: o.warmup, faultMs: o.fault, recoverMs: o.recover };
  if (o.list === true) {
    for (const s of SCENARIOS) {
      process.stdout.write(`${s.name}  (${s.shapes.join(', ')})\n  ${s.description}\n`);
      for (const l of s.steps(pace, replicaNames(o.shape))) process.stdout.write(`    - ${l}\n`);
    }
    return EXPERIMENT_EXIT.ok;
  }
  if ((scenarioName === undefined) === (o.file === undefined)) return complain(`name one scenario (${SCENARIOS.map((s) => s.name).join(', ')}) or give --file, not both`);
  const outDir = o.out ?? join('experiments', `${o.file !== undefined ? 'custom' : scenarioName}-${stamp(new Date())}`);
  const choices = { shape: o.shape, clients: o.clients, sampleMs: o.sampleMs, outDir, ...(o.groups !== undefined ? { groups: o.groups } : {}) };
  let plan: ExperimentPlan;
  try {
    if (o.file !== undefined) {
      plan = filePlan(loadScenarioFile(o.file), o.file, { ...choices, shapeGiven: shapeSource === 'cli' });
    } else {
      const s = scenarioNamed(scenarioName!);
      if (s === undefined) return complain(`no scenario ${JSON.stringify(scenarioName)}; built in: ${SCENARIOS.map((x) => x.name).join(', ')}`);
      if (!s.shapes.includes(o.shape)) return complain(`${s.name} needs --shape ${s.shapes.join(' or ')}`);
      plan = builtInPlan(s, pace, choices);
    }
  } catch (err) {
    if (err instanceof StepError) return complain(err.message);
    throw err;
  }
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    process.stdout.write(`kvstore experiment ${plan.name} (${plan.shape}, ${plan.groups} group${plan.groups === 1 ? '' : 's'}, ${plan.clients} clients) in ${outDir}\n`);
    const progress = o.progress && process.stderr.isTTY === true ? { progress: process.stderr } : {};
    const record = await runExperiment({ ...plan, ...progress }, stop.signal);
    const files = await writeReport(record);
    const { text, failed } = experimentSummary(record, files);
    process.stdout.write(text);
    if (stop.signal.aborted) return EXPERIMENT_EXIT.interrupted;
    return failed ? EXPERIMENT_EXIT.lostWrites : EXPERIMENT_EXIT.ok;
  } catch (err) {
    if (err instanceof ExperimentSetupError) return complain(err.message);
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
