import type { ConfState } from '../raft/types.js';
import type { GroupCommitStats, GroupWrite } from './group-commit.js';
import type { Db } from './load.js';
import type { SnapshotLimits } from './snapshot-store.js';
import type { StorageError } from './storage-error.js';

/**
 * The seam between a ProcessStore and the group stores (RaftStore) it
 * holds: what a group may use of the process, and what a group is opened
 * with. A group writes only its own key range, and only through `submit`,
 * so every group's writes share the process's group commit.
 */

export interface GroupStoreLimits extends SnapshotLimits {
  /** Encoded size of one putMeta value at most. */
  readonly metaValueBytesMax: number;
}

export const defaultGroupStoreLimits: GroupStoreLimits = {
  snapshotChunkBytes: 1 << 20,
  snapshotBatchBytes: 8 << 20,
  metaValueBytesMax: 64 << 10,
};

export interface GroupOptions {
  /** Membership of a new group: the conf of its snapshot at index 0 (ignored for a group on disk). */
  readonly initialConf?: ConfState;
  readonly limits?: Partial<GroupStoreLimits>;
  /**
   * 'disk': the durable snapshot's data is checked at open but left on disk
   * (log.snapshot().data is SNAPSHOT_DATA_ON_DISK; restore from
   * readSnapshotChunks). 'memory' (default): it is loaded into `log`.
   */
  readonly snapshotData?: 'memory' | 'disk';
}

/** What a group store uses of the ProcessStore it lives in. */
export interface GroupHost {
  /** The process's data dir, named in every StorageError. */
  readonly dataDir: string;
  /** For reading only (a snapshot's chunks); writes go through submit. */
  readonly db: Db;
  /** Why no write may be submitted now (the process is closing or crashed, or a batch failed), if so. */
  refusal(): StorageError | undefined;
  /** Group commits one write: writes submitted in one synchronous run, of any groups, share a batch. */
  submit(w: GroupWrite): Promise<void>;
  stats(): Readonly<GroupCommitStats>;
  /** Closes the whole ProcessStore, every group in it. */
  close(): Promise<void>;
  /** Crashes the whole ProcessStore (for tests and the simulator). */
  crash(): Promise<void>;
  /** The group's store has closed: the process forgets it (it may be opened again). */
  groupClosed(groupId: number): void;
}
