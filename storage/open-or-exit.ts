import fs from 'node:fs';
import { RaftStore } from './raft-store.js';
import type { RaftStoreOptions } from './raft-store.js';
import { StorageError } from './storage-error.js';

/** Exit status of a node that refuses its data dir (as for a bad config). */
export const dataDirExitStatus = 2;

/**
 * Opens the node's store, or, when the data dir is not ours, locked, of
 * another version or undecodable, prints
 *   kvstore: cannot use data dir <dir>: <problem>
 * to stderr and exits with status 2, having changed nothing in the dir.
 * Other errors (programmer errors) propagate.
 */
export async function openOrExit(dataDir: string, opts: RaftStoreOptions = {}): Promise<RaftStore> {
  try {
    return await RaftStore.open(dataDir, opts);
  } catch (err) {
    return exitOnStorageError(err);
  }
}

/** A StorageError is the refusal line on stderr and exit status 2; any other error is thrown on. */
export function exitOnStorageError(err: unknown): never {
  if (!(err instanceof StorageError)) throw err;
  // writeSync: the line must be out before exit, whatever stderr is.
  fs.writeSync(2, `kvstore: cannot use data dir ${err.dataDir}: ${err.problem}\n`);
  process.exit(dataDirExitStatus);
}
