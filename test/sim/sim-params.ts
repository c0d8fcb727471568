import { DEFAULT_RAFT_LIMITS } from '../../raft/config.js';
import type { SeededRng } from '../../raft/rng.js';
import type { NemesisParams } from './nemesis.js';
import type { WorkloadParams } from './sim-client.js';
import type { ProcessParams } from './sim-process.js';
import { STEPS_PER_TICK } from './sim-world.js';

/** Milliseconds of one tick: the host's tickMs, and what its clock (`now`) advances per tick. */
export const TICK_MS = 10;

/** Everything one seed draws before it starts. */
export interface SeedParams {
  readonly process: ProcessParams;
  readonly work: WorkloadParams;
  readonly nemesis: NemesisParams;
  readonly batchDelivery: boolean;
  /** Disk batches land 1..this many steps after they are handed to the disk. */
  readonly diskLatencyStepsMax: number;
}

/** Per-seed parameters: every knob drawn from the seed, so runs differ widely. */
export function drawParams(rng: SeededRng, nodes: number): SeedParams {
  const snapshotEntries = rng.intBetween(5, 61);
  const process: ProcessParams = {
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
    limits: {
      tickMs: TICK_MS,
      snapshotEntries,
      // Snapshots by entry count only: the simulated commands are small.
      snapshotBytes: 1 << 30,
      compactionLagEntries: rng.intBetween(0, 21),
      pendingProposalsMax: 10_000,
      proposalBatchMax: rng.pick([1, 8, 256]),
    },
    combine: rng.chance(0.5),
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
  // From a disk faster than a tick to one slower than two.
  const diskLatencyStepsMax = rng.pick([1, STEPS_PER_TICK / 2, STEPS_PER_TICK, 2 * STEPS_PER_TICK + 1]);
  return { process, work, nemesis, batchDelivery: rng.chance(0.75), diskLatencyStepsMax };
}
