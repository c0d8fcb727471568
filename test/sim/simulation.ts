import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvariantError } from '../../raft/assert.js';
import { SeededRng } from '../../raft/rng.js';
import { CheckFailure } from './checkers.js';
import type { CheckName } from './checkers.js';
import { LevelDbDisk } from './leveldb-disk.js';
import { Nemesis } from './nemesis.js';
import { CLIENT_TIMEOUT_TICKS, SimClient } from './sim-client.js';
import { SimCluster } from './sim-cluster.js';
import type { DiskFactory, SimSeam } from './sim-cluster.js';
import type { DiskKind } from './sim-disk.js';
import { drawParams, TICK_MS } from './sim-params.js';
import { mixSeed } from './sim-process.js';
import { SimWorld, STEPS_PER_TICK } from './sim-world.js';
import { Trace, TRACE_TAIL_LINES } from './trace.js';

/** Ticks between full log-matching passes (each is O(nodes^2 * window)). */
export const LOG_CHECK_EVERY_TICKS = 16;
/** After faults stop, a leader must be elected within this many ticks. */
export const QUIET_LEADER_TICKS_MAX = 300;
/** After faults stop, the final write must be applied by every voter within this many ticks. */
export const QUIET_TICKS_MAX = 1_000;
/** Spare process ids the operator may add over a run (never reused within a group). */
export const SPARE_NODE_IDS = 4;
/** Groups one process may host in a simulation. */
export const GROUPS_MAX = 8;

export interface SimOptions {
  readonly seed: number;
  /** Processes at the start. */
  readonly nodes: 3 | 5;
  /** Raft groups, each with a replica on every initial process (default 1). */
  readonly groups?: number;
  /** Ticks with faults; the quiet phase comes after. */
  readonly ticks: number;
  /** Every trace line as it happens (`--trace`). */
  readonly traceSink?: (line: string) => void;
  readonly seam?: SimSeam;
  /**
   * What disks are made of (default memory). 'leveldb' gives every replica
   * a RaftStore in a temp dir (removed after the run); the run must give the
   * same digest as on memory disks.
   */
  readonly disk?: DiskKind;
}

/** What one run did; sums over seeds give the campaign totals. */
export interface SimTotals {
  seeds: number;
  ticks: number;
  faults: number;
  crashes: number;
  elections: number;
  /** Highest index applied, summed over seeds. */
  commits: number;
  writesAcked: number;
  reads: number;
  snapshots: number;
  snapshotsSent: number;
  confChanges: number;
  transfers: number;
  messages: number;
  /** Host loop turns that wrote, over every process and life. */
  writeTurns: number;
  /** Disk batches (synced writes), and those holding a turn's Readies. */
  batches: number;
  loopBatches: number;
  /** Batches in flight at a crash: landed whole, or lost whole. */
  crashLanded: number;
  crashLost: number;
  /** Most groups with a write in one loop turn, and in one disk batch (maxima over seeds). */
  groupsPerWriteTurnMax: number;
  groupsPerBatchMax: number;
  /** Longest quiet phase before liveness was shown (a maximum over seeds, not a sum). */
  recoveryTicksMax: number;
}

export function emptyTotals(): SimTotals {
  return {
    seeds: 0, ticks: 0, faults: 0, crashes: 0, elections: 0, commits: 0, writesAcked: 0,
    reads: 0, snapshots: 0, snapshotsSent: 0, confChanges: 0, transfers: 0, messages: 0,
    writeTurns: 0, batches: 0, loopBatches: 0, crashLanded: 0, crashLost: 0,
    groupsPerWriteTurnMax: 0, groupsPerBatchMax: 0, recoveryTicksMax: 0,
  };
}

export function addTotals(into: SimTotals, t: SimTotals): void {
  for (const k of Object.keys(into) as (keyof SimTotals)[]) {
    into[k] = k.endsWith('Max') ? Math.max(into[k], t[k]) : into[k] + t[k];
  }
}

export interface SimResult {
  readonly totals: SimTotals;
  /** Digest of the whole trace: the same seed must always give the same digest. */
  readonly digest: string;
}

/** A broken check in one seed, with everything needed to replay it. */
export class SimulationFailure extends Error {
  override readonly name = 'SimulationFailure';
  readonly code = 'SIM_FAILURE';
  constructor(
    readonly opts: SimOptions,
    readonly tick: number,
    readonly check: CheckName | 'crash',
    readonly detail: string,
    readonly traceTail: readonly string[],
  ) {
    super(`seed ${opts.seed} failed ${check} at t=${tick}: ${detail}`);
  }

  replayCommand(): string {
    return replayCommand(this.opts);
  }

  report(): string {
    return [this.message, `replay: ${this.replayCommand()}`, `last ${this.traceTail.length} steps:`, ...this.traceTail].join('\n');
  }
}

/** The one-line command that replays a seed exactly (add --trace for every step). */
export function replayCommand(o: Pick<SimOptions, 'seed' | 'nodes' | 'groups' | 'ticks' | 'disk'>): string {
  const groups = (o.groups ?? 1) > 1 ? ` --groups ${o.groups}` : '';
  const disk = o.disk === 'leveldb' ? ' --disk leveldb' : '';
  return `npm run sim -- --seed ${o.seed} --nodes ${o.nodes}${groups} --ticks ${o.ticks}${disk}`;
}

/**
 * Runs one seed: a fault phase of `ticks` ticks, then a quiet phase in which
 * liveness must show. Rejects with SimulationFailure on the first broken check.
 */
export async function runSeed(opts: SimOptions): Promise<SimResult> {
  const { seed } = opts;
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1 || groups > GROUPS_MAX) throw new RangeError(`groups must be 1..${GROUPS_MAX}, got ${groups}`);
  const trace = new Trace(TRACE_TAIL_LINES, opts.traceSink);
  const params = drawParams(new SeededRng(mixSeed(seed, 0, 1)), opts.nodes);
  const root = opts.disk === 'leveldb' ? fs.mkdtempSync(path.join(os.tmpdir(), `kvstore-sim-${seed}-`)) : undefined;
  const makeDisk: DiskFactory | undefined =
    root === undefined ? undefined : (id, group, conf) => new LevelDbDisk(path.join(root, `n${id}`, `g${group}`), conf);
  const world = new SimWorld(TICK_MS);
  const cluster = new SimCluster(world, new SeededRng(mixSeed(seed, 0, 2)), {
    seed,
    groups,
    process: params.process,
    diskLatencyStepsMax: params.diskLatencyStepsMax,
    batchDelivery: params.batchDelivery,
    seam: opts.seam,
    ...(makeDisk !== undefined ? { makeDisk } : {}),
  }, trace);
  const client = new SimClient(
    new SeededRng(mixSeed(seed, 0, 4)),
    cluster,
    params.work,
    opts.nodes,
    opts.nodes + SPARE_NODE_IDS,
    CLIENT_TIMEOUT_TICKS * TICK_MS,
    opts.seam === 'staleFollowerReads',
  );
  cluster.client = client;
  const nemesis = new Nemesis(new SeededRng(mixSeed(seed, 0, 3)), cluster, params.nemesis);
  let recoveryTicks = 0;
  try {
    const shape = groups === 1 ? `${opts.nodes} nodes` : `${opts.nodes} processes x ${groups} groups`;
    trace.event(0, `seed ${seed}: ${shape}, ${JSON.stringify({ ...params.process.raft, ...params.work, faultRate: params.nemesis.faultRate, diskStepsMax: params.diskLatencyStepsMax })}`);
    cluster.net.beginTick(0);
    await world.run(() => cluster.bootstrap(opts.nodes));
    for (let t = 1; t <= opts.ticks; t++) {
      await step(cluster, t, () => {
        nemesis.step();
        client.step(false);
      });
    }
    recoveryTicks = await quietPhase(cluster, client, nemesis, opts.ticks);
  } catch (err) {
    throw toFailure(err, opts, cluster.tick, trace);
  } finally {
    if (root !== undefined) releaseDisks(cluster, root);
  }
  return { totals: totalsOf(cluster, client, nemesis, recoveryTicks), digest: trace.digest() };
}

function totalsOf(cluster: SimCluster, client: SimClient, nemesis: Nemesis, recoveryTicks: number): SimTotals {
  const t: SimTotals = {
    ...emptyTotals(),
    seeds: 1,
    ticks: cluster.tick,
    faults: nemesis.faults,
    crashes: cluster.crashes,
    elections: cluster.elections,
    commits: cluster.groupIds().reduce((sum, g) => sum + cluster.safety(g).appliedMax, 0),
    writesAcked: client.acked,
    reads: client.readsDone,
    snapshots: cluster.snapshots,
    snapshotsSent: cluster.snapshotsSent,
    confChanges: client.confChanges,
    transfers: client.transfers,
    messages: cluster.net.sent,
    recoveryTicksMax: recoveryTicks,
  };
  for (const p of cluster.processes()) {
    const loop = p.stats();
    const store = p.store.stats;
    t.writeTurns += loop.writeTurns;
    t.groupsPerWriteTurnMax = Math.max(t.groupsPerWriteTurnMax, loop.groupsPerWriteTurnMax);
    t.batches += store.batches;
    t.loopBatches += store.loopBatches;
    t.crashLanded += store.crashLanded;
    t.crashLost += store.crashLost;
    t.groupsPerBatchMax = Math.max(t.groupsPerBatchMax, store.groupsPerBatchMax);
  }
  return t;
}

/**
 * One tick: the disk writes due since the last tick land, then at the
 * boundary faults and clients act, the network delivers, processes tick,
 * checks run; after each action the loops run what it set off.
 */
async function step(cluster: SimCluster, t: number, act: () => void): Promise<void> {
  const world = cluster.world;
  await world.runUntil(t * STEPS_PER_TICK);
  cluster.net.beginTick(t);
  await world.run(act);
  await cluster.deliver();
  await cluster.tickAll();
  if (cluster.retirePending()) await world.settle();
  if (t % LOG_CHECK_EVERY_TICKS === 0) cluster.checkLogs();
}

/**
 * Liveness (Raft §5.2, §5.3): once faults stop, every group elects a
 * leader, every write pending when faults stopped is settled (applied,
 * known lost, or timed out at its replica) and a final write per group is
 * applied by every voter of that group, all within bounded ticks.
 */
async function quietPhase(cluster: SimCluster, client: SimClient, nemesis: Nemesis, faultTicks: number): Promise<number> {
  await cluster.world.run(() => nemesis.stop());
  const opFloor = client.nextOpIdValue();
  const groups = cluster.groupIds();
  const leaderAt = new Map<number, number>();
  const finalIndex = new Map<number, number | undefined>();
  for (let k = 1; k <= QUIET_TICKS_MAX; k++) {
    const t = faultTicks + k;
    await step(cluster, t, () => {
      client.step(true);
      for (const g of groups) {
        if (cluster.leader(g) !== undefined && !leaderAt.has(g)) leaderAt.set(g, t);
        if (finalIndex.get(g) === undefined && leaderAt.has(g)) finalIndex.set(g, client.finalWriteIndex(g));
      }
    });
    const leaderless = groups.filter((g) => !leaderAt.has(g));
    if (leaderless.length > 0 && k >= QUIET_LEADER_TICKS_MAX) {
      throw new CheckFailure('liveness', `no leader of group ${leaderless.join(', ')} within ${QUIET_LEADER_TICKS_MAX} ticks after faults stopped`);
    }
    const done = groups.every((g) => {
      const index = finalIndex.get(g);
      return index !== undefined && allVotersApplied(cluster, g, index);
    });
    if (done && client.pendingWritesBefore(opFloor) === 0) {
      cluster.checkLogs();
      return k;
    }
  }
  const details = groups.map((g) => {
    const leader = cluster.leader(g);
    const voters = (leader?.replica(g)?.status().conf.voters ?? []).map((id) => {
      const p = cluster.process(id);
      const sm = p?.sm(g);
      return p === undefined ? `n${id}:missing` : `n${id}:${sm !== undefined ? `applied=${sm.applied}` : 'down'}`;
    });
    const f = finalIndex.get(g);
    return (
      `group ${g}: voters [${voters.join(' ')}], leader=${leader === undefined ? 'none' : `n${leader.id}`}, ` +
      `final write ${f === undefined ? 'not applied by its proposer' : `at ${f}`}`
    );
  });
  throw new CheckFailure(
    'liveness',
    `${QUIET_TICKS_MAX} ticks after faults stopped: ${details.join('; ')}; ` +
      `${client.pendingWritesBefore(opFloor)} writes from the fault phase still pending: ${client.describePendingBefore(opFloor)}`,
  );
}

function allVotersApplied(cluster: SimCluster, group: number, index: number): boolean {
  const replica = cluster.leader(group)?.replica(group);
  if (replica === undefined) return false;
  for (const id of replica.status().conf.voters) {
    const sm = cluster.process(id)?.sm(group);
    if (sm === undefined || cluster.process(id)?.replica(group) === undefined || sm.applied < index) return false;
  }
  return true;
}

/** Closes every store, then removes the run's temp dir (even when the run failed). */
function releaseDisks(cluster: SimCluster, root: string): void {
  try {
    cluster.closeDisks();
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

function toFailure(err: unknown, opts: SimOptions, tick: number, trace: Trace): SimulationFailure {
  if (err instanceof SimulationFailure) return err;
  if (err instanceof CheckFailure) return new SimulationFailure(opts, tick, err.check, err.message, trace.tail());
  if (err instanceof InvariantError && isFromRaft(err)) {
    return new SimulationFailure(opts, tick, 'raftInvariant', err.message, trace.tail());
  }
  const detail = err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ''}` : String(err);
  return new SimulationFailure(opts, tick, 'crash', detail, trace.tail());
}

/** An assertion inside raft/ (as opposed to one of the simulator's own). */
function isFromRaft(err: Error): boolean {
  // Frames only ("    at fn (file:line)"): the message line may contain " at " too.
  const frame = (err.stack ?? '').split('\n').find((l) => /^\s+at /.test(l) && !l.includes('/assert.'));
  return frame !== undefined && /[\\/]raft[\\/]/.test(frame);
}
