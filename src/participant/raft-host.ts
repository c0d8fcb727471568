import { assert } from '../../raft/assert.js';
import type { MemoryStorage } from '../../raft/memory-storage.js';
import type { Message } from '../../raft/messages.js';
import { RawNode } from '../../raft/raw-node.js';
import type { RaftStatus, Ready } from '../../raft/ready.js';
import type { RaftConfig } from '../../raft/config.js';
import type { ConfChange, ConfState, Entry, NodeId, Snapshot, SoftState } from '../../raft/types.js';
import { NodeError } from './node-error.js';

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

/** Longest a snapshot encoder runs before yielding the event loop. */
const SNAPSHOT_SLICE_MS = 5;

/** Leader-only messages that promise nothing about this node's disk. */
const SEND_BEFORE_PERSIST: ReadonlySet<Message['type']> = new Set(['app', 'heartbeat', 'snap', 'timeoutNow']);

interface ProposalWaiter {
  resolve(results: unknown[]): void;
  reject(err: Error): void;
  deadlineMs: number;
}

interface QueuedProposal {
  readonly data: Uint8Array;
  readonly waiter: ProposalWaiter;
}

interface ReadWaiter {
  resolve(): void;
  reject(err: Error): void;
  deadlineMs: number;
}

export interface HostEvents {
  onSoftState?(soft: SoftState): void;
  onSnapshot?(kind: 'restored' | 'taken', index: number): void;
  /** After each batch of committed entries is applied, with the applied index. */
  onApplied?(applied: number): void;
  onFatal(err: unknown): void;
}

/**
 * Drives one RawNode: a tick timer, inputs queued while a Ready is being
 * persisted (so each fsync carries everything that arrived meanwhile: group
 * commit), and the Ready order persist -> send -> apply -> advance -> answer
 * (entries already on disk are applied while the write is in flight).
 * Invariant: nothing is fed to the core between ready() and advance().
 */
export class RaftHost {
  readonly node: RawNode;
  private readonly inbox: Message[] = [];
  private ticksDue = 0;
  private readonly ops: Array<() => void> = [];
  private readonly proposals: QueuedProposal[] = [];
  /** Proposed entries by index: the term they were proposed in, and who waits. */
  /** One waiter per command in the entry (a batch entry holds many); undefined once expired. */
  private readonly inflight = new Map<number, { term: number; waiters: Array<ProposalWaiter | undefined> }>();
  private readonly readsQueued: ReadWaiter[] = [];
  private readonly readsInflight = new Map<number, ReadWaiter[]>();
  /**
   * Reads a quorum confirmed, waiting until the state machine has applied
   * their read index: a Ready applies at most maxApplyBytes of entries, so
   * the one confirming a read may not yet have applied everything before it.
   * Invariant: read indexes are nondecreasing.
   */
  private readonly readsConfirmed: Array<{ readonly ctx: number; readonly index: number }> = [];
  /** Index of the last entry applied to the state machine (or restored snapshot). */
  private appliedIndex: number;
  private nextReadCtx = 1;
  private pumping = false;
  private pumpAgain = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private lastSnapshotIndex: number;
  /** Bytes of entries applied since the last snapshot was started. */
  private appliedBytesSinceSnapshot = 0;
  /** A snapshot is being encoded and saved off the pump (snapshotLater); at most one at a time. */
  private snapshotting = false;
  private soft: SoftState = { leaderId: 0, role: 'follower' };
  /** Callers waiting for a snapshot at least as new as the applied index when they asked. */
  private snapshotWaiters: Array<{ index: number; resolve: () => void; reject: (e: Error) => void }> = [];

  constructor(
    cfg: RaftConfig,
    private readonly store: HostStore,
    private readonly transport: HostTransport,
    private readonly sm: HostStateMachine,
    private readonly limits: HostLimits,
    private readonly events: HostEvents,
    private readonly now: () => number = Date.now,
  ) {
    this.node = new RawNode(cfg, store.log);
    this.lastSnapshotIndex = store.log.snapshot().meta.index;
    this.appliedIndex = cfg.applied;
  }

  start(): void {
    this.timer = setInterval(() => {
      this.ticksDue++;
      this.expireWaiters();
      this.kick();
    }, this.limits.tickMs);
    this.kick();
  }

  get leaderId(): NodeId {
    return this.soft.leaderId;
  }

  get isLeader(): boolean {
    return this.soft.role === 'leader';
  }

  status(): RaftStatus {
    return this.node.status();
  }

  /** A message from a peer. */
  deliver(msg: Message): void {
    if (this.closed) return;
    this.inbox.push(msg);
    this.kick();
  }

  /** Runs fn against the core at the next safe point (never inside a Ready). */
  withNode<T>(fn: (node: RawNode) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.ops.push(() => {
        try {
          resolve(fn(this.node));
        } catch (err) {
          reject(err);
        }
      });
      this.kick();
    });
  }

  /** Replicates one command; resolves with its results once applied here. */
  propose(data: Uint8Array, timeoutMs: number): Promise<unknown[]> {
    return new Promise<unknown[]>((resolve, reject) => {
      if (this.closed) return reject(new NodeError('CLOSED', 'node is shutting down'));
      if (!this.isLeader) return reject(new NodeError('NOT_LEADER', 'not the leader'));
      if (this.proposals.length >= this.limits.pendingProposalsMax) {
        return reject(new NodeError('OVERLOADED', 'too many pending proposals'));
      }
      this.proposals.push({ data, waiter: { resolve, reject, deadlineMs: this.now() + timeoutMs } });
      this.kick();
    });
  }

  /** Resolves once this node's state machine is linearizably current (ReadIndex). */
  readBarrier(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.closed) return reject(new NodeError('CLOSED', 'node is shutting down'));
      if (!this.isLeader) return reject(new NodeError('NOT_LEADER', 'not the leader'));
      this.readsQueued.push({ resolve, reject, deadlineMs: this.now() + timeoutMs });
      this.kick();
    });
  }

  /**
   * Takes a snapshot at the current applied index soon (if none covers it yet).
   * A member added with an empty disk can only learn the bootstrap membership
   * from a snapshot, so adding one starts with this.
   */
  snapshotNow(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.closed) return reject(new NodeError('CLOSED', 'node is shutting down'));
      this.ops.push(() => {
        this.snapshotWaiters.push({ index: this.node.status().applied, resolve, reject });
      });
      this.kick();
    });
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    const err = new NodeError('CLOSED', 'node is shutting down');
    this.failAll(err);
  }

  // ---- the loop -----------------------------------------------------------------

  private kick(): void {
    if (this.closed) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    queueMicrotask(() => {
      this.pump().then(
        () => {
          this.pumping = false;
          if (this.pumpAgain) {
            this.pumpAgain = false;
            this.kick();
          }
        },
        (err: unknown) => {
          this.pumping = false;
          this.events.onFatal(err);
        },
      );
    });
  }

  private feed(): void {
    const node = this.node;
    for (; this.ticksDue > 0; this.ticksDue--) node.tick();
    for (const m of this.inbox.splice(0)) node.step(m);
    for (const op of this.ops.splice(0)) op();
    this.proposeQueued();
    this.readQueued();
  }

  private proposeQueued(): void {
    while (this.proposals.length > 0) {
      const batch = this.proposals.splice(0, this.limits.proposalBatchMax);
      // Many commands ride in one entry when the state machine can combine them:
      // one log entry, one disk put and one encode for the whole batch.
      const combine = this.sm.combine?.bind(this.sm);
      const data = batch.length > 1 && combine !== undefined ? combine(batch.map((p) => p.data)) : undefined;
      const res = data !== undefined ? this.node.propose(data) : this.node.proposeBatch(batch.map((p) => p.data));
      if (!res.ok) {
        for (const p of batch) p.waiter.reject(new NodeError(res.code === 'notLeader' ? 'NOT_LEADER' : 'UNAVAILABLE', `proposal refused: ${res.code}`));
        continue;
      }
      if (data !== undefined) this.inflight.set(res.index, { term: res.term, waiters: batch.map((p) => p.waiter) });
      else batch.forEach((p, k) => this.inflight.set(res.index + k, { term: res.term, waiters: [p.waiter] }));
    }
  }

  private readQueued(): void {
    if (this.readsQueued.length === 0) return;
    const batch = this.readsQueued.splice(0);
    const ctx = this.nextReadCtx++;
    if (!this.node.readIndex(ctx)) {
      for (const w of batch) w.reject(new NodeError('NOT_LEADER', 'not the leader'));
      return;
    }
    this.readsInflight.set(ctx, batch);
  }

  private async pump(): Promise<void> {
    for (;;) {
      if (this.closed) return;
      this.pumpAgain = false;
      this.feed();
      if (!this.node.hasReady()) {
        if (this.snapshotWaiters.length > 0) await this.maybeSnapshot();
        return;
      }
      const rd = this.node.ready();
      // A leader's AppendEntries, heartbeats and snapshots may go out before
      // its own write lands (Raft thesis §10.2.1): its commit counts only
      // after that write, since this loop handles nothing else meanwhile.
      // Votes and acknowledgements wait: they promise what the write stores.
      const early: Message[] = [];
      const late: Message[] = [];
      for (const m of rd.messages) (SEND_BEFORE_PERSIST.has(m.type) ? early : late).push(m);
      this.sendAll(early);
      let applyNow = rd.committedEntries;
      if (rd.hardState !== undefined || rd.entries.length > 0 || rd.snapshot !== undefined) {
        // Committed entries this node already holds on disk need not wait for
        // this write: they are applied (and their clients answered) while the
        // disk works. Those the write itself carries (or rewrites: a follower
        // replacing a stale suffix) wait for it, as does everything after a
        // received snapshot, which is restored first.
        const rewrittenFrom = rd.entries[0]?.index ?? Infinity;
        const durable = rd.snapshot === undefined ? Math.min(this.store.log.lastIndex(), rewrittenFrom - 1) : 0;
        let n = 0;
        while (n < applyNow.length && applyNow[n]!.index <= durable) n++;
        const written = this.store.persist(
          {
            ...(rd.hardState !== undefined ? { hardState: rd.hardState } : {}),
            entries: rd.entries,
            ...(rd.snapshot !== undefined ? { snapshot: rd.snapshot } : {}),
          },
          { sync: rd.mustSync },
        );
        if (n > 0) {
          // One microtask turn first: the store hands its batch to LevelDB's
          // thread on a microtask (group commit), so the disk starts before the apply.
          await Promise.resolve();
          this.apply(applyNow.slice(0, n));
          applyNow = applyNow.slice(n);
        }
        await written;
      }
      this.sendAll(late);
      if (rd.snapshot !== undefined) {
        this.sm.restore(rd.snapshot.data);
        this.store.releaseSnapshotData?.();
        this.appliedIndex = rd.snapshot.meta.index;
        this.lastSnapshotIndex = rd.snapshot.meta.index;
        this.events.onSnapshot?.('restored', rd.snapshot.meta.index);
      }
      this.apply(applyNow);
      this.node.advance(rd);
      const lastApplied = rd.committedEntries[rd.committedEntries.length - 1];
      if (lastApplied !== undefined) this.events.onApplied?.(lastApplied.index);
      for (const rs of rd.readStates) this.readsConfirmed.push(rs);
      this.releaseConfirmedReads();
      for (const ctx of rd.droppedReads) this.settleRead(ctx, new NodeError('NOT_LEADER', 'leadership lost during read'));
      if (rd.softState !== undefined) this.onSoftState(rd.softState);
      await this.maybeSnapshot();
    }
  }

  private sendAll(messages: readonly Message[]): void {
    for (const m of messages) {
      if (m.type === 'snap') {
        this.transport.send(m.to, m, { onSent: (ok) => this.ops.push(() => this.node.reportSnapshot(m.to, ok)) });
      } else {
        this.transport.send(m.to, m);
      }
    }
    // One Ready is already a batch: its messages go out now, not after the
    // disk write or apply that follows (a follower's fsync starts sooner).
    if (messages.length > 0) this.transport.flush?.();
  }

  private apply(entries: readonly Entry[]): void {
    for (const e of entries) {
      assert(e.index === this.appliedIndex + 1, () => `host: applying entry ${e.index} after ${this.appliedIndex}`);
      this.appliedIndex = e.index;
      const waiting = this.inflight.get(e.index);
      if (waiting !== undefined) this.inflight.delete(e.index);
      if (e.type === 'conf') {
        this.sm.applyConfChange(e.index, e.change);
        for (const w of waiting?.waiters ?? []) w?.resolve([]);
        continue;
      }
      this.appliedBytesSinceSnapshot += e.data.length;
      const results = this.sm.applyEntry(e.index, e.data);
      if (waiting === undefined) continue;
      if (e.data.length === 0 || waiting.term !== e.term) {
        // Another leader's entry took this index: whatever was proposed here was lost.
        const lost = new NodeError('LOST', `entry ${e.index} was replaced by term ${e.term}`);
        for (const w of waiting.waiters) w?.reject(lost);
        continue;
      }
      assert(results.length === waiting.waiters.length, () => `host: entry ${e.index} answered ${results.length} results for ${waiting.waiters.length} commands`);
      waiting.waiters.forEach((w, k) => w?.resolve([results[k]]));
    }
  }

  private releaseConfirmedReads(): void {
    let n = 0;
    while (n < this.readsConfirmed.length && this.readsConfirmed[n]!.index <= this.appliedIndex) n++;
    for (const rs of this.readsConfirmed.splice(0, n)) this.settleRead(rs.ctx, undefined);
  }

  private settleRead(ctx: number, err: Error | undefined): void {
    const batch = this.readsInflight.get(ctx);
    if (batch === undefined) return;
    this.readsInflight.delete(ctx);
    for (const w of batch) {
      if (err === undefined) w.resolve();
      else w.reject(err);
    }
  }

  private onSoftState(soft: SoftState): void {
    const wasLeader = this.soft.role === 'leader';
    this.soft = soft;
    if (wasLeader && soft.role !== 'leader') {
      // Proposals made as leader may still commit under the next leader; they
      // settle when applied or at their deadline. Queued ones cannot be proposed here.
      const err = new NodeError('NOT_LEADER', 'leadership lost');
      for (const p of this.proposals.splice(0)) p.waiter.reject(err);
      for (const r of this.readsQueued.splice(0)) r.reject(err);
    }
    this.events.onSoftState?.(soft);
  }

  private async maybeSnapshot(): Promise<void> {
    if (this.snapshotting) return;
    const applied = this.node.status().applied;
    const asked = this.snapshotWaiters.some((w) => w.index > this.lastSnapshotIndex);
    const due = applied - this.lastSnapshotIndex >= this.limits.snapshotEntries || this.appliedBytesSinceSnapshot >= this.limits.snapshotBytes;
    if (!asked && !due) {
      this.settleSnapshotWaiters();
      return;
    }
    if (applied <= this.lastSnapshotIndex) return;
    const conf = this.node.confState();
    this.appliedBytesSinceSnapshot = 0;
    if (this.sm.snapshotLater === undefined) {
      await this.saveSnapshot(this.store.log.createSnapshot(applied, conf, this.sm.snapshot()));
      return;
    }
    // Encoding a big state takes long (~750 ms for 1M keys): it runs beside
    // the pump, a slice per event-loop turn, so heartbeats and writes go on.
    const encoder = this.sm.snapshotLater();
    this.snapshotting = true;
    this.encodeAndSave(applied, conf, encoder).then(
      () => {
        this.snapshotting = false;
        this.kick();
      },
      (err: unknown) => this.events.onFatal(err),
    );
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
    if (this.closed) return;
    const data = Buffer.concat(all);
    // Into the log at a safe point; a newer snapshot from the leader may have landed meanwhile.
    const snap = await this.withNode(() => (this.store.log.snapshot().meta.index < index ? this.store.log.createSnapshot(index, conf, data) : undefined));
    if (snap !== undefined && !this.closed) await this.saveSnapshot(snap);
  }

  /** The encoder's pieces, yielding the event loop every SNAPSHOT_SLICE_MS of encoding; none once closed. */
  private async *slices(encoder: SnapshotEncoder): AsyncGenerator<Uint8Array> {
    let sliceStart = performance.now();
    for (let piece = encoder.next(); piece !== undefined && !this.closed; piece = encoder.next()) {
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
    this.events.onSnapshot?.('taken', index);
    const compactTo = Math.max(0, index - this.limits.compactionLagEntries);
    if (compactTo > this.store.log.firstIndex() - 1) {
      assert(compactTo <= this.lastSnapshotIndex, 'host: compaction beyond the snapshot');
      await this.store.compact(compactTo);
    }
    this.settleSnapshotWaiters();
  }

  private settleSnapshotWaiters(): void {
    const done = this.snapshotWaiters.filter((w) => w.index <= this.lastSnapshotIndex);
    this.snapshotWaiters = this.snapshotWaiters.filter((w) => w.index > this.lastSnapshotIndex);
    for (const w of done) w.resolve();
  }

  private expireWaiters(): void {
    const now = this.now();
    let timeoutErr: NodeError | undefined;
    const timeout = (): NodeError => (timeoutErr ??= new NodeError('TIMEOUT', 'timed out waiting for the cluster'));
    for (const [index, entry] of this.inflight) {
      entry.waiters.forEach((w, k) => {
        if (w !== undefined && w.deadlineMs <= now) {
          entry.waiters[k] = undefined;
          w.reject(timeout());
        }
      });
      if (entry.waiters.every((w) => w === undefined)) this.inflight.delete(index);
    }
    for (const [ctx, batch] of this.readsInflight) {
      if (batch.every((w) => w.deadlineMs <= now)) {
        this.readsInflight.delete(ctx);
        for (const w of batch) w.reject(timeout());
      }
    }
  }

  private failAll(err: Error): void {
    for (const p of this.proposals.splice(0)) p.waiter.reject(err);
    for (const entry of this.inflight.values()) for (const w of entry.waiters) w?.reject(err);
    this.inflight.clear();
    for (const r of this.readsQueued.splice(0)) r.reject(err);
    for (const batch of this.readsInflight.values()) for (const w of batch) w.reject(err);
    this.readsInflight.clear();
    for (const w of this.snapshotWaiters.splice(0)) w.reject(err);
  }
}
