import { decodeFormat, decodeMeta, FORMAT_NAME, FORMAT_VERSION, versionProblem } from './codec.js';
import { allGroupsRange, groupIdMax, groupRange, hex, keyGroup, parseKey } from './keys.js';
import { refusals } from './load.js';
import type { Db } from './load.js';
import { StorageError } from './storage-error.js';

/** What a process's database holds outside its groups, checked, and which groups it holds. */
export interface LoadedProcess {
  readonly meta: Map<string, unknown>;
  /** Groups with any key on disk, ascending. */
  readonly groupIds: readonly number[];
}

/**
 * Reads the process part of a database: every process key (the format
 * marker, process metadata) decoded and checked, the first key of each
 * group (one seek per group, so opening a process costs O(groups), not
 * O(keys)), and that nothing follows the group keys. Returns 'empty' for
 * a database with no keys at all (its creation was cut short before its
 * first batch). Groups' own keys are checked when each group is opened
 * (loadGroup). Problems are CORRUPT or VERSION StorageErrors; nothing is
 * deleted or rewritten here.
 */
export async function loadProcess(db: Db, dataDir: string): Promise<LoadedProcess | 'empty'> {
  const { corrupt, decode } = refusals(dataDir, '');
  let format: { name: string; version: number } | undefined;
  const meta = new Map<string, unknown>();
  let keys = 0;
  try {
    for await (const [key, value] of db.iterator({ lt: allGroupsRange().gte })) {
      keys++;
      const k = parseKey(key);
      if (typeof k === 'string') return corrupt(k);
      if (k.kind === 'format') {
        // The marker sorts first: another format's keys are refused as VERSION, not misread as damage.
        format = decode('format marker', key, () => decodeFormat(value));
        if (format.name !== FORMAT_NAME) return corrupt(`the format marker names "${format.name}", not ${FORMAT_NAME}`);
        if (format.version !== FORMAT_VERSION) throw new StorageError('VERSION', dataDir, versionProblem(format.version));
      } else if (k.kind === 'processMeta') {
        meta.set(k.name, decode(`process metadata "${k.name}"`, key, () => decodeMeta(value)));
      } else {
        return corrupt(`a group key outside the group key range ${hex(key)}`);
      }
    }
    const groupIds = await scanGroupIds(db, corrupt);
    for await (const key of db.keys({ gte: allGroupsRange().lt, limit: 1 })) {
      const k = parseKey(key);
      return corrupt(typeof k === 'string' ? k : `a key after the group key range ${hex(key)}`);
    }
    keys += groupIds.length;
    if (keys === 0) return 'empty';
    if (format === undefined) return corrupt('the database has data but no format marker key');
    return { meta, groupIds };
  } catch (err) {
    if (err instanceof StorageError) throw err;
    throw new StorageError('IO', dataDir, `reading the database failed: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * The ids of the groups with keys, from the first key of each: after
 * reading group g's first key the iterator seeks to group g+1. Only the
 * prefix is read (the group checks the rest when it opens); a key in the
 * group range without a group id is CORRUPT for the whole process.
 */
async function scanGroupIds(db: Db, corrupt: (problem: string) => never): Promise<number[]> {
  const ids: number[] = [];
  const it = db.keys(allGroupsRange());
  try {
    for (let key = await it.next(); key !== undefined; key = await it.next()) {
      const group = keyGroup(key);
      if (group === undefined) return corrupt(`${String(parseKey(key))} (in the group key range, with no group id)`);
      ids.push(group);
      if (group === groupIdMax) break;
      it.seek(groupRange(group + 1).gte);
    }
  } finally {
    await it.close();
  }
  return ids;
}
