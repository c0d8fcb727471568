import { join } from 'node:path';
import { start2pc, startRaft, startRedis, type RunningSystem } from './cluster-systems.js';
import { startFloor } from './floor-skeleton.js';
import type { ProcessOwner } from './process-owner.js';
import type { Comparison } from './suite-table.js';

/**
 * The systems bench:cluster can run, by the key --systems names them with,
 * in table order: each 2PC shape beside the other, then the Raft peer
 * direct, durable redis and the floor skeleton. Names are what the table,
 * the ratios and the targets look rows up by.
 */
export const SYSTEM_NAMES = {
  /** The coordinator with its default layout: 3 participants -> 3 groups. */
  coordinator: 'coordinator+3',
  /** The same processes with a `groups 1` line: one Raft group over all three, the shape before multi-raft. */
  coordinatorOneGroup: 'coordinator+3 (groups 1)',
  raft: 'raft leader',
  redis: 'redis aof always',
  /** floor-roles.ts with LevelDB, loaded through its coordinator: bench:floor's "via coordinator, LevelDB" row. */
  floor: 'floor LevelDB',
} as const;

/** The ratio lines under the table: what the targets compare, and raft direct against the coordinator. */
export const COMPARISONS: readonly Comparison[] = [
  { of: SYSTEM_NAMES.coordinator, over: SYSTEM_NAMES.coordinatorOneGroup, measure: 'ops/s' },
  { of: SYSTEM_NAMES.raft, over: SYSTEM_NAMES.coordinator, measure: 'ops/s' },
  { of: SYSTEM_NAMES.coordinator, over: SYSTEM_NAMES.floor, measure: 'p50' },
  { of: SYSTEM_NAMES.coordinatorOneGroup, over: SYSTEM_NAMES.floor, measure: 'p50' },
];

export interface SystemStarter {
  /** What --systems calls it. */
  readonly key: string;
  readonly name: string;
  readonly start: (owner: ProcessOwner, dir: string) => Promise<RunningSystem>;
}

export const STARTERS: readonly SystemStarter[] = [
  { key: '2pc', name: SYSTEM_NAMES.coordinator, start: (owner, dir) => start2pc(owner, dir) },
  {
    key: '2pc1',
    name: SYSTEM_NAMES.coordinatorOneGroup,
    start: (owner, dir) => start2pc(owner, dir, { name: SYSTEM_NAMES.coordinatorOneGroup, coordinatorLines: ['groups 1'] }),
  },
  { key: 'raft', name: SYSTEM_NAMES.raft, start: startRaft },
  { key: 'redis', name: SYSTEM_NAMES.redis, start: startRedis },
  { key: 'floor', name: SYSTEM_NAMES.floor, start: startFloor },
];

/** Every key, comma-separated: the --systems default. */
export const ALL_SYSTEM_KEYS = STARTERS.map((s) => s.key).join(',');

/** The starters these --systems keys name, in table order; throws on a key that names none. */
export function selectStarters(keys: string): SystemStarter[] {
  const wanted = new Set(keys.split(',').map((k) => k.trim()).filter((k) => k !== ''));
  const unknown = [...wanted].filter((k) => !STARTERS.some((s) => s.key === k));
  if (unknown.length > 0) throw new Error(`--systems: unknown ${unknown.join(', ')} (known: ${ALL_SYSTEM_KEYS})`);
  return STARTERS.filter((s) => wanted.has(s.key));
}

/** Starts each in its own folder under `dir`; one that cannot start is reported, not fatal (redis may not be installed). */
export async function startSystems(owner: ProcessOwner, dir: string, starters: readonly SystemStarter[], log: (s: string) => void): Promise<{ systems: RunningSystem[]; unavailable: string[] }> {
  const systems: RunningSystem[] = [];
  const unavailable: string[] = [];
  for (const s of starters) {
    log(`starting ${s.name} ...`);
    try {
      systems.push(await s.start(owner, join(dir, s.key)));
    } catch (err) {
      unavailable.push(`${s.name}: not available — ${(err as Error).message}`);
      log(`  ${s.name} not available: ${(err as Error).message}`);
    }
  }
  return { systems, unavailable };
}
