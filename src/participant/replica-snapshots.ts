import { assert } from '../../raft/assert.js';
import type { RawNode } from '../../raft/raw-node.js';
import type { ConfState, Snapshot } from '../../raft/types.js';
import { SnapshotTurns } from './snapshot-turns.js';
import type { HostLimits, HostStateMachine, HostStore, SnapshotEncoder, SnapshotPhase } from './host-contract.js';

/** Longest a snapshot encoder runs before yielding the event loop. */
const SNAPSHOT_SLICE_MS = 5;

export interface SnapshotHooks {
  /** Runs fn against the core at the replica's next safe point. */
  withNode<T>(fn: (node: RawNode) => T): Promise<T>;
  isClosed(): boolean;
  kick(): void;
  fatal(err: unknown): void;
  onSnapshot?(kind: 'restored' | 'taken', index: number): void;
  onSnapshotSeconds?(phase: SnapshotPhase, seconds: number): void;
}

/**
 * One replica's snapshot policy: a snapshot every snapshotEntries applied
 * entries or snapshotBytes applied bytes, or when someone asks; taken beside
 * the loop (never blocking a turn), then the log it covers is compacted,
 * keeping a tail for followers that lag a little.
 * Invariant: at most one snapshot is being taken at a time, by this replica
 * and by the replicas sharing its SnapshotTurns (the groups of a process).
 */
export class ReplicaSnapshots {
  private lastSnapshotIndex: number;
  /** Bytes of entries applied since the last snapshot was started. */
  private appliedBytesSinceSnapshot = 0;
  private snapshotting = false;
  /** Due, but another group of the process held the turn. */
  private waitingTurn = false;
  /** performance.now() when the snapshot being taken was started. */
  private startedMs = 0;
  /** Callers waiting for a snapshot at least as new as the applied index when they asked. */
  private waiters: Array<{ index: number; resolve: () => void; reject: (e: Error) => void }> = [];

  constructor(
    private readonly node: RawNode,
    private readonly store: HostStore,
    private readonly sm: HostStateMachine,
    private readonly limits: HostLimits,
    private readonly hooks: SnapshotHooks,
    /** Shared by the groups of a process so they snapshot one at a time (default: this replica's own). */
    private readonly turns: SnapshotTurns = new SnapshotTurns(),
  ) {
    this.lastSnapshotIndex = store.log.snapshot().meta.index;
  }

  appliedBytes(n: number): void {
    this.appliedBytesSinceSnapshot += n;
  }

  ask(index: number, resolve: () => void, reject: (e: Error) => void): void {
    this.waiters.push({ index, resolve, reject });
  }

  /** Asked for a snapshot, or due and refused the turn: the loop calls maybeStart even on a turn without a Ready. */
  get asked(): boolean {
    return this.waiters.length > 0 || this.waitingTurn;
  }

  /** A snapshot from the leader was restored at index. */
  restored(index: number): void {
    this.lastSnapshotIndex = Math.max(this.lastSnapshotIndex, index);
  }

  /** At a safe point of the loop (after advance): starts a snapshot if one is due. */
  maybeStart(): void {
    if (this.snapshotting || this.hooks.isClosed()) return;
    this.waitingTurn = false;
    const applied = this.node.status().applied;
    const asked = this.waiters.some((w) => w.index > this.lastSnapshotIndex);
    const due = applied - this.lastSnapshotIndex >= this.limits.snapshotEntries || this.appliedBytesSinceSnapshot >= this.limits.snapshotBytes;
    if (!asked && !due) {
      this.settle();
      return;
    }
    if (applied <= this.lastSnapshotIndex) return;
    // Another group of this process is snapshotting: ask again when it is done.
    this.waitingTurn = !this.turns.take(this, () => this.hooks.kick());
    if (this.waitingTurn) return;
    const conf = this.node.confState();
    this.appliedBytesSinceSnapshot = 0;
    this.snapshotting = true;
    this.startedMs = performance.now();
    const done = (): void => {
      this.snapshotting = false;
      this.turns.release(this);
      this.hooks.kick();
    };
    if (this.sm.snapshotLater === undefined) {
      // Small state machines: the snapshot is taken here, at the safe point, and saved beside the loop.
      const snap = this.store.log.createSnapshot(applied, conf, this.sm.snapshot());
      this.saveSnapshot(snap).then(done, (err: unknown) => this.hooks.fatal(err));
      return;
    }
    // Encoding a big state takes long (~750 ms for 1M keys): it runs beside
    // the loop, a slice per event-loop turn, so heartbeats and writes go on.
    const encoder = this.sm.snapshotLater();
    this.encodeAndSave(applied, conf, encoder).then(done, (err: unknown) => this.hooks.fatal(err));
  }

  failAll(err: Error): void {
    for (const w of this.waiters.splice(0)) w.reject(err);
  }

  private async encodeAndSave(index: number, conf: ConfState, encoder: SnapshotEncoder): Promise<void> {
    const pieces = this.slices(encoder);
    if (this.store.saveSnapshotStream !== undefined) {
      // Straight to disk: the snapshot is never whole in memory.
      if (await this.store.saveSnapshotStream(index, conf, pieces)) await this.snapshotSaved(index);
      return;
    }
    const all: Uint8Array[] = [];
    for await (const piece of pieces) all.push(piece);
    if (this.hooks.isClosed()) return;
    const data = Buffer.concat(all);
    // Into the log at a safe point; a newer snapshot from the leader may have landed meanwhile.
    const snap = await this.hooks.withNode(() => (this.store.log.snapshot().meta.index < index ? this.store.log.createSnapshot(index, conf, data) : undefined));
    if (snap !== undefined && !this.hooks.isClosed()) await this.saveSnapshot(snap);
  }

  /** The encoder's pieces, yielding the event loop every SNAPSHOT_SLICE_MS of encoding; none once closed. */
  private async *slices(encoder: SnapshotEncoder): AsyncGenerator<Uint8Array> {
    let sliceStart = performance.now();
    for (let piece = encoder.next(); piece !== undefined && !this.hooks.isClosed(); piece = encoder.next()) {
      yield piece;
      if (performance.now() - sliceStart >= SNAPSHOT_SLICE_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
      }
    }
  }

  /** Makes a snapshot created in the log durable, then drops the log it covers (keeping a tail). */
  private async saveSnapshot(snap: Snapshot): Promise<void> {
    await this.store.saveSnapshot(snap);
    await this.snapshotSaved(snap.meta.index);
  }

  private async snapshotSaved(index: number): Promise<void> {
    this.store.releaseSnapshotData?.();
    this.lastSnapshotIndex = Math.max(this.lastSnapshotIndex, index);
    this.hooks.onSnapshot?.('taken', index);
    this.hooks.onSnapshotSeconds?.('save', (performance.now() - this.startedMs) / 1000);
    const compactTo = Math.max(0, index - this.limits.compactionLagEntries);
    if (compactTo > this.store.log.firstIndex() - 1) {
      assert(compactTo <= this.lastSnapshotIndex, 'host: compaction beyond the snapshot');
      await this.store.compact(compactTo);
    }
    this.settle();
  }

  private settle(): void {
    const done = this.waiters.filter((w) => w.index <= this.lastSnapshotIndex);
    this.waiters = this.waiters.filter((w) => w.index > this.lastSnapshotIndex);
    for (const w of done) w.resolve();
  }
}
