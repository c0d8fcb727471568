import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvariantError } from '../../raft/assert.js';
import { DEFAULT_RAFT_LIMITS } from '../../raft/config.js';
import { SeededRng } from '../../raft/rng.js';
import { CheckFailure } from './checkers.js';
import type { CheckName } from './checkers.js';
import { LevelDbDisk } from './leveldb-disk.js';
import { Nemesis } from './nemesis.js';
import type { NemesisParams } from './nemesis.js';
import { SimClient } from './sim-client.js';
import type { WorkloadParams } from './sim-client.js';
import { SimCluster } from './sim-cluster.js';
import type { DiskFactory, SimSeam } from './sim-cluster.js';
import type { DiskKind } from './sim-disk.js';
import { mixSeed } from './sim-node.js';
import type { NodeParams } from './sim-node.js';
import { Trace, TRACE_TAIL_LINES } from './trace.js';

/** Ticks between full log-matching passes (each is O(nodes^2 * window)). */
export const LOG_CHECK_EVERY_TICKS = 16;
/** After faults stop, a leader must be elected within this many ticks. */
export const QUIET_LEADER_TICKS_MAX = 300;
/** After faults stop, the final write must be applied by every voter within this many ticks. */
export const QUIET_TICKS_MAX = 1_000;
/** Spare node ids the operator may add over a run (ids are never reused). */
export const SPARE_NODE_IDS = 4;

export interface SimOptions {
  readonly seed: number;
  readonly nodes: 3 | 5;
  /** Ticks with faults; the quiet phase comes after. */
  readonly ticks: number;
  /** Every trace line as it happens (`--trace`). */
  readonly traceSink?: (line: string) => void;
  readonly seam?: SimSeam;
  /**
   * What node disks are made of (default memory). 'leveldb' gives every node
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
  /** Longest quiet phase before liveness was shown (a maximum over seeds, not a sum). */
  recoveryTicksMax: number;
}

export function emptyTotals(): SimTotals {
  return {
    seeds: 0, ticks: 0, faults: 0, crashes: 0, elections: 0, commits: 0, writesAcked: 0,
    reads: 0, snapshots: 0, snapshotsSent: 0, confChanges: 0, transfers: 0, messages: 0, recoveryTicksMax: 0,
  };
}

export function addTotals(into: SimTotals, t: SimTotals): void {
  for (const k of Object.keys(into) as (keyof SimTotals)[]) {
    into[k] = k === 'recoveryTicksMax' ? Math.max(into[k], t[k]) : into[k] + t[k];
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
    const disk = this.opts.disk === 'leveldb' ? ' --disk leveldb' : '';
    return `npm run sim -- --seed ${this.opts.seed} --nodes ${this.opts.nodes} --ticks ${this.opts.ticks}${disk}`;
  }

  report(): string {
    return [this.message, `replay: ${this.replayCommand()}`, `last ${this.traceTail.length} steps:`, ...this.traceTail].join('\n');
  }
}

/** Per-seed parameters: every knob drawn from the seed, so runs differ widely. */
function drawParams(
  rng: SeededRng,
  nodes: number,
): { node: NodeParams; work: WorkloadParams; nemesis: NemesisParams; batchDelivery: boolean } {
  const node: NodeParams = {
    raft: {
      ...DEFAULT_RAFT_LIMITS,
      electionTicks: 10,
      heartbeatTicks: rng.pick([1, 2, 3]),
      maxMsgBytes: rng.pick([256, 4096, 1 << 20]),
      maxInflightMsgs: rng.pick([2, 8, 256]),
      maxUncommittedEntries: rng.pick([30, 1000]),
      maxApplyBytes: rng.pick([128, 1 << 20]),
      preVote: rng.chance(0.8),
      checkQuorum: rng.chance(0.8),
    },
    snapshotEveryEntries: rng.intBetween(5, 61),
    compactKeepEntries: rng.intBetween(0, 21),
  };
  const work: WorkloadParams = {
    writeRate: 0.1 + rng.next() * 0.5,
    readRate: 0.05 + rng.next() * 0.25,
    confChangeRate: rng.next() * 0.02,
    transferRate: rng.next() * 0.01,
    padBytesMax: rng.pick([0, 16, 200]),
    toLeaderRate: 0.9,
  };
  const nemesis: NemesisParams = {
    faultRate: 0.01 + rng.next() * 0.04,
    downTicksMin: 10,
    downTicksMax: rng.pick([50, 300]),
    partitionTicksMin: 10,
    partitionTicksMax: rng.pick([50, 300]),
    maxDown: rng.chance(0.2) ? nodes - 1 : Math.floor(nodes / 2),
    dropRateMax: rng.pick([0.05, 0.3]),
    dupRateMax: rng.pick([0, 0.2]),
    delayTicksMax: rng.pick([3, 8, 20]),
  };
  return { node, work, nemesis, batchDelivery: rng.chance(0.75) };
}

/**
 * Runs one seed: a fault phase of `ticks` ticks, then a quiet phase in which
 * liveness must show. Throws SimulationFailure on the first broken check.
 */
export function runSeed(opts: SimOptions): SimResult {
  const { seed } = opts;
  const trace = new Trace(TRACE_TAIL_LINES, opts.traceSink);
  const params = drawParams(new SeededRng(mixSeed(seed, 0, 1)), opts.nodes);
  const root = opts.disk === 'leveldb' ? fs.mkdtempSync(path.join(os.tmpdir(), `kvstore-sim-${seed}-`)) : undefined;
  const makeDisk: DiskFactory | undefined = root === undefined ? undefined : (id, conf) => new LevelDbDisk(path.join(root, `n${id}`), conf);
  const cluster = new SimCluster(seed, new SeededRng(mixSeed(seed, 0, 2)), params.node, trace, opts.seam, params.batchDelivery, makeDisk);
  const client = new SimClient(
    new SeededRng(mixSeed(seed, 0, 4)),
    cluster,
    params.work,
    opts.nodes,
    opts.nodes + SPARE_NODE_IDS,
    opts.seam === 'staleFollowerReads',
  );
  cluster.client = client;
  const nemesis = new Nemesis(new SeededRng(mixSeed(seed, 0, 3)), cluster, params.nemesis);
  let recoveryTicks = 0;
  try {
    trace.event(0, `seed ${seed}: ${opts.nodes} nodes, ${JSON.stringify({ ...params.node.raft, ...params.work, faultRate: params.nemesis.faultRate })}`);
    cluster.net.beginTick(0);
    cluster.bootstrap(opts.nodes);
    for (let t = 1; t <= opts.ticks; t++) {
      step(cluster, t, () => {
        nemesis.step();
        client.step(false);
      });
    }
    recoveryTicks = quietPhase(cluster, client, nemesis, opts.ticks);
  } catch (err) {
    throw toFailure(err, opts, cluster.tick, trace);
  } finally {
    if (root !== undefined) releaseDisks(cluster, root);
  }
  const totals: SimTotals = {
    seeds: 1,
    ticks: cluster.tick,
    faults: nemesis.faults,
    crashes: cluster.crashes,
    elections: cluster.elections,
    commits: cluster.safety.appliedMax,
    writesAcked: client.acked,
    reads: client.readsDone,
    snapshots: cluster.snapshots,
    snapshotsSent: cluster.snapshotsSent,
    confChanges: client.confChanges,
    transfers: client.transfers,
    messages: cluster.net.sent,
    recoveryTicksMax: recoveryTicks,
  };
  return { totals, digest: trace.digest() };
}

/** One tick: faults and clients act, the network delivers, nodes tick, checks run. */
function step(cluster: SimCluster, t: number, act: () => void): void {
  cluster.tick = t;
  cluster.net.beginTick(t);
  act();
  cluster.deliver();
  cluster.tickAll();
  cluster.retirePending();
  if (t % LOG_CHECK_EVERY_TICKS === 0) cluster.checkLogs();
}

/**
 * Liveness (Raft §5.2, §5.3): once faults stop, a leader is elected, every
 * write pending when faults stopped is settled (applied or known lost) and a
 * final write is applied by every voter, all within bounded ticks.
 */
function quietPhase(cluster: SimCluster, client: SimClient, nemesis: Nemesis, faultTicks: number): number {
  nemesis.stop();
  const opFloor = client.nextOpIdValue();
  let leaderAt = -1;
  let finalIndex: number | undefined;
  for (let k = 1; k <= QUIET_TICKS_MAX; k++) {
    const t = faultTicks + k;
    step(cluster, t, () => {
      client.step(true);
      if (cluster.leader() !== undefined && leaderAt < 0) leaderAt = t;
      if (finalIndex === undefined && leaderAt >= 0) finalIndex = client.finalWriteIndex();
    });
    if (leaderAt < 0 && k >= QUIET_LEADER_TICKS_MAX) {
      throw new CheckFailure('liveness', `no leader within ${QUIET_LEADER_TICKS_MAX} ticks after faults stopped`);
    }
    if (finalIndex !== undefined && client.pendingWritesBefore(opFloor) === 0 && allVotersApplied(cluster, finalIndex)) {
      cluster.checkLogs();
      return k;
    }
  }
  const leader = cluster.leader();
  const voters = (leader?.raw?.confState().voters ?? []).map((id) => {
    const n = cluster.node(id);
    return n === undefined ? `n${id}:missing` : `n${id}:${n.up ? `applied=${n.sm.applied}` : 'down'}`;
  });
  throw new CheckFailure(
    'liveness',
    `voters [${voters.join(' ')}]; ` +
    `${QUIET_TICKS_MAX} ticks after faults stopped: leader=${leader === undefined ? 'none' : `n${leader.id}`}, ` +
      `final write ${finalIndex === undefined ? 'not applied by its proposer' : `at ${finalIndex} not applied by every voter`}, ` +
      `${client.pendingWritesBefore(opFloor)} writes from the fault phase still pending: ${client.describePendingBefore(opFloor)}`,
  );
}

function allVotersApplied(cluster: SimCluster, index: number): boolean {
  const leader = cluster.leader();
  if (leader?.raw === undefined) return false;
  for (const id of leader.raw.confState().voters) {
    const n = cluster.node(id);
    if (n === undefined || !n.up || n.sm.applied < index) return false;
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
