/**
 * Starting the latency-floor skeleton of floor-roles.ts (client ->
 * coordinator -> leader -> two followers, synced writes on all three,
 * answer on leader + one follower): four processes owned by a
 * ProcessOwner. `npm run bench:floor` times it on its own; `npm run
 * bench:cluster` runs its coordinator as one more system for the c=1 row,
 * so our coordinator's c=1 p50 is judged against the floor in the same run.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningSystem } from './cluster-systems.js';
import type { ProcessOwner, ServerProc } from './process-owner.js';

/** What each skeleton member writes synced: a LevelDB batch, or a raw preallocated file plus fdatasync. */
export type FloorStorage = 'leveldb' | 'file';

const ROLES = join(import.meta.dirname, 'floor-roles.js');
/** How long a role may take to open its storage and listen (the file one preallocates 64 MiB). */
const roleStartTimeoutMs = 30_000;

/** Requests the skeleton serves at once: its members keep one request in flight (floor-roles.ts). */
export const FLOOR_CONCURRENCY_MAX = 1;

export interface Skeleton {
  /** Takes RESP SETs and answers +OK. */
  readonly coordinator: number;
  /** Takes length-prefixed requests and answers an empty frame. */
  readonly leader: number;
  readonly procs: readonly ServerProc[];
}

/** Starts one role and resolves with the port it reported over IPC once it listens. */
function startRole(owner: ProcessOwner, name: string, storage: FloorStorage, dir: string, ports: readonly number[]): Promise<{ proc: ServerProc; port: number }> {
  const data = join(dir, name);
  mkdirSync(data, { recursive: true });
  const role = name.replace(/-\d+$/, '');
  const proc = owner.start(`floor ${name}`, process.execPath, [ROLES, role, storage, data, ...ports.map(String)], data, { ipc: true });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`floor ${name} did not listen within ${roleStartTimeoutMs} ms\n${proc.stderr.slice(-2000)}`)), roleStartTimeoutMs);
    proc.child.once('message', (m) => {
      clearTimeout(timer);
      resolve({ proc, port: (m as { port: number }).port });
    });
    proc.child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`floor ${name} exited (${String(code)}) before listening\n${proc.stderr.slice(-2000)}`));
    });
  });
}

/** Starts two followers, the leader that dials them and the coordinator that dials it, in `dir`. */
export async function startSkeleton(owner: ProcessOwner, storage: FloorStorage, dir: string): Promise<Skeleton> {
  const followers = [await startRole(owner, 'follower-1', storage, dir, []), await startRole(owner, 'follower-2', storage, dir, [])];
  const leader = await startRole(owner, 'leader', storage, dir, followers.map((f) => f.port));
  const coordinator = await startRole(owner, 'coordinator', storage, dir, [leader.port]);
  return { coordinator: coordinator.port, leader: leader.port, procs: [...followers, leader, coordinator].map((r) => r.proc) };
}

/** The skeleton with LevelDB as a system of bench:cluster: load goes to its coordinator, one request at a time. */
export async function startFloor(owner: ProcessOwner, dir: string): Promise<RunningSystem> {
  const sk = await startSkeleton(owner, 'leveldb', dir);
  return {
    name: 'floor LevelDB',
    port: sk.coordinator,
    pids: sk.procs.map((p) => p.child.pid).filter((x) => x !== undefined),
    procs: [...sk.procs],
    concurrencyMax: FLOOR_CONCURRENCY_MAX,
  };
}
