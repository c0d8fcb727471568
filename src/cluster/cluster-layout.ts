import { assert, assertNever } from '../../raft/assert.js';

/**
 * What `kvstore cluster` runs, before anything touches a disk or a socket.
 *
 * - `2pc` (the lab's shape): a coordinator on basePort, participants on
 *   basePort+1..+3, all `kvstore2pcsystem`; the coordinator is the front door.
 * - `raft`: three `kvstoreraftsystem` peers on basePort+100..+102; the first
 *   is the front door (any peer would do: each forwards to the leader).
 *
 * Every member has its config file and its data under the cluster folder;
 * members are started with that folder as their working directory, so the
 * relative `data_dir` lines below stay right if the folder is moved.
 */
export const CLUSTER_SHAPES = ['2pc', 'raft'] as const;
export type ClusterShape = (typeof CLUSTER_SHAPES)[number];

export const CLUSTER_PROGRAMS = ['kvstore2pcsystem', 'kvstoreraftsystem'] as const;
export type ClusterProgram = (typeof CLUSTER_PROGRAMS)[number];

/** Members of each shape; the lab uses three participants. */
export const clusterMembersCount = 3;
/** Raft peers listen this far above the base port (8101-8103 by default). */
export const raftPortOffset = 100;
/** The highest port offset any shape uses, for validating --base-port. */
export const portOffsetMax = raftPortOffset + clusterMembersCount - 1;

export interface ClusterMember {
  /** Also the stem of its config, log and data folder names: `participant2`. */
  readonly name: string;
  readonly program: ClusterProgram;
  /** Relative to the cluster folder. */
  readonly configFile: string;
  /** The config we write when the file is absent. */
  readonly defaultConfig: string;
  /** The kind of config the file must hold. */
  readonly configKind: 'coordinator' | 'participant' | 'raft';
}

export interface ClusterLayout {
  readonly shape: ClusterShape;
  /** In start order; the front door first. */
  readonly members: readonly ClusterMember[];
  /** Where myshell connects: members[0]. */
  readonly frontDoor: ClusterMember;
}

const HEADER = [
  '! Written by `kvstore cluster`, which only writes this file when it is absent:',
  '! edit it freely, or delete it to get the default back. data_dir is relative',
  '! to the folder holding this file (the launcher runs every member there).',
];

/**
 * `redisPort`: the front door (coordinator, or raft1) also serves the Redis
 * endpoint there (`redis_info`); undefined: no Redis endpoint. `memcachePort`:
 * the same for the memcached endpoint (`memcache_info`).
 */
export function clusterLayout(shape: ClusterShape, basePort: number, host = '127.0.0.1', redisPort?: number, memcachePort?: number): ClusterLayout {
  assert(Number.isSafeInteger(basePort) && basePort >= 1 && basePort + portOffsetMax <= 65535, `base port ${basePort} out of range`);
  assert(redisPort === undefined || (Number.isSafeInteger(redisPort) && redisPort >= 1 && redisPort <= 65535), `redis port ${redisPort} out of range`);
  const at = (offset: number): string => `${host}:${basePort + offset}`;
  assert(memcachePort === undefined || (Number.isSafeInteger(memcachePort) && memcachePort >= 1 && memcachePort <= 65535 && memcachePort !== redisPort), `memcache port ${memcachePort} out of range or the Redis port`);
  const redisLine = [...(redisPort === undefined ? [] : [`redis_info ${host}:${redisPort}`]), ...(memcachePort === undefined ? [] : [`memcache_info ${host}:${memcachePort}`])];
  const numbers = Array.from({ length: clusterMembersCount }, (_, i) => i + 1);
  let members: ClusterMember[];
  switch (shape) {
    case '2pc': {
      const coordinator: ClusterMember = {
        name: 'coordinator',
        program: 'kvstore2pcsystem',
        configFile: 'coordinator.conf',
        configKind: 'coordinator',
        defaultConfig: lines([
          'mode coordinator',
          `coordinator_info ${at(0)}`,
          ...numbers.map((n) => `participant_info ${at(n)}`),
          // Written out so a user sees the multi-raft shape and where to change it (before the first start).
          `groups ${numbers.length}`,
          `replicas ${Math.min(3, numbers.length)}`,
          'data_dir data/coordinator',
          ...redisLine,
        ]),
      };
      members = [coordinator, ...numbers.map((n): ClusterMember => ({
        name: `participant${n}`,
        program: 'kvstore2pcsystem',
        configFile: `participant${n}.conf`,
        configKind: 'participant',
        defaultConfig: lines([
          'mode participant',
          `participant_info ${at(n)}`,
          `coordinator_info ${at(0)}`,
          `data_dir data/participant${n}`,
        ]),
      }))];
      break;
    }
    case 'raft':
      members = numbers.map((n): ClusterMember => ({
        name: `raft${n}`,
        program: 'kvstoreraftsystem',
        configFile: `raft${n}.conf`,
        configKind: 'raft',
        defaultConfig: lines([
          '! The first follower_info line is this peer.',
          `follower_info ${at(raftPortOffset + n - 1)}`,
          ...numbers.filter((m) => m !== n).map((m) => `follower_info ${at(raftPortOffset + m - 1)}`),
          `data_dir data/raft${n}`,
          ...(n === 1 ? redisLine : []),
        ]),
      }));
      break;
    default:
      return assertNever(shape, 'cluster shape');
  }
  const frontDoor = members[0];
  assert(frontDoor !== undefined, 'a cluster has members');
  return { shape, members, frontDoor };
}

function lines(body: readonly string[]): string {
  return [...HEADER, ...body, ''].join('\n');
}
