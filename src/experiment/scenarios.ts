import type { ExperimentShape } from './experiment-cluster.js';

/**
 * The built-in scenarios, each a timeline in the same text a user writes in
 * a scenario file (timeline-step.ts), so any of them can be copied and
 * changed. `pace` sets the phases: load before the fault, the fault, and
 * the time left after recovery; the tests run them short.
 */
export interface Pace {
  readonly warmupMs: number;
  readonly faultMs: number;
  readonly recoverMs: number;
}

export const PACE_DEFAULT: Pace = { warmupMs: 3_000, faultMs: 5_000, recoverMs: 4_000 };

export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** Shapes it makes sense on. */
  readonly shapes: readonly ExperimentShape[];
  /** Config snapshot_entries of the replicas (unset: the program's default). */
  readonly snapshotEntries?: number;
  /** Every k-th request an MSET over every group (0: plain SETs only). */
  readonly msetEvery: number;
  steps(p: Pace, members: readonly string[]): string[];
}

const both = ['2pc', 'raft'] as const;
const ms = (n: number): string => `${Math.round(n)}ms`;

/** Restarted or resumed victims get this long to catch up before the timeline moves on. */
const catchUpMs = 20_000;

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'kill-leader',
    description: 'kill -9 the leader of group 1 under load, restart it later: a new leader is elected, the old one rejoins by log replay',
    shapes: both,
    msetEvery: 0,
    steps: (p) => ['start load', `wait ${ms(p.warmupMs)}`, 'kill -9 leader', `wait ${ms(p.faultMs)}`, 'restart victim', `wait caught-up victim ${ms(catchUpMs)}`, `wait ${ms(p.recoverMs)}`, 'stop'],
  },
  {
    name: 'kill-follower',
    description: 'kill -9 a follower of group 1 under load, restart it: writes go on, the follower catches up',
    shapes: both,
    msetEvery: 0,
    steps: (p) => ['start load', `wait ${ms(p.warmupMs)}`, 'kill -9 follower', `wait ${ms(p.faultMs)}`, 'restart victim', `wait caught-up victim ${ms(catchUpMs)}`, `wait ${ms(p.recoverMs)}`, 'stop'],
  },
  {
    name: 'kill-majority',
    description: 'kill -9 two of three replicas: no quorum, writes fail fast with -ERROR; restart both: a leader is elected again',
    shapes: both,
    msetEvery: 0,
    steps: (p) => [
      'start load', `wait ${ms(p.warmupMs)}`, 'kill -9 leader', 'kill -9 follower', `wait ${ms(p.faultMs)}`,
      'restart down', `wait caught-up victim ${ms(catchUpMs)}`, `wait leaders ${ms(catchUpMs)}`, `wait ${ms(p.recoverMs)}`, 'stop',
    ],
  },
  {
    name: 'kill-coordinator',
    description: 'kill -9 the coordinator (the front door) during cross-group MSET transactions, restart it: it holds no data and serves again within a second',
    shapes: ['2pc'],
    msetEvery: 2,
    steps: (p) => ['start load', `wait ${ms(p.warmupMs)}`, 'kill -9 coordinator', `wait ${ms(p.faultMs)}`, 'restart victim', `wait caught-up victim ${ms(catchUpMs)}`, `wait ${ms(p.recoverMs)}`, 'stop'],
  },
  {
    name: 'pause-leader',
    description: 'SIGSTOP the leader of group 1 (a long GC pause, a frozen VM), SIGCONT it later: the others elect a leader, the old one steps down',
    shapes: both,
    msetEvery: 0,
    steps: (p) => ['start load', `wait ${ms(p.warmupMs)}`, 'pause leader', `wait ${ms(p.faultMs)}`, 'resume victim', `wait caught-up victim ${ms(catchUpMs)}`, `wait ${ms(p.recoverMs)}`, 'stop'],
  },
  {
    name: 'partition-leader',
    description: 'cut the leader of group 1 off from every other member, heal later: the majority side elects a leader, the old one steps down and catches up',
    shapes: both,
    msetEvery: 0,
    steps: (p) => ['start load', `wait ${ms(p.warmupMs)}`, 'partition leader | rest', `wait ${ms(p.faultMs)}`, 'heal', `wait caught-up victim ${ms(catchUpMs)}`, `wait ${ms(p.recoverMs)}`, 'stop'],
  },
  {
    name: 'lagging-follower',
    description: 'kill -9 a follower and keep it down until the others have snapshotted and compacted their logs past it (snapshot_entries 50): it rejoins by InstallSnapshot',
    shapes: both,
    snapshotEntries: 50,
    msetEvery: 0,
    steps: (p) => ['start load', `wait ${ms(p.warmupMs)}`, 'kill -9 follower', `wait ${ms(p.faultMs)}`, 'wait compacted victim 30s', 'restart victim', `wait caught-up victim ${ms(catchUpMs)}`, `wait ${ms(p.recoverMs)}`, 'stop'],
  },
  {
    name: 'rolling-restart',
    description: 'restart every replica in turn (SIGTERM, start, wait until it caught up), as an upgrade does: the load never stops',
    shapes: both,
    msetEvery: 0,
    steps: (p, members) => [
      'start load',
      `wait ${ms(p.warmupMs)}`,
      ...members.flatMap((m) => [`terminate ${m}`, `wait ${ms(p.faultMs / 3)}`, `restart ${m}`, `wait caught-up ${m} ${ms(catchUpMs)}`]),
      `wait ${ms(p.recoverMs)}`,
      'stop',
    ],
  },
];

export function scenarioNamed(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
