import { createHash } from 'node:crypto';
import { Level } from 'level';
import { assert } from '../raft/assert.js';
import type { MemoryStorage } from '../raft/memory-storage.js';
import { EMPTY_HARD_STATE } from '../raft/types.js';
import type { ConfState, Entry, HardState, Snapshot } from '../raft/types.js';
import {
  encode,
  encodeEntry,
  encodeHardState,
  encodeLogStart,
  encodeSnapshotMeta,
  FORMAT_NAME,
  FORMAT_VERSION,
  packr,
} from './codec.js';
import { inspectDataDir, writeMarker } from './data-dir.js';
import { defaultGroupCommitLimits, GroupCommit } from './group-commit.js';
import type { BatchOp, GroupCommitLimits, GroupCommitStats } from './group-commit.js';
import { entryKey, metaKey, singletonKey } from './keys.js';
import { buildLog, loadDatabase } from './load.js';
import type { Db, Loaded } from './load.js';
import { SnapshotStore } from './snapshot-store.js';
import type { PlannedWrite, SnapshotLimits } from './snapshot-store.js';
import { StorageError } from './storage-error.js';

export interface RaftStoreLimits extends GroupCommitLimits, SnapshotLimits {
  /** Encoded size of one putMeta value at most. */
  readonly metaValueBytesMax: number;
}

export const defaultRaftStoreLimits: RaftStoreLimits = {
  ...defaultGroupCommitLimits,
  snapshotChunkBytes: 1 << 20,
  snapshotBatchBytes: 8 << 20,
  metaValueBytesMax: 64 << 10,
};

export interface RaftStoreOptions {
  /** Create the dir and a fresh database when the dir is absent or empty (default true). */
  readonly create?: boolean;
  /** Membership of a fresh database: the conf of its snapshot at index 0. */
  readonly initialConf?: ConfState;
  readonly limits?: Partial<RaftStoreLimits>;
  /**
   * 'disk': the durable snapshot's data is checked at open but left on disk
   * (log.snapshot().data is SNAPSHOT_DATA_ON_DISK; restore from
   * readSnapshotChunks). 'memory' (default): it is loaded into `log`.
   */
  readonly snapshotData?: 'memory' | 'disk';
}

export { SNAPSHOT_DATA_ON_DISK } from './load.js';

export interface RaftStoreStats extends GroupCommitStats {
  /** Commit-index-only hard states that waited for the next batch instead of a write of their own. */
  deferredCommits: number;
}

/** What one Ready asks to persist (raft/ready.ts), written as one synced batch. */
export interface PersistWrite {
  readonly hardState?: HardState;
  /** Appended after truncating any stored suffix from entries[0].index on (Raft §5.3). */
  readonly entries: readonly Entry[];
  /** A snapshot received from the leader: it replaces the whole log. */
  readonly snapshot?: Snapshot;
}

/**
 * A node's Raft log, hard state and snapshots in LevelDB (one database in
 * the data dir), loaded at open into `log`, the MemoryStorage the Raft core
 * reads synchronously.
 *
 * Every write is planned synchronously against `planned` (what disk will
 * hold once all submitted writes are synced; it checks the write the same
 * way MemoryStorage does), turned into LevelDB operations, and group
 * committed. Only after its batch is synced is it mirrored into `log`.
 *
 * Invariants:
 *  - `log` never holds anything that is not on disk (entries, hard state
 *    but for a deferred commit index, see commitDeferred; received
 *    snapshots; a snapshot the host creates with log.createSnapshot
 *    is in `log` before saveSnapshot makes it durable, and compaction refuses
 *    to go beyond a saved snapshot);
 *  - disk (after every batch) holds: entries logStart.index+1 .. last,
 *    contiguous; logStart.index <= snapshot index <= commit <= last;
 *    exactly the snapshot's chunks; so a batch cut short by a crash is
 *    absent entirely (LevelDB batches are atomic) and what is there is whole.
 */
export class RaftStore {
  /** The loaded, kept-in-step copy the Raft core reads. */
  readonly log: MemoryStorage;
  private readonly gc: GroupCommit;
  private readonly planned: MemoryStorage;
  /** The snapshot data: chunks and meta, saved, received and read back. */
  private readonly snapshots: SnapshotStore;
  /** Node metadata as durable on disk. */
  private readonly meta: Map<string, unknown>;
  /** The last putMeta submitted per name, so getMeta reads its own writes. */
  private readonly metaPending = new Map<string, Promise<void>>();
  private state: 'open' | 'closing' | 'closed' = 'open';
  private closing: Promise<void> | undefined;
  /** Set when planning a write broke an assertion: `planned` may be half-updated. */
  private broken: Error | undefined;
  /**
   * True when `planned` holds a commit index no batch has carried yet. It
   * rides in the next batch (every batch writes it while this is set) or is
   * written at close; a crash loses it, harmlessly: commit is recomputable
   * (Raft Figure 2), and disk keeps commit >= snapshot index because a
   * snapshot's batch carries it. `log` gets it at once: the host snapshots
   * up to the commit index it applied.
   */
  private commitDeferred = false;
  private deferredCommits = 0;

  private constructor(
    readonly dataDir: string,
    private readonly db: Db,
    loaded: Loaded,
    private readonly limits: RaftStoreLimits,
  ) {
    this.log = loaded.log;
    this.planned = buildLog(loaded.log.snapshot(), loaded.logStart, loaded.log.allEntries(), loaded.log.hardState());
    this.meta = loaded.meta;
    this.gc = new GroupCommit(db, dataDir, limits);
    const submit = (plan: () => PlannedWrite): Promise<void> => this.submit(plan);
    const { index, chunks, bytes } = loaded.snapshotMeta;
    this.snapshots = new SnapshotStore({ dataDir, db, planned: this.planned, log: this.log, limits, submit }, { index, chunks, bytes });
  }

  static async open(dataDir: string, opts: RaftStoreOptions = {}): Promise<RaftStore> {
    const limits: RaftStoreLimits = { ...defaultRaftStoreLimits, ...opts.limits };
    assert(limits.snapshotChunkBytes >= 1, 'snapshotChunkBytes must be positive');
    const dirState = inspectDataDir(dataDir, opts.create ?? true);
    if (dirState === 'fresh') writeMarker(dataDir);
    const db: Db = new Level<Uint8Array, Uint8Array>(dataDir, { keyEncoding: 'view', valueEncoding: 'view' });
    try {
      await db.open({ createIfMissing: dirState === 'fresh' });
    } catch (err) {
      throw openError(dataDir, err);
    }
    try {
      const load = { snapshotData: opts.snapshotData ?? 'memory' } as const;
      let loaded = await loadDatabase(db, dataDir, load);
      if (loaded === 'empty') {
        // A fresh database, or one whose creation was cut short before its first batch.
        await initialize(db, opts.initialConf ?? { voters: [], learners: [] });
        loaded = await loadDatabase(db, dataDir, load);
        assert(loaded !== 'empty', 'a just initialized database loads as empty');
      }
      if (loaded.unfinishedChunkKeys.length > 0) {
        const batch = db.batch();
        for (const k of loaded.unfinishedChunkKeys) batch.del(k);
        await batch.write({ sync: true });
      }
      return new RaftStore(dataDir, db, loaded, limits);
    } catch (err) {
      await db.close();
      throw err;
    }
  }

  /**
   * Persists one Ready: received snapshot, then entries (truncating any stored
   * suffix from entries[0].index), then hard state, all in one synced batch
   * (shared with whatever else is submitted meanwhile). Resolves once durable
   * and mirrored into `log`.
   */
  persist(w: PersistWrite, opts: { sync?: boolean } = {}): Promise<void> {
    // Only a write of nothing but a commit index may skip the fsync (Ready.mustSync
    // false), and then it skips the write too: the next batch carries it.
    const hs0 = w.hardState;
    if (opts.sync === false && w.entries.length === 0 && w.snapshot === undefined && hs0 !== undefined && this.onlyCommitMoves(hs0)) {
      return this.deferCommit(hs0);
    }
    const received = w.snapshot;
    if (
      received !== undefined &&
      received.data.length > this.limits.snapshotBatchBytes &&
      received.meta.index > this.planned.snapshot().meta.index
    ) {
      return this.persistBigReceived(w, received);
    }
    return this.persistPlanned(w, 0);
  }

  /**
   * A received snapshot over snapshotBatchBytes: its chunks go first, a
   * batch of about snapshotBatchBytes at a time (each planned when the
   * previous landed, so LevelDB never copies the whole snapshot at once),
   * then the last chunks with everything else persist() writes. Chunks of a
   * snapshot newer than the one on disk are inert until its meta lands;
   * open deletes them if a crash comes first.
   */
  private async persistBigReceived(w: PersistWrite, snap: Snapshot): Promise<void> {
    const size = this.limits.snapshotChunkBytes;
    const chunks = Math.ceil(snap.data.length / size);
    const perBatch = Math.max(1, Math.floor(this.limits.snapshotBatchBytes / size));
    let n = 0;
    while (chunks - n > perBatch) {
      const from = n;
      n += perBatch;
      const to = n;
      await this.submit(() => this.snapshots.planReceivedChunks(snap, from, to));
    }
    await this.persistPlanned(w, n);
  }

  /** persist()'s one batch; a received snapshot's chunks before `chunksWritten` are on disk already. */
  private persistPlanned(w: PersistWrite, chunksWritten: number): Promise<void> {
    return this.submit(() => {
      const ops: BatchOp[] = [];
      const snap = w.snapshot;
      const received = snap !== undefined ? this.planReceivedSnapshot(snap, ops, chunksWritten) : undefined;
      if (w.entries.length > 0) this.planEntries(w.entries, ops);
      const hs = w.hardState;
      if (hs !== undefined) {
        ops.push([singletonKey('hardState'), encodeHardState(hs)]);
        this.planned.setHardState(hs);
        this.commitDeferred = false;
      }
      this.checkPlanned();
      return {
        ops,
        onDurable: () => {
          if (snap !== undefined) {
            received?.();
            this.log.applySnapshot(snap);
          }
          if (w.entries.length > 0) this.log.append(w.entries);
          if (hs !== undefined) this.log.setHardState(hs);
        },
      };
    });
  }

  /**
   * Makes a snapshot of the host's state machine durable (created with
   * log.createSnapshot, or not yet recorded anywhere): see SnapshotStore.save.
   * A snapshot received from the leader meanwhile wins (the promise
   * resolves, the local snapshot is dropped). Await it before compacting.
   */
  saveSnapshot(snap: Snapshot): Promise<void> {
    return this.snapshots.save(snap);
  }

  /**
   * Saves a snapshot at `index` from its pieces as they come, its data left
   * on disk (SNAPSHOT_DATA_ON_DISK); false if a snapshot received from the
   * leader superseded it meanwhile.
   */
  saveSnapshotStream(index: number, conf: ConfState, pieces: AsyncIterable<Uint8Array>): Promise<boolean> {
    return this.snapshots.saveStream(index, conf, pieces);
  }

  /** Drops the durable snapshot's data from memory; it reads as SNAPSHOT_DATA_ON_DISK. */
  releaseSnapshotData(): void {
    this.snapshots.release();
  }

  /** Bytes of the durable snapshot at `index`, or undefined if that is not the snapshot on disk now. */
  snapshotBytes(index: number): number | undefined {
    return this.snapshots.bytes(index);
  }

  /**
   * The durable snapshot at `index`, chunk by chunk, from one consistent
   * view of the database. Throws StorageError if `index` is not the snapshot on disk.
   */
  readSnapshotChunks(index: number): AsyncGenerator<Uint8Array> {
    return this.snapshots.readChunks(index);
  }

  /** Deletes the entries through `index`; only what a saved snapshot covers. */
  compact(index: number): Promise<void> {
    return this.submit(() => {
      const offset = this.planned.firstIndex() - 1;
      const ops: BatchOp[] = [];
      if (index > offset) {
        const snapIndex = this.planned.snapshot().meta.index;
        assert(index <= snapIndex, () => `compact(${index}) beyond the saved snapshot at ${snapIndex}`);
        const term = this.planned.term(index);
        assert(term !== undefined, () => `compact(${index}): no term`);
        for (let i = offset + 1; i <= index; i++) ops.push([entryKey(i), undefined]);
        ops.push([singletonKey('logStart'), encodeLogStart({ index, term })]);
        this.planned.compact(index);
      }
      return { ops, onDurable: () => this.log.compact(index) };
    });
  }

  /** Node metadata as durable, after any putMeta of the same name submitted before. */
  async getMeta(name: string): Promise<unknown> {
    await this.metaPending.get(name)?.catch(() => undefined);
    return this.meta.get(name);
  }

  /** Stores a small MessagePack-able value under `name`, synced. */
  putMeta(name: string, value: unknown): Promise<void> {
    const p = this.submit(() => {
      const bytes = encode(value);
      assert(bytes.length <= this.limits.metaValueBytesMax, () => `putMeta(${name}): ${bytes.length} bytes > ${this.limits.metaValueBytesMax}`);
      // Keep what was written, not the caller's object (which it may change later).
      const stored: unknown = packr.unpack(bytes);
      return { ops: [[metaKey(name), bytes]], onDurable: () => this.meta.set(name, stored) };
    });
    this.metaPending.set(name, p);
    void p.catch(() => undefined).finally(() => {
      if (this.metaPending.get(name) === p) this.metaPending.delete(name);
    });
    return p;
  }

  /** Batches written, the writes they merged, and commit indexes deferred to a later batch. */
  stats(): Readonly<RaftStoreStats> {
    return { ...this.gc.stats, deferredCommits: this.deferredCommits };
  }

  /** Writes everything submitted, then closes the database. Repeated calls share the first. */
  close(): Promise<void> {
    if (this.closing === undefined && this.commitDeferred && this.state === 'open') {
      // A clean stop keeps the newest commit index, so a restart replays up to it.
      void this.submit(() => ({ ops: [], onDurable: () => undefined })).catch(() => undefined);
    }
    this.closing ??= this.shutDown(() => undefined);
    return this.closing;
  }

  /**
   * A crash for the simulator: writes not yet handed to LevelDB are dropped
   * (their promises reject with CLOSED), the one in flight lands whole (as a
   * synced batch either does or does not), the database is closed. Reopen
   * with RaftStore.open(dataDir) to restart from what is on disk.
   */
  crash(): Promise<void> {
    this.closing ??= this.shutDown(() =>
      this.gc.abandon(new StorageError('CLOSED', this.dataDir, 'the store crashed before this write was made')),
    );
    return this.closing;
  }

  private async shutDown(dropQueued: () => void): Promise<void> {
    this.state = 'closing';
    dropQueued();
    await this.gc.drain();
    await this.db.close();
    this.state = 'closed';
  }

  /** Plans one write synchronously and submits it to group commit (synced). */
  private submit(plan: () => PlannedWrite): Promise<void> {
    if (this.state !== 'open') return Promise.reject(new StorageError('CLOSED', this.dataDir, 'the store is closed'));
    const failed = this.gc.failed();
    if (failed !== undefined) return Promise.reject(failed);
    if (this.broken !== undefined) return Promise.reject(this.broken);
    let w: PlannedWrite;
    try {
      w = plan();
    } catch (err) {
      // A programmer error; `planned` may be half-updated, so nothing more is written.
      this.broken = err as Error;
      return Promise.reject(err);
    }
    if (this.commitDeferred) {
      const hs = this.planned.hardState();
      const mirror = w.onDurable;
      w = { ops: [...w.ops, [singletonKey('hardState'), encodeHardState(hs)]], onDurable: mirror };
      this.commitDeferred = false;
    }
    return this.gc.submit(w);
  }

  /** Term and vote as planned: only the commit index differs. */
  private onlyCommitMoves(hs: HardState): boolean {
    const cur = this.planned.hardState();
    return hs.term === cur.term && hs.vote === cur.vote;
  }

  /** Records a commit index in `planned` only; see commitDeferred. */
  private deferCommit(hs: HardState): Promise<void> {
    return this.submitNothing(() => {
      this.planned.setHardState(hs);
      this.checkPlanned();
      this.log.setHardState(hs);
      this.commitDeferred = true;
      this.deferredCommits++;
    });
  }

  /** Runs a plan that writes nothing now, under the same guards as submit. */
  private submitNothing(plan: () => void): Promise<void> {
    if (this.state !== 'open') return Promise.reject(new StorageError('CLOSED', this.dataDir, 'the store is closed'));
    const failed = this.gc.failed();
    if (failed !== undefined) return Promise.reject(failed);
    if (this.broken !== undefined) return Promise.reject(this.broken);
    try {
      plan();
    } catch (err) {
      this.broken = err as Error;
      return Promise.reject(err);
    }
    return Promise.resolve();
  }

  /** A snapshot from the leader replaces the log: every stored entry goes. Returns what to run once durable. */
  private planReceivedSnapshot(snap: Snapshot, ops: BatchOp[], chunksWritten: number): () => void {
    const { index, term } = snap.meta;
    assert(index >= this.planned.snapshot().meta.index, () => `persist: snapshot ${index} older than ${this.planned.snapshot().meta.index}`);
    const durable = this.snapshots.planReceived(snap, ops, chunksWritten);
    for (let i = this.planned.firstIndex(); i <= this.planned.lastIndex(); i++) ops.push([entryKey(i), undefined]);
    ops.push([singletonKey('logStart'), encodeLogStart({ index, term })]);
    this.planned.applySnapshot(snap);
    return durable;
  }

  private planEntries(entries: readonly Entry[], ops: BatchOp[]): void {
    const first = entries[0];
    assert(first !== undefined, 'planEntries: no entries');
    entries.forEach((e, k) => assert(e.index === first.index + k, 'persist: entries must be contiguous'));
    const offset = this.planned.firstIndex() - 1;
    const oldLast = this.planned.lastIndex();
    const commit = this.planned.hardState().commit;
    const kept = first.index <= offset ? entries.slice(offset + 1 - first.index) : entries;
    const from = kept[0];
    if (from !== undefined) {
      assert(from.index <= oldLast + 1, () => `persist: gap, last index ${oldLast} then entry ${from.index}`);
      // Raft §5.3/§5.4: a committed entry is never replaced by a different one.
      for (const e of kept) {
        if (e.index > Math.min(commit, oldLast)) break;
        assert(this.planned.term(e.index) === e.term, () => `persist: entry ${e.index} would replace a committed entry`);
      }
      const newLast = from.index + kept.length - 1;
      for (let i = newLast + 1; i <= oldLast; i++) ops.push([entryKey(i), undefined]);
      for (const e of kept) ops.push([entryKey(e.index), encodeEntry(e)]);
    }
    this.planned.append(entries);
  }

  /** The on-disk invariants the loader checks, enforced when writing. */
  private checkPlanned(): void {
    const { commit } = this.planned.hardState();
    const last = this.planned.lastIndex();
    const snapIndex = this.planned.snapshot().meta.index;
    assert(commit <= last, () => `persist: hard state commit ${commit} beyond last index ${last}`);
    assert(commit >= snapIndex, () => `persist: hard state commit ${commit} before snapshot ${snapIndex}`);
  }
}

/** The first batch of a fresh database: marker, empty hard state, the index-0 snapshot. */
async function initialize(db: Db, conf: ConfState): Promise<void> {
  const empty = new Uint8Array(0);
  const sha256 = createHash('sha256').update(empty).digest();
  await db
    .batch()
    .put(singletonKey('hardState'), encodeHardState(EMPTY_HARD_STATE))
    .put(singletonKey('logStart'), encodeLogStart({ index: 0, term: 0 }))
    .put(singletonKey('snapshotMeta'), encodeSnapshotMeta({ index: 0, term: 0, conf, chunks: 0, bytes: 0, sha256 }))
    .put(singletonKey('format'), encode({ name: FORMAT_NAME, version: FORMAT_VERSION }))
    .write({ sync: true });
}

function openError(dataDir: string, err: unknown): StorageError {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const detail = cause?.message ?? (err as Error).message;
  switch (cause?.code) {
    case 'LEVEL_LOCKED':
      return new StorageError('LOCKED', dataDir, `it is locked by another process, probably a running kvstore node (${detail})`, { cause: err });
    case 'LEVEL_CORRUPTION':
      return new StorageError('CORRUPT', dataDir, `LevelDB reports corruption: ${detail}`, { cause: err });
    default:
      return new StorageError('IO', dataDir, `LevelDB cannot open it: ${detail}`, { cause: err });
  }
}
