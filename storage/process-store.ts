import { Level } from 'level';
import { assert } from '../raft/assert.js';
import { encode, FORMAT_NAME, FORMAT_VERSION } from './codec.js';
import { inspectDataDir, writeMarker } from './data-dir.js';
import { defaultGroupCommitLimits, GroupCommit } from './group-commit.js';
import type { BatchObserver, GroupCommitLimits, GroupCommitStats, GroupWrite } from './group-commit.js';
import type { GroupHost, GroupOptions } from './group-host.js';
import { formatKey, groupIdMax, isGroupId, processMetaKey } from './keys.js';
import type { Db } from './load.js';
import { MetaTable } from './meta-table.js';
import { loadProcess } from './process-load.js';
import type { LoadedProcess } from './process-load.js';
import { RaftStore } from './raft-store.js';
import { StorageError } from './storage-error.js';

export interface ProcessStoreLimits extends GroupCommitLimits {
  /** Encoded size of one process putMeta value at most. */
  readonly metaValueBytesMax: number;
  /** Groups open at once at most (each holds its log in memory). */
  readonly groupsOpenMax: number;
}

export const defaultProcessStoreLimits: ProcessStoreLimits = {
  ...defaultGroupCommitLimits,
  metaValueBytesMax: 64 << 10,
  groupsOpenMax: 4096,
};

export interface ProcessStoreOptions {
  /** Create the dir and a fresh database when the dir is absent or empty (default true). */
  readonly create?: boolean;
  readonly limits?: Partial<ProcessStoreLimits>;
  /** Told of every batch the process writes (metrics: sync time, batch sizes). */
  readonly onBatch?: BatchObserver;
}

/**
 * The one LevelDB of a participant process (its data dir), shared by the
 * Raft groups the process hosts: one replica of each. Owns the database,
 * the single GroupCommit every group submits to (so one synced batch per
 * host turn persists every group's Ready: TiKV's raft engine and
 * dragonboat do the same), process metadata, and the open group stores.
 *
 * Invariants:
 *  - `onDisk` holds exactly the groups with keys in the database (scanned
 *    at open, a group added once its first batch has landed);
 *  - a group id is in `open` or `opening` at most once: one RaftStore per
 *    group per process;
 *  - nothing is submitted once `state` leaves 'open', but for the groups'
 *    own final writes while close() closes them ('closingGroups').
 */
export class ProcessStore {
  private readonly gc: GroupCommit;
  private readonly meta: MetaTable;
  private readonly onDisk: Set<number>;
  /** Open groups: how ProcessStore.close closes each. */
  private readonly open = new Map<number, () => Promise<void>>();
  /** Groups being opened (loaded), so close waits for them. */
  private readonly opening = new Map<number, Promise<unknown>>();
  private state: 'open' | 'closingGroups' | 'closing' | 'closed' = 'open';
  private closing: Promise<void> | undefined;
  /** What every group store uses of this one. */
  private readonly host: GroupHost;

  private constructor(
    readonly dataDir: string,
    private readonly db: Db,
    loaded: LoadedProcess,
    private readonly limits: ProcessStoreLimits,
    onBatch: BatchObserver | undefined,
  ) {
    this.gc = new GroupCommit(db, dataDir, limits, onBatch);
    this.onDisk = new Set(loaded.groupIds);
    this.meta = new MetaTable(loaded.meta, limits.metaValueBytesMax, processMetaKey, (plan) => this.submitMeta(plan));
    this.host = {
      dataDir,
      db,
      refusal: () => this.refusal(),
      submit: (w) => {
        const refused = this.refusal();
        return refused !== undefined ? Promise.reject(refused) : this.gc.submit(w);
      },
      stats: () => this.stats(),
      close: () => this.close(),
      crash: () => this.crash(),
      groupClosed: (groupId) => this.open.delete(groupId),
    };
  }

  /**
   * Opens (or creates) the process's database in `dataDir`. Refuses, as a
   * StorageError and touching nothing, a dir that is not ours, locked,
   * of another format version, or whose process keys do not decode.
   */
  static async open(dataDir: string, opts: ProcessStoreOptions = {}): Promise<ProcessStore> {
    const limits: ProcessStoreLimits = { ...defaultProcessStoreLimits, ...opts.limits };
    assert(limits.groupsOpenMax >= 1, 'groupsOpenMax must be positive');
    const dirState = inspectDataDir(dataDir, opts.create ?? true);
    if (dirState === 'fresh') writeMarker(dataDir);
    const db: Db = new Level<Uint8Array, Uint8Array>(dataDir, { keyEncoding: 'view', valueEncoding: 'view' });
    try {
      await db.open({ createIfMissing: dirState === 'fresh' });
    } catch (err) {
      throw openError(dataDir, err);
    }
    try {
      let loaded = await loadProcess(db, dataDir);
      if (loaded === 'empty') {
        // A fresh database, or one whose creation was cut short before its first batch.
        await db.put(formatKey(), encode({ name: FORMAT_NAME, version: FORMAT_VERSION }), { sync: true });
        loaded = { meta: new Map(), groupIds: [] };
      }
      return new ProcessStore(dataDir, db, loaded, limits, opts.onBatch);
    } catch (err) {
      await db.close();
      throw err;
    }
  }

  /** The groups with data on disk, ascending (including the open ones). */
  groupIds(): number[] {
    return [...this.onDisk].sort((a, b) => a - b);
  }

  /**
   * Opens one group's log store, loading and checking only the group's own
   * key range (a CORRUPT error names the group); a group with no data is
   * created with opts.initialConf. A group is open at most once per process.
   */
  async openGroup(groupId: number, opts: GroupOptions = {}): Promise<RaftStore> {
    assert(isGroupId(groupId), () => `group id ${groupId} not in 1..${groupIdMax}`);
    assert(!this.open.has(groupId) && !this.opening.has(groupId), () => `group ${groupId} is open already`);
    if (this.state !== 'open') throw this.closedError();
    const failed = this.gc.failed();
    if (failed !== undefined) throw failed;
    assert(this.open.size + this.opening.size < this.limits.groupsOpenMax, () => `more than ${this.limits.groupsOpenMax} groups open`);
    const opening = RaftStore.openInProcess(this.host, groupId, opts);
    this.opening.set(groupId, opening);
    try {
      const { store, closeGroup } = await opening;
      this.onDisk.add(groupId);
      this.open.set(groupId, closeGroup);
      return store;
    } finally {
      this.opening.delete(groupId);
    }
  }

  /** Process metadata as durable, after any putMeta of the same name submitted before. */
  getMeta(name: string): Promise<unknown> {
    return this.meta.get(name);
  }

  /** Stores a small MessagePack-able value under `name` for the whole process, synced. */
  putMeta(name: string, value: unknown): Promise<void> {
    return this.meta.put(name, value);
  }

  /** Batches written and the writes they merged, over every group (one GroupCommit for all). */
  stats(): Readonly<GroupCommitStats> {
    return { ...this.gc.stats };
  }

  /**
   * Closes every open group (each writes what it submitted, and its
   * deferred commit index), writes everything else submitted, then closes
   * the database. Repeated calls share the first.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.state = 'closingGroups';
      await Promise.allSettled(this.opening.values());
      await Promise.all([...this.open.values()].map((closeGroup) => closeGroup()));
      await this.shutDown();
    })();
    return this.closing;
  }

  /**
   * A crash for tests and the simulator: writes of any group not yet handed
   * to LevelDB are dropped (their promises reject with CLOSED), the batch
   * in flight lands whole (as a synced batch either does or does not), the
   * database is closed. Reopen with ProcessStore.open to restart from disk.
   */
  crash(): Promise<void> {
    this.closing ??= (async () => {
      this.state = 'closing';
      this.gc.abandon(new StorageError('CLOSED', this.dataDir, 'the store crashed before this write was made'));
      await Promise.allSettled(this.opening.values());
      await this.shutDown();
    })();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.state = 'closing';
    await this.gc.drain();
    await this.db.close();
    this.state = 'closed';
  }

  /** Why a group may not submit now: groups write until close has closed them; then nothing does. */
  private refusal(): StorageError | undefined {
    return this.state === 'open' || this.state === 'closingGroups' ? this.gc.failed() : this.closedError();
  }

  private submitMeta(plan: () => GroupWrite): Promise<void> {
    if (this.state !== 'open') return Promise.reject(this.closedError());
    const failed = this.gc.failed();
    if (failed !== undefined) return Promise.reject(failed);
    try {
      return this.gc.submit(plan());
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private closedError(): StorageError {
    return new StorageError('CLOSED', this.dataDir, 'the store is closed');
  }
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
