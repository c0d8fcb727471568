import type { MemoryStorage } from '../../raft/memory-storage.js';
import type { Message } from '../../raft/messages.js';
import type { Ready } from '../../raft/ready.js';
import type { ConfChange, ConfState, Entry, NodeId, Snapshot, SoftState } from '../../raft/types.js';

/*
 * What a Raft host needs from the world around one group's replica, and
 * what it tells it. The host loop (host-loop.ts) and a group replica
 * (group-replica.ts) see only these interfaces, so the simulator can run
 * the shipped loop with its own store, transport, scheduler and ticker.
 */

/** The durable side of a node: a synced write per Ready, mirrored into `log`. */
export interface HostStore {
  readonly log: MemoryStorage;
  /** sync false: nothing but a commit index changed, which a crash may lose harmlessly. */
  persist(w: { hardState?: Ready['hardState']; entries: readonly Entry[]; snapshot?: Snapshot }, opts?: { sync?: boolean }): Promise<void>;
  saveSnapshot(snap: Snapshot): Promise<void>;
  /** Drops entries through index, which a saved snapshot covers. */
  compact(index: number): Promise<void>;
  /**
   * Saves a snapshot of the state machine at `index` from its pieces as they
   * come, recording it in `log` (data left on disk) once durable; false if a
   * snapshot from the leader superseded it meanwhile.
   */
  saveSnapshotStream?(index: number, conf: ConfState, pieces: AsyncIterable<Uint8Array>): Promise<boolean>;
  /** Lets the durable snapshot's data go from memory (the state machine holds it; it is read back to send). */
  releaseSnapshotData?(): void;
}

export interface HostTransport {
  send(to: NodeId, msg: Message, opts?: { onSent?: (ok: boolean) => void }): void;
  /** Puts everything sent so far on the wire now (a transport may otherwise batch until the turn ends). */
  flush?(): void;
}

/** What the host replicates: applies entries in order, snapshots and restores. */
export interface HostStateMachine {
  /** Applies one normal entry (empty data: a leader's no-op); returns one result per command inside. */
  applyEntry(index: number, data: Uint8Array): unknown[];
  /** Applies a committed membership change at its index (e.g. records the member's address). */
  applyConfChange(index: number, change: ConfChange): void;
  snapshot(): Uint8Array;
  /**
   * Captures the state now and returns an encoder that produces snapshot()'s
   * bytes for that state a piece per step, while entries go on being applied:
   * a big state is snapshotted without stopping the node.
   */
  snapshotLater?(): SnapshotEncoder;
  restore(data: Uint8Array): void;
  /** Packs many commands' data into one entry whose results come back in the same order. */
  combine?(datas: readonly Uint8Array[]): Uint8Array;
}

/** See HostStateMachine.snapshotLater. */
export interface SnapshotEncoder {
  /** The next piece of the snapshot's bytes (they concatenate to snapshot()'s); undefined once all were given. */
  next(): Uint8Array | undefined;
}

export interface HostLimits {
  readonly tickMs: number;
  /** Applied entries between snapshots... */
  readonly snapshotEntries: number;
  /** ...or applied entry bytes, whichever comes first: batch entries hold many commands, and the log stays in memory until a snapshot. */
  readonly snapshotBytes: number;
  /** Entries kept behind a snapshot for followers that lag a little. */
  readonly compactionLagEntries: number;
  /** Commands queued for the next proposal batch before new ones are refused. */
  readonly pendingProposalsMax: number;
  /** Commands packed into one Raft entry batch. */
  readonly proposalBatchMax: number;
}

/** Where a snapshot's time went: taking and saving one, streaming one to a follower, restoring one from the leader. */
export type SnapshotPhase = 'save' | 'send' | 'restore';

export interface HostEvents {
  onSoftState?(soft: SoftState): void;
  onSnapshot?(kind: 'restored' | 'taken', index: number): void;
  /** How long a snapshot phase took (a send: only one that reached the kernel). Absent: no clock is read for it. */
  onSnapshotSeconds?(phase: SnapshotPhase, seconds: number): void;
  /** After each batch of committed entries is applied, with the applied index. */
  onApplied?(applied: number): void;
  onFatal(err: unknown): void;
}

/** Runs a continuation soon, after the current synchronous run (production: setImmediate, see IMMEDIATE_SCHEDULER). */
export interface HostScheduler {
  soon(fn: () => void): void;
}

/** Calls `fn` every `everyMs` until stopped (production: setInterval). */
export interface HostTicker {
  start(everyMs: number, fn: () => void): void;
  stop(): void;
}

export const MICROTASK_SCHEDULER: HostScheduler = { soon: (fn) => queueMicrotask(fn) };
/**
 * A turn after this event-loop pass's I/O callbacks and every promise chain
 * they started: requests that arrived together (a front door's RESOLVE and
 * the next PREPARE it rides with, a pipeline's commands) reach the Raft
 * core first, whatever awaits each passes through before it proposes, and
 * share one write and one fsync. As a microtask, a turn began at the first
 * proposal and the rest waited for the next fsync: 4 per cross-group MSET
 * on every host at c=1 instead of 2 (`npm run bench:cluster`).
 */
export const IMMEDIATE_SCHEDULER: HostScheduler = { soon: (fn) => setImmediate(fn) };

export function intervalTicker(): HostTicker {
  let timer: NodeJS.Timeout | undefined;
  return {
    start(everyMs, fn) {
      timer = setInterval(fn, everyMs);
    },
    stop() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    },
  };
}
