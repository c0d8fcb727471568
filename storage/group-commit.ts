import { assert } from '../raft/assert.js';
import type { Db } from './load.js';
import { StorageError } from './storage-error.js';

/** One LevelDB operation: a put, or a delete when value is undefined. */
export type BatchOp = readonly [key: Uint8Array, value: Uint8Array | undefined];

/** One caller's write: its operations, in order, and what to do once they are durable. */
export interface GroupWrite {
  readonly ops: readonly BatchOp[];
  /** Runs after the batch holding these ops is written (synced if any write asked), in submission order. */
  readonly onDurable: () => void;
  /**
   * False for a write that may be lost in a crash without harm (e.g. a
   * commit-index-only hard state: commit is recomputable, Raft Figure 2).
   * A batch is synced if any write in it asks for sync (default true).
   */
  readonly sync?: boolean;
}

export interface GroupCommitLimits {
  /** Caller writes merged into one batch at most. */
  readonly groupWritesMax: number;
  /** Key + value bytes in one batch at most (a single larger write still goes alone). */
  readonly groupBytesMax: number;
}

export const defaultGroupCommitLimits: GroupCommitLimits = { groupWritesMax: 1024, groupBytesMax: 32 << 20 };

export interface GroupCommitStats {
  /** Synced batches written. */
  batches: number;
  /** Batches written without sync (only writes that asked for none). */
  unsyncedBatches: number;
  /** Caller writes they held. */
  writes: number;
  /** Most caller writes one batch held. */
  writesPerBatchMax: number;
}

/** One batch as it landed, for metrics: told after its write, before its writers' onDurable. */
export interface BatchWritten {
  /** Time LevelDB took to write it (and fsync it when `sync`). */
  readonly seconds: number;
  /** Caller writes it held. */
  readonly writes: number;
  /** Key + value bytes in it. */
  readonly bytes: number;
  readonly sync: boolean;
}

export type BatchObserver = (b: BatchWritten) => void;

interface Waiter {
  readonly onDurable: () => void;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/** Writes bound for one synced LevelDB batch. */
interface Group {
  readonly batch: ReturnType<Db['batch']>;
  readonly waiters: Waiter[];
  bytes: number;
  /** Invariant: true if any write in the group asked for sync. */
  sync: boolean;
}

/**
 * Group commit: at most one synced batch is in flight; writes submitted
 * meanwhile go into the next batch, in submission order, so one fsync serves
 * all of them. Each caller's promise settles after the batch holding its
 * write is synced and every earlier write's onDurable has run.
 *
 * Invariants: batches are written one at a time, in submission order (so
 * LevelDB applies operations in exactly the order callers made them); a
 * write's ops never span two batches; after a failed batch nothing more is
 * written (`failure` is set) because what is on disk is no longer known.
 */
export class GroupCommit {
  /** Groups not yet written; groups[0] is next. */
  private readonly groups: Group[] = [];
  private inFlight: Promise<void> | undefined;
  private scheduled = false;
  /** The most recently submitted write. */
  private last: Promise<void> = Promise.resolve();
  private failure: StorageError | undefined;
  readonly stats: GroupCommitStats = { batches: 0, unsyncedBatches: 0, writes: 0, writesPerBatchMax: 0 };

  constructor(
    private readonly db: Db,
    private readonly dataDir: string,
    private readonly limits: GroupCommitLimits = defaultGroupCommitLimits,
    /** Told of every batch written; absent, no clock is read. */
    private readonly observer?: BatchObserver,
  ) {
    assert(limits.groupWritesMax >= 1 && limits.groupBytesMax >= 1, 'group commit limits must be positive');
  }

  /** The error that stopped all writing, if one did. */
  failed(): StorageError | undefined {
    return this.failure;
  }

  submit(w: GroupWrite): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    let bytes = 0;
    for (const [k, v] of w.ops) bytes += k.length + (v?.length ?? 0);
    let g = this.groups[this.groups.length - 1];
    if (g === undefined || g.waiters.length >= this.limits.groupWritesMax || (g.bytes > 0 && g.bytes + bytes > this.limits.groupBytesMax)) {
      g = { batch: this.db.batch(), waiters: [], bytes: 0, sync: false };
      this.groups.push(g);
    }
    for (const [k, v] of w.ops) {
      if (v === undefined) g.batch.del(k);
      else g.batch.put(k, v);
    }
    g.bytes += bytes;
    if (w.sync !== false) g.sync = true;
    const group = g;
    const p = new Promise<void>((resolve, reject) => group.waiters.push({ onDurable: w.onDurable, resolve, reject }));
    this.last = p;
    this.schedule();
    return p;
  }

  /** Resolves once every write submitted so far is durable (or has failed). */
  async drain(): Promise<void> {
    // Writes settle in submission order, so the last one settles last.
    await this.last.catch(() => undefined);
    await this.inFlight;
  }

  /** Rejects every write not yet handed to LevelDB (a simulated crash drops them). */
  abandon(err: StorageError): void {
    for (const g of this.groups.splice(0)) {
      void g.batch.close();
      for (const w of g.waiters) w.reject(err);
    }
  }

  /**
   * Starts the next batch on a microtask, so that every write submitted in the
   * same synchronous run (e.g. many callers in one tick) shares it.
   */
  private schedule(): void {
    if (this.scheduled || this.inFlight !== undefined || this.groups.length === 0) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.writeNext();
    });
  }

  private writeNext(): void {
    if (this.inFlight !== undefined || this.failure !== undefined) return;
    const g = this.groups.shift();
    if (g === undefined) return;
    this.inFlight = this.writeGroup(g).finally(() => {
      this.inFlight = undefined;
      this.schedule();
    });
  }

  private async writeGroup(g: Group): Promise<void> {
    const startedMs = this.observer !== undefined ? performance.now() : 0;
    try {
      await g.batch.write({ sync: g.sync });
    } catch (err) {
      this.failure = new StorageError('IO', this.dataDir, `a synced write failed: ${(err as Error).message}`, { cause: err });
      for (const w of g.waiters) w.reject(this.failure);
      this.abandon(this.failure);
      return;
    }
    if (g.sync) this.stats.batches++;
    else this.stats.unsyncedBatches++;
    this.stats.writes += g.waiters.length;
    this.stats.writesPerBatchMax = Math.max(this.stats.writesPerBatchMax, g.waiters.length);
    this.observer?.({ seconds: (performance.now() - startedMs) / 1000, writes: g.waiters.length, bytes: g.bytes, sync: g.sync });
    for (const w of g.waiters) {
      if (this.failure !== undefined) {
        w.reject(this.failure);
        continue;
      }
      try {
        w.onDurable();
        w.resolve();
      } catch (err) {
        // Mirroring a durable write failed: a programmer error (the planned and
        // mirrored states disagree). Nothing more may be written or mirrored.
        this.failure = new StorageError('IO', this.dataDir, `mirroring a durable write failed: ${(err as Error).message}`, { cause: err });
        w.reject(err);
      }
    }
    if (this.failure !== undefined) this.abandon(this.failure);
  }
}
