import { createHash } from 'node:crypto';
import { assert } from '../raft/assert.js';
import type { MemoryStorage } from '../raft/memory-storage.js';
import { EMPTY_HARD_STATE } from '../raft/types.js';
import type { ConfState, Entry, HardState, Snapshot } from '../raft/types.js';
import { encodeEntry, encodeHardState, encodeLogStart, encodeSnapshotMeta } from './codec.js';
import { defaultGroupCommitLimits } from './group-commit.js';
import type { BatchOp, GroupCommitLimits, GroupCommitStats, GroupWrite } from './group-commit.js';
import { defaultGroupStoreLimits } from './group-host.js';
import type { GroupHost, GroupOptions, GroupStoreLimits } from './group-host.js';
import { entryKey, groupMetaKey, groupSingletonKey, hex, inGroup } from './keys.js';
import { buildLog, loadGroup } from './load.js';
import type { Loaded } from './load.js';
import { MetaTable } from './meta-table.js';
import { ProcessStore } from './process-store.js';
import { SnapshotStore } from './snapshot-store.js';
import { StorageError } from './storage-error.js';

/** What RaftStore.open takes: the process's group commit limits and the group's own. */
export interface RaftStoreLimits extends GroupCommitLimits, GroupStoreLimits {}

export const defaultRaftStoreLimits: RaftStoreLimits = { ...defaultGroupCommitLimits, ...defaultGroupStoreLimits };

export interface RaftStoreOptions extends GroupOptions {
  /** Create the dir and a fresh database when the dir is absent or empty (default true). */
  readonly create?: boolean;
  readonly limits?: Partial<RaftStoreLimits>;
}

/** The group RaftStore.open opens: a data dir of one group keeps it as group 1. */
export const SINGLE_GROUP_ID = 1;

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

const noop = (): void => undefined;

/**
 * One Raft group's log, hard state and snapshots, in the LevelDB of the
 * ProcessStore it lives in (its keys are the group's range, keys.ts),
 * loaded at open into `log`, the MemoryStorage the Raft core reads
 * synchronously.
 *
 * Every write is planned synchronously against `planned` (what disk will
 * hold once all submitted writes are synced; it checks the write the same
 * way MemoryStorage does), turned into LevelDB operations, and group
 * committed with the writes of every other group of the process. Only
 * after its batch is synced is it mirrored into `log`.
 *
 * Invariants:
 *  - every key it writes is in its group's range (asserted per write);
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
  /** The process's data dir. */
  readonly dataDir: string;
  private readonly planned: MemoryStorage;
  /** The snapshot data: chunks and meta, saved, received and read back. */
  private readonly snapshots: SnapshotStore;
  /** Group metadata. */
  private readonly meta: MetaTable;
  private state: 'open' | 'closing' | 'closed' = 'open';
  /** close() or crash(), whichever came first; later calls share it. */
  private closing: Promise<void> | undefined;
  /** This group's own close, also run by ProcessStore.close. */
  private groupClosing: Promise<void> | undefined;
  /** Opened by RaftStore.open, alone in its ProcessStore: closing the group closes the process. */
  private closesProcess = false;
  /** The last write submitted (writes settle in submission order, so it settles last). */
  private lastWrite: Promise<void> = Promise.resolve();
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
    private readonly host: GroupHost,
    /** This group's id, 1..2^32-1: the prefix of all its keys. */
    readonly groupId: number,
    loaded: Loaded,
    private readonly limits: GroupStoreLimits,
  ) {
    this.dataDir = host.dataDir;
    this.log = loaded.log;
    this.planned = buildLog(loaded.log.snapshot(), loaded.logStart, loaded.log.allEntries(), loaded.log.hardState());
    const submit = (plan: () => GroupWrite): Promise<void> => this.submit(plan);
    this.meta = new MetaTable(loaded.meta, limits.metaValueBytesMax, (name) => groupMetaKey(groupId, name), submit);
    const { index, chunks, bytes } = loaded.snapshotMeta;
    const ctx = { dataDir: host.dataDir, db: host.db, group: groupId, planned: this.planned, log: this.log, limits, submit };
    this.snapshots = new SnapshotStore(ctx, { index, chunks, bytes });
  }

  /**
   * Opens the data dir of one Raft group, as every caller did before
   * multi-raft: a ProcessStore holding group SINGLE_GROUP_ID (created if
   * absent). Closing this store closes that ProcessStore.
   */
  static async open(dataDir: string, opts: RaftStoreOptions = {}): Promise<RaftStore> {
    const processStore = await ProcessStore.open(dataDir, opts);
    try {
      const store = await processStore.openGroup(SINGLE_GROUP_ID, opts);
      store.closesProcess = true;
      return store;
    } catch (err) {
      await processStore.close();
      throw err;
    }
  }

  /**
   * The half of ProcessStore.openGroup that reads the group: loads its key
   * range, creates the group if it has none, deletes chunks of a snapshot
   * save cut short. Call ProcessStore.openGroup instead; it keeps the
   * books and hands the returned closeGroup to its own close.
   */
  static async openInProcess(
    host: GroupHost,
    groupId: number,
    opts: GroupOptions = {},
  ): Promise<{ store: RaftStore; closeGroup: () => Promise<void> }> {
    const limits: GroupStoreLimits = { ...defaultGroupStoreLimits, ...opts.limits };
    assert(limits.snapshotChunkBytes >= 1, 'snapshotChunkBytes must be positive');
    const load = { snapshotData: opts.snapshotData ?? 'memory' } as const;
    let loaded = await loadGroup(host.db, host.dataDir, groupId, load);
    if (loaded === 'empty') {
      // A new group, or one whose creation was cut short before its first batch.
      await host.submit({ ops: initialGroupOps(groupId, opts.initialConf ?? { voters: [], learners: [] }), onDurable: noop });
      loaded = await loadGroup(host.db, host.dataDir, groupId, load);
      assert(loaded !== 'empty', () => `group ${groupId} loads as empty just after it was created`);
    }
    if (loaded.unfinishedChunkKeys.length > 0) {
      await host.submit({ ops: loaded.unfinishedChunkKeys.map((k) => [k, undefined] as const), onDurable: noop });
    }
    const store = new RaftStore(host, groupId, loaded, limits);
    return { store, closeGroup: () => store.closeGroup() };
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
        ops.push([groupSingletonKey(this.groupId, 'hardState'), encodeHardState(hs)]);
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
        for (let i = offset + 1; i <= index; i++) ops.push([entryKey(this.groupId, i), undefined]);
        ops.push([groupSingletonKey(this.groupId, 'logStart'), encodeLogStart({ index, term })]);
        this.planned.compact(index);
      }
      return { ops, onDurable: () => this.log.compact(index) };
    });
  }

  /** Group metadata as durable, after any putMeta of the same name submitted before. */
  getMeta(name: string): Promise<unknown> {
    return this.meta.get(name);
  }

  /** Stores a small MessagePack-able value under `name` in this group, synced. */
  putMeta(name: string, value: unknown): Promise<void> {
    return this.meta.put(name, value);
  }

  /**
   * Batches written and the writes they merged, process-wide (every group
   * of the ProcessStore shares them), and this group's commit indexes
   * deferred to a later batch.
   */
  stats(): Readonly<RaftStoreStats> {
    return { ...this.host.stats(), deferredCommits: this.deferredCommits };
  }

  /**
   * Writes everything this group submitted, then closes it; a store from
   * RaftStore.open closes its ProcessStore (the database) too. Repeated
   * calls share the first.
   */
  close(): Promise<void> {
    this.closing ??= this.closesProcess ? this.host.close() : this.closeGroup();
    return this.closing;
  }

  /**
   * A crash for the simulator and tests. A crash is the process's, so the
   * whole ProcessStore crashes, every group in it: writes not yet handed to
   * LevelDB are dropped (their promises reject with CLOSED), the batch in
   * flight lands whole (as a synced batch either does or does not), the
   * database is closed. Reopen to restart from what is on disk.
   */
  crash(): Promise<void> {
    this.closing ??= this.host.crash();
    return this.closing;
  }

  /** This group's part of a close (ProcessStore.close runs it for every open group). */
  private closeGroup(): Promise<void> {
    this.groupClosing ??= (async () => {
      if (this.commitDeferred && this.state === 'open') {
        // A clean stop keeps the newest commit index, so a restart replays up to it.
        void this.submit(() => ({ ops: [], onDurable: () => undefined })).catch(() => undefined);
      }
      this.state = 'closing';
      await this.lastWrite.catch(() => undefined);
      this.state = 'closed';
      this.host.groupClosed(this.groupId);
    })();
    return this.groupClosing;
  }

  /** Plans one write synchronously and submits it to group commit (synced). */
  private submit(plan: () => GroupWrite): Promise<void> {
    const refused = this.refusal();
    if (refused !== undefined) return Promise.reject(refused);
    let w: GroupWrite;
    try {
      w = plan();
      for (const [key] of w.ops) assert(inGroup(key, this.groupId), () => `group ${this.groupId} writes key ${hex(key)} outside its range`);
    } catch (err) {
      // A programmer error; `planned` may be half-updated, so nothing more is written.
      this.broken = err as Error;
      return Promise.reject(err);
    }
    if (this.commitDeferred) {
      const hs = this.planned.hardState();
      w = { ops: [...w.ops, [groupSingletonKey(this.groupId, 'hardState'), encodeHardState(hs)]], onDurable: w.onDurable };
      this.commitDeferred = false;
    }
    const p = this.host.submit(w);
    this.lastWrite = p;
    return p;
  }

  /** Why this group may not write now, if so: closed, the process stopped or failed, or broken by an assertion. */
  private refusal(): Error | undefined {
    if (this.state !== 'open') return new StorageError('CLOSED', this.dataDir, `group ${this.groupId} is closed`);
    return this.host.refusal() ?? this.broken;
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
    const refused = this.refusal();
    if (refused !== undefined) return Promise.reject(refused);
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
    for (let i = this.planned.firstIndex(); i <= this.planned.lastIndex(); i++) ops.push([entryKey(this.groupId, i), undefined]);
    ops.push([groupSingletonKey(this.groupId, 'logStart'), encodeLogStart({ index, term })]);
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
      for (let i = newLast + 1; i <= oldLast; i++) ops.push([entryKey(this.groupId, i), undefined]);
      for (const e of kept) ops.push([entryKey(this.groupId, e.index), encodeEntry(e)]);
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

/** The first batch of a new group: empty hard state, log start 0, the index-0 snapshot holding its conf. */
function initialGroupOps(group: number, conf: ConfState): BatchOp[] {
  const sha256 = createHash('sha256').update(new Uint8Array(0)).digest();
  return [
    [groupSingletonKey(group, 'hardState'), encodeHardState(EMPTY_HARD_STATE)],
    [groupSingletonKey(group, 'logStart'), encodeLogStart({ index: 0, term: 0 })],
    [groupSingletonKey(group, 'snapshotMeta'), encodeSnapshotMeta({ index: 0, term: 0, conf, chunks: 0, bytes: 0, sha256 })],
  ];
}
