import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { assert } from '../../raft/assert.js';
import { makeLayout } from '../sharding/layout.js';
import { verifyAcknowledged, type AckVerification } from './ack-verifier.js';
import { ClientLoad } from './client-load.js';
import { ExperimentClock } from './experiment-clock.js';
import { ExperimentCluster, type ExperimentShape, type MemberKind } from './experiment-cluster.js';
import { groupTags } from './group-keys.js';
import { httpText, MetricsSampler } from './metrics-sampler.js';
import { ProgressView } from './progress-view.js';
import type { ActionEvent, NodeSample, RequestRecord } from './samples.js';
import { TimelineRunner } from './timeline-runner.js';
import { formatStep, type Step } from './timeline-step.js';

/** How long the cluster gets to elect leaders (every /readyz 200) at the start, and again before the check. */
export const readyWaitMs = 30_000;
/** The programs' snapshot_entries when the config sets none (src/participant/raft-member.ts). */
const snapshotEntriesDefault = 10_000;
/** How long the final read-back of acknowledged writes may take. */
export const verifyWaitMs = 30_000;

export interface ExperimentPlan {
  readonly name: string;
  readonly description: string;
  readonly shape: ExperimentShape;
  readonly groups: number;
  readonly clients: number;
  readonly sampleMs: number;
  readonly msetEvery: number;
  readonly snapshotEntries?: number;
  readonly requestTimeoutMs: number;
  /** Made fresh: it must not exist, or be empty. */
  readonly outDir: string;
  readonly steps: readonly Step[];
  /** Draw a progress bar on this stream (a TTY), or none. */
  readonly progress?: Writable;
}

export interface ExperimentMemberInfo {
  readonly name: string;
  readonly kind: MemberKind;
  /** From the samples (kvstore_build_info); undefined if never scraped. */
  readonly nodeId?: number;
  readonly clientPort: number;
  readonly metricsPort: number;
}

/** Everything a run recorded: the report is computed from this alone. */
export interface ExperimentRecord {
  readonly plan: Omit<ExperimentPlan, 'progress' | 'steps'> & { readonly steps: readonly string[] };
  readonly startedAt: string;
  readonly members: readonly ExperimentMemberInfo[];
  readonly samples: readonly NodeSample[];
  readonly requests: readonly RequestRecord[];
  readonly events: readonly ActionEvent[];
  readonly verification: AckVerification;
  /** Members that exited when nobody asked (assertions, crashes), with their log tails. */
  readonly crashes: readonly string[];
  /** Why the timeline stopped early (Ctrl-C, a step that failed), if it did. */
  readonly aborted?: string;
  readonly endMs: number;
}

export class ExperimentSetupError extends Error {
  readonly code = 'EXPERIMENT_SETUP';
}

/**
 * One experiment: a fresh cluster in `outDir/cluster`, sampled from its
 * first moment; the timeline with the load; then every member back (healed,
 * resumed, restarted), every acknowledged write read back, and every
 * process stopped, whatever happened (also on Ctrl-C: `signal`).
 */
export async function runExperiment(plan: ExperimentPlan, signal: AbortSignal): Promise<ExperimentRecord> {
  const outDir = resolve(plan.outDir);
  if (existsSync(outDir) && readdirSync(outDir).length > 0) throw new ExperimentSetupError(`${outDir} is not empty: an experiment runs in a fresh folder (choose another --out, or delete it)`);
  mkdirSync(outDir, { recursive: true });
  const clock = new ExperimentClock();
  const cluster = await ExperimentCluster.start({
    shape: plan.shape,
    groups: plan.groups,
    dir: join(outDir, 'cluster'),
    ...(plan.snapshotEntries !== undefined ? { snapshotEntries: plan.snapshotEntries } : {}),
  });
  const killAtExit = (): void => cluster.killNow();
  process.on('exit', killAtExit);
  const sampler = new MetricsSampler(cluster.members.map((m) => ({ name: m.name, metricsPort: m.metricsPort })), clock, plan.sampleMs);
  const layout = makeLayout(cluster.replicas().map((m) => `127.0.0.1:${m.clientPort}`), { groups: plan.groups });
  const load = new ClientLoad(
    { clients: plan.clients, ports: cluster.frontDoors().map((m) => m.clientPort), groupTags: groupTags(layout), msetEvery: plan.msetEvery, requestTimeoutMs: plan.requestTimeoutMs, failurePauseMs: 20 },
    clock,
  );
  const runner = new TimelineRunner(cluster, sampler, load, clock, signal, plan.snapshotEntries ?? snapshotEntriesDefault);
  const progress = plan.progress === undefined ? undefined : new ProgressView(plan.progress, plan.steps, runner, load, clock);
  let aborted: string | undefined;
  let verification: AckVerification | undefined;
  try {
    sampler.start();
    await waitReady(cluster, signal);
    progress?.start();
    try {
      await runner.run(plan.steps);
    } catch (err) {
      aborted = err instanceof Error ? err.message : String(err);
    }
    if (signal.aborted) aborted = 'interrupted (Ctrl-C)';
    await load.stop();
    progress?.stop();
    if (!signal.aborted) {
      // Whole again before the read-back: every link, every process.
      cluster.heal();
      for (const m of cluster.members) {
        m.proc.resume();
        if (!m.proc.alive) m.proc.start();
      }
      await waitReady(cluster, signal).catch((err: unknown) => (aborted ??= err instanceof Error ? err.message : String(err)));
    }
    // Interrupted: nothing is read back (deadline 0), and the report says why.
    verification = await verifyAcknowledged(load.records, cluster.frontDoors().map((m) => m.clientPort), signal.aborted ? 0 : verifyWaitMs, plan.requestTimeoutMs);
  } finally {
    progress?.stop();
    await sampler.stop();
    await load.stop();
    await cluster.close();
    process.off('exit', killAtExit);
  }
  assert(verification !== undefined, 'the read-back ran');
  const ids = new Map<string, number>();
  for (const s of sampler.samples) if (s.nodeId !== undefined) ids.set(s.node, s.nodeId);
  const { progress: _drop, steps, ...kept } = plan;
  return {
    plan: { ...kept, outDir, steps: steps.map(formatStep) },
    startedAt: clock.startedAt.toISOString(),
    members: cluster.members.map((m) => ({ name: m.name, kind: m.kind, clientPort: m.clientPort, metricsPort: m.metricsPort, ...(ids.has(m.name) ? { nodeId: ids.get(m.name)! } : {}) })),
    samples: sampler.samples,
    requests: load.records,
    events: runner.events,
    verification,
    // After a Ctrl-C at a terminal the members got the SIGINT too: their exits were asked for.
    crashes: signal.aborted ? [] : cluster.crashes(),
    ...(aborted !== undefined ? { aborted } : {}),
    endMs: clock.nowMs(),
  };
}

/** Until every member answers /readyz with 200 (each group it hosts or routes has a leader). */
async function waitReady(cluster: ExperimentCluster, signal: AbortSignal): Promise<void> {
  const started = performance.now();
  const waiting = new Set(cluster.members);
  while (waiting.size > 0 && !signal.aborted) {
    for (const m of [...waiting]) {
      try {
        await httpText(m.metricsPort, '/readyz', 1_000);
        waiting.delete(m);
      } catch {
        // not yet
      }
    }
    if (waiting.size === 0) return;
    if (performance.now() - started > readyWaitMs) {
      throw new ExperimentSetupError(`not ready after ${readyWaitMs} ms: ${[...waiting].map((m) => m.name).join(', ')} (logs in ${cluster.options.dir}/logs)`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
