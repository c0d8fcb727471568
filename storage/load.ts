import { createHash } from 'node:crypto';
import type { Level } from 'level';
import { assert, InvariantError } from '../raft/assert.js';
import { MemoryStorage } from '../raft/memory-storage.js';
import type { Entry, HardState, Snapshot } from '../raft/types.js';
import { DecodeError, decodeChunk, decodeEntry, decodeHardState, decodeLogStart, decodeMeta, decodeSnapshotMeta, plainBytes } from './codec.js';
import type { LogStart, StoredSnapshotMeta } from './codec.js';
import { groupRange, hex, parseKey } from './keys.js';
import { StorageError } from './storage-error.js';

export type Db = Level<Uint8Array, Uint8Array>;

/** Keys read per native iterator call while loading. */
const loadKeysPerStep = 1024;

/**
 * The data of a snapshot kept on disk only (saveSnapshotStream,
 * releaseSnapshotData, or a load that left it there): read it back with
 * RaftStore.snapshotBytes / readSnapshotChunks. Compared by identity.
 */
export const SNAPSHOT_DATA_ON_DISK: Uint8Array = new Uint8Array(0);

export interface LoadOptions {
  /**
   * 'disk': the snapshot's chunks are checked (count, order, length,
   * sha256) as they stream by but not kept; the loaded log's snapshot data
   * is SNAPSHOT_DATA_ON_DISK. 'memory' (default): the data is loaded too.
   */
  readonly snapshotData?: 'memory' | 'disk';
}

/** Everything one group holds, checked and loaded into memory. */
export interface Loaded {
  readonly log: MemoryStorage;
  readonly snapshotMeta: StoredSnapshotMeta;
  readonly logStart: LogStart;
  readonly meta: Map<string, unknown>;
  /** Keys of chunks of a newer snapshot whose meta was never written (a save cut short): to delete. */
  readonly unfinishedChunkKeys: readonly Uint8Array[];
}

/** How a loader refuses what it reads: CORRUPT StorageErrors, each problem prefixed with `where`. */
export interface Refusals {
  corrupt(problem: string, cause?: unknown): never;
  /** Runs a decoder; its DecodeError becomes CORRUPT naming `what` and the key. */
  decode<T>(what: string, key: Uint8Array, f: () => T): T;
}

export function refusals(dataDir: string, where: string): Refusals {
  const corrupt = (problem: string, cause?: unknown): never => {
    throw new StorageError('CORRUPT', dataDir, `${where}${problem}`, cause === undefined ? {} : { cause });
  };
  return {
    corrupt,
    decode<T>(what: string, key: Uint8Array, f: () => T): T {
      try {
        return f();
      } catch (err) {
        if (err instanceof DecodeError) return corrupt(`cannot decode the ${what} stored at key ${hex(key)}: ${err.message}`, err);
        throw err;
      }
    },
  };
}

/**
 * Reads one group's key range once (groupRange: nothing of the process or
 * of other groups), decoding and checking every key and value. Returns
 * 'empty' for a group with no keys at all (absent, or its creation was cut
 * short before its first batch). Any value that does not decode, and any
 * broken on-disk invariant, is a CORRUPT StorageError naming the group and
 * the key kind; nothing is ever deleted or rewritten here.
 */
export async function loadGroup(db: Db, dataDir: string, group: number, opts: LoadOptions = {}): Promise<Loaded | 'empty'> {
  const { corrupt, decode } = refusals(dataDir, `group ${group}: `);
  let hardState: HardState | undefined;
  let snapMeta: StoredSnapshotMeta | undefined;
  let logStart: LogStart | undefined;
  const entries: Entry[] = [];
  const chunks = new ChunkTally(opts.snapshotData !== 'disk');
  const meta = new Map<string, unknown>();
  let keys = 0;

  const it = db.iterator(groupRange(group));
  try {
    for (;;) {
      const step = await it.nextv(loadKeysPerStep);
      if (step.length === 0) break;
      for (const [key, value] of step) {
        keys++;
        const k = parseKey(key);
        if (typeof k === 'string') return corrupt(k);
        assert('group' in k && k.group === group, () => `group ${group}'s key range holds ${hex(key)}`);
        switch (k.kind) {
          case 'hardState':
            hardState = decode('hard state', key, () => decodeHardState(value));
            break;
          case 'snapshotMeta':
            snapMeta = decode('snapshot meta', key, () => decodeSnapshotMeta(value));
            break;
          case 'logStart':
            logStart = decode('log start', key, () => decodeLogStart(value));
            break;
          case 'entry': {
            const prev = entries[entries.length - 1];
            if (prev !== undefined && k.index !== prev.index + 1) {
              corrupt(`the log has a gap: entry ${prev.index} is followed by entry ${k.index}`);
            }
            entries.push(decode(`log entry ${k.index}`, key, () => decodeEntry(k.index, value)));
            break;
          }
          case 'chunk':
            chunks.add(k.snapshotIndex, k.chunk, key, decode(`snapshot chunk ${k.snapshotIndex}/${k.chunk}`, key, () => decodeChunk(value)));
            break;
          case 'meta':
            meta.set(k.name, decode(`group metadata "${k.name}"`, key, () => decodeMeta(value)));
            break;
        }
      }
    }
  } catch (err) {
    if (err instanceof StorageError || err instanceof InvariantError) throw err;
    throw new StorageError('IO', dataDir, `reading group ${group} failed: ${(err as Error).message}`, { cause: err });
  } finally {
    await it.close();
  }

  if (keys === 0) return 'empty';
  if (hardState === undefined) return corrupt('the hard state key is missing');
  if (snapMeta === undefined) return corrupt('the snapshot meta key is missing');
  if (logStart === undefined) return corrupt('the log start key is missing');
  return assemble({ hardState, snapMeta, logStart, entries, chunks, meta }, corrupt);
}

/** Checks what a group's keys held against the on-disk invariants and builds its log. */
function assemble(
  g: {
    readonly hardState: HardState;
    readonly snapMeta: StoredSnapshotMeta;
    readonly logStart: LogStart;
    readonly entries: readonly Entry[];
    readonly chunks: ChunkTally;
    readonly meta: Map<string, unknown>;
  },
  corrupt: (problem: string, cause?: unknown) => never,
): Loaded {
  const { hardState, snapMeta, logStart, entries } = g;
  // A snapshot is saved as chunk batches, then one batch with its meta: chunks
  // of a newer index without meta are a save cut short, not damage.
  const unfinished = g.chunks.keysAfter(snapMeta.index);
  const data = g.chunks.snapshotData(snapMeta, corrupt);
  checkLog(snapMeta, logStart, entries, hardState, corrupt);
  let log: MemoryStorage;
  try {
    log = buildLog({ meta: { index: snapMeta.index, term: snapMeta.term, conf: snapMeta.conf }, data }, logStart, entries, hardState);
  } catch (err) {
    // checkLog should have caught whatever MemoryStorage refuses; if not, it is still bad data.
    if (err instanceof InvariantError) return corrupt(`the stored log does not load: ${err.message}`, err);
    throw err;
  }
  return { log, snapshotMeta: snapMeta, logStart, meta: g.meta, unfinishedChunkKeys: unfinished };
}

/** What the load saw of one snapshot index's chunks. */
interface ChunkRun {
  /** Chunks seen; their numbers must be 0, 1, 2... (keys sort by index, then chunk). */
  count: number;
  /** The first chunk number out of place, if any. */
  gapAt: number | undefined;
  bytes: number;
  readonly hash: ReturnType<typeof createHash>;
  readonly keys: Uint8Array[];
  /** The chunks' data, when the load keeps it. */
  readonly pieces: Uint8Array[] | undefined;
}

/**
 * Checks snapshot chunks as the load streams past them, per snapshot index,
 * keeping their data only when asked: 1M keys make a 113 MB snapshot that a
 * host restoring from disk need never hold whole.
 */
class ChunkTally {
  private readonly runs = new Map<number, ChunkRun>();

  constructor(private readonly keepData: boolean) {}

  add(snapshotIndex: number, chunk: number, key: Uint8Array, data: Uint8Array): void {
    let run = this.runs.get(snapshotIndex);
    if (run === undefined) {
      run = { count: 0, gapAt: undefined, bytes: 0, hash: createHash('sha256'), keys: [], pieces: this.keepData ? [] : undefined };
      this.runs.set(snapshotIndex, run);
    }
    if (chunk !== run.count && run.gapAt === undefined) run.gapAt = run.count;
    run.count++;
    run.bytes += data.length;
    run.hash.update(data);
    run.keys.push(Uint8Array.from(key));
    run.pieces?.push(data);
  }

  /** Keys of chunks of snapshots newer than `index`. */
  keysAfter(index: number): Uint8Array[] {
    return [...this.runs].filter(([i]) => i > index).flatMap(([, run]) => run.keys);
  }

  /** The snapshot's chunks are all there, in order, of the stored length and digest: its data (or SNAPSHOT_DATA_ON_DISK). */
  snapshotData(m: StoredSnapshotMeta, corrupt: (problem: string) => never): Uint8Array {
    const stray = [...this.runs.keys()].find((i) => i < m.index);
    if (stray !== undefined) corrupt(`a chunk of snapshot ${stray} is stored but the snapshot is at ${m.index}`);
    const run = this.runs.get(m.index);
    const count = run?.count ?? 0;
    if (count !== m.chunks) corrupt(`snapshot ${m.index} has ${count} chunks stored, its meta says ${m.chunks}`);
    if (run === undefined) {
      if (m.bytes !== 0) corrupt(`snapshot ${m.index} holds 0 bytes, its meta says ${m.bytes}`);
      return new Uint8Array(0);
    }
    if (run.gapAt !== undefined) corrupt(`snapshot ${m.index} lacks chunk ${run.gapAt}`);
    if (run.bytes !== m.bytes) corrupt(`snapshot ${m.index} holds ${run.bytes} bytes, its meta says ${m.bytes}`);
    if (!run.hash.digest().equals(m.sha256)) corrupt(`snapshot ${m.index} data does not match its sha256`);
    return run.pieces === undefined ? SNAPSHOT_DATA_ON_DISK : plainBytes(Buffer.concat(run.pieces));
  }
}

/** On-disk invariants of the log (see RaftStore): contiguous after logStart, within the snapshot's reach. */
function checkLog(
  m: StoredSnapshotMeta,
  start: LogStart,
  entries: readonly Entry[],
  hs: HardState,
  corrupt: (problem: string) => never,
): void {
  if (start.index > m.index) corrupt(`the log starts after ${start.index}, beyond snapshot ${m.index}: entries were lost`);
  if (start.index === m.index && start.term !== m.term) {
    corrupt(`log start term ${start.term} differs from snapshot ${m.index} term ${m.term}`);
  }
  const first = entries[0];
  if (first !== undefined && first.index !== start.index + 1) {
    corrupt(`the log should start at ${start.index + 1} but starts at ${first.index}`);
  }
  const last = entries[entries.length - 1]?.index ?? start.index;
  if (last < m.index) corrupt(`the log ends at ${last}, before snapshot ${m.index}`);
  let prevTerm = start.term;
  for (const e of entries) {
    // Raft §5.3: terms never decrease along a log.
    if (e.term < prevTerm) corrupt(`entry ${e.index} has term ${e.term} after term ${prevTerm}`);
    prevTerm = e.term;
  }
  if (start.index < m.index) {
    const t = entries[m.index - start.index - 1]?.term;
    if (t !== m.term) corrupt(`snapshot ${m.index} has term ${m.term} but the log has term ${String(t)} there`);
  }
  if (hs.commit > last) corrupt(`the hard state commits ${hs.commit}, beyond the last log index ${last}`);
  if (hs.commit < m.index) corrupt(`the hard state commits ${hs.commit}, before snapshot ${m.index}`);
}

/**
 * Rebuilds the MemoryStorage the store had: entries after logStart, the
 * snapshot (which may cover some of them when compaction kept a tail).
 */
export function buildLog(snap: Snapshot, start: LogStart, entries: readonly Entry[], hs: HardState): MemoryStorage {
  const log = new MemoryStorage(snap.meta.conf);
  if (start.index === snap.meta.index) {
    if (snap.meta.index > 0) log.applySnapshot(snap);
    log.append(entries);
  } else {
    // Compaction kept entries the snapshot covers: start from a data-less base at
    // logStart, append, then record the snapshot over the kept entries.
    log.applySnapshot({ meta: { index: start.index, term: start.term, conf: snap.meta.conf }, data: new Uint8Array(0) });
    log.append(entries);
    log.setHardState({ ...hs, commit: Math.max(hs.commit, snap.meta.index) });
    log.createSnapshot(snap.meta.index, snap.meta.conf, snap.data);
  }
  log.setHardState(hs);
  return log;
}
