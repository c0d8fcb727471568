import { createHash } from 'node:crypto';
import { assert } from '../raft/assert.js';
import type { MemoryStorage } from '../raft/memory-storage.js';
import type { ConfState, Snapshot } from '../raft/types.js';
import { decodeChunk, encodeChunk, encodeSnapshotMeta } from './codec.js';
import type { BatchOp, GroupWrite } from './group-commit.js';
import { chunkKey, groupSingletonKey, parseKey } from './keys.js';
import { SNAPSHOT_DATA_ON_DISK } from './load.js';
import type { Db } from './load.js';
import { StorageError } from './storage-error.js';

export interface SnapshotLimits {
  /** Snapshot data is stored in chunks of this many bytes (the last may be shorter). */
  readonly snapshotChunkBytes: number;
  /**
   * A snapshot's chunks go in synced batches of about this many bytes before
   * the batch with its meta, so the node's other writes pass in between
   * instead of waiting behind one batch of the whole snapshot.
   */
  readonly snapshotBatchBytes: number;
}

/** What a SnapshotStore shares with the RaftStore it belongs to. */
export interface SnapshotContext {
  readonly dataDir: string;
  readonly db: Db;
  /** The group whose snapshots these are: the prefix of every key written. */
  readonly group: number;
  /** What disk will hold once every submitted write is synced (RaftStore's plan). */
  readonly planned: MemoryStorage;
  /** What is durable: the copy the Raft core reads. */
  readonly log: MemoryStorage;
  readonly limits: SnapshotLimits;
  /** Plans one write synchronously against `planned` and group commits it (RaftStore.submit). */
  submit(plan: () => GroupWrite): Promise<void>;
}

/** Where a snapshot's data lives on disk: chunks 0..chunks-1 under chunkKey(group, index, n). */
interface ChunkSet {
  readonly index: number;
  readonly chunks: number;
}

const nothing = (): GroupWrite => ({ ops: [], onDurable: () => undefined });

/**
 * The snapshot data of one Raft log, stored as chunks under one meta key:
 * local snapshots saved whole or from a stream, snapshots received from the
 * leader planned into RaftStore's batches, and the durable one read back.
 *
 * Invariants:
 *  - disk holds exactly the chunks of the snapshot whose meta is stored,
 *    plus, only while a save is under way, chunks of a newer index without
 *    meta (inert; the loader deletes them after a crash);
 *  - the meta goes in the batch holding the last chunk, never before it;
 *  - `planned` chunk set: what disk holds once every submitted write lands.
 */
export class SnapshotStore {
  private plannedChunks: ChunkSet;
  /** The snapshot whose meta is on disk: its index, chunk count and bytes. */
  private durable: { index: number; chunks: number; bytes: number };
  /**
   * The local snapshot being saved: chunks [0, written) of `index` are
   * submitted, its meta not yet. A snapshot received from the leader
   * meanwhile deletes them and sets `aborted`.
   */
  private savingLocal: { readonly index: number; written: number; aborted: boolean } | undefined;

  constructor(
    private readonly ctx: SnapshotContext,
    stored: { readonly index: number; readonly chunks: number; readonly bytes: number },
  ) {
    this.plannedChunks = { index: stored.index, chunks: stored.chunks };
    this.durable = { ...stored };
  }

  /**
   * Makes a snapshot of the host's state machine durable (created with
   * log.createSnapshot, or not yet recorded anywhere). A small one is one
   * synced batch: chunks, meta, the superseded snapshot's chunks deleted. A
   * big one (over snapshotBatchBytes) puts its chunks in batches first and
   * ends with that batch; chunks without meta are inert and cleaned at open
   * if a crash cuts the save short. A snapshot received from the leader
   * meanwhile wins (the promise resolves, the local snapshot is dropped).
   */
  save(snap: Snapshot): Promise<void> {
    const { index, term, conf } = snap.meta;
    const { planned, limits } = this.ctx;
    const size = limits.snapshotChunkBytes;
    const chunks = Math.ceil(snap.data.length / size);
    const hash = createHash('sha256');
    const saving = { index, written: 0, aborted: false };
    const planOk = (): boolean => {
      if (saving.aborted) return false;
      assert(planned.term(index) === term, () => `saveSnapshot: term ${term} at ${index}, log has ${String(planned.term(index))}`);
      assert(planned.snapshot().meta.index < index, () => `saveSnapshot: ${index} not newer than ${planned.snapshot().meta.index}`);
      return true;
    };
    let n = 0;
    /** Puts the next chunks, about snapshotBatchBytes of them (hashing as it goes). */
    const nextChunks = (): BatchOp[] => {
      const ops: BatchOp[] = [];
      let bytes = 0;
      for (; n < chunks && (bytes === 0 || bytes + size <= limits.snapshotBatchBytes); n++) {
        const piece = snap.data.subarray(n * size, (n + 1) * size);
        hash.update(piece);
        ops.push([chunkKey(this.ctx.group, index, n), encodeChunk(piece)]);
        bytes += piece.length;
      }
      return ops;
    };
    const finish = (last: BatchOp[]): Promise<void> =>
      this.ctx.submit(() => {
        if (!planOk()) return nothing();
        planned.createSnapshot(index, conf, snap.data);
        return this.planMeta({ index, term, conf, chunks, bytes: snap.data.length, sha256: hash.digest() }, last, snap.data);
      });
    const first = nextChunks();
    // One batch: planned now, like every other write (callers may compact right after).
    if (n === chunks) return finish(first);
    // Several: chunk batches first, each planned when the previous one landed, so
    // the node's other writes pass in between. Await this before compacting.
    return (async () => {
      let ops = first;
      while (n < chunks) {
        await this.submitChunks(saving, n, ops, planOk);
        if (saving.aborted) return;
        ops = nextChunks();
      }
      await finish(ops);
    })();
  }

  /**
   * Saves a snapshot at `index` from its pieces as they come (each one
   * chunk), in synced batches of about snapshotBatchBytes, the meta last;
   * `log` and the plan record it with its data left on disk
   * (SNAPSHOT_DATA_ON_DISK). False if a snapshot received from the leader
   * superseded it meanwhile (its chunks are then gone).
   */
  async saveStream(index: number, conf: ConfState, pieces: AsyncIterable<Uint8Array>): Promise<boolean> {
    const { planned, limits } = this.ctx;
    const hash = createHash('sha256');
    const saving = { index, written: 0, aborted: false };
    const planOk = (): boolean => !saving.aborted && planned.snapshot().meta.index < index;
    let n = 0;
    let bytes = 0;
    let ops: BatchOp[] = [];
    let opsBytes = 0;
    for await (const piece of pieces) {
      if (saving.aborted) return false;
      hash.update(piece);
      ops.push([chunkKey(this.ctx.group, index, n), encodeChunk(piece)]);
      n++;
      bytes += piece.length;
      opsBytes += piece.length;
      if (opsBytes < limits.snapshotBatchBytes) continue;
      await this.submitChunks(saving, n, ops, planOk);
      ops = [];
      opsBytes = 0;
    }
    const chunks = n;
    let saved = false;
    await this.ctx.submit(() => {
      if (!planOk()) return nothing();
      saved = true;
      const term = planned.term(index);
      assert(term !== undefined, () => `saveSnapshotStream: no term for ${index}`);
      planned.createSnapshot(index, conf, SNAPSHOT_DATA_ON_DISK);
      return this.planMeta({ index, term, conf, chunks, bytes, sha256: hash.digest() }, ops, SNAPSHOT_DATA_ON_DISK);
    });
    return saved;
  }

  /**
   * Plans the data of a snapshot received from the leader into `ops`: a
   * local save under way is dropped (its chunks deleted), the superseded
   * snapshot's chunks deleted, chunks [chunksWritten, all) put, then its meta.
   * Returns what to run once the batch is durable.
   */
  planReceived(snap: Snapshot, ops: BatchOp[], chunksWritten: number): () => void {
    const local = this.savingLocal;
    if (local !== undefined) {
      // A local snapshot being saved is superseded: its chunks go before ours are put.
      for (let k = 0; k < local.written; k++) ops.push([chunkKey(this.ctx.group, local.index, k), undefined]);
      local.aborted = true;
      this.savingLocal = undefined;
    }
    const { index, term, conf } = snap.meta;
    const size = this.ctx.limits.snapshotChunkBytes;
    const chunks = Math.ceil(snap.data.length / size);
    this.deleteOldChunks(ops);
    putChunks(ops, this.ctx.group, index, snap.data, size, chunksWritten, chunks);
    const sha256 = createHash('sha256').update(snap.data).digest();
    ops.push([groupSingletonKey(this.ctx.group, 'snapshotMeta'), encodeSnapshotMeta({ index, term, conf, chunks, bytes: snap.data.length, sha256 })]);
    this.plannedChunks = { index, chunks };
    return () => {
      this.durable = { index, chunks, bytes: snap.data.length };
    };
  }

  /**
   * Chunks [from, to) of a big snapshot received from the leader, ahead of
   * the batch that plans the rest (planReceived): inert until its meta lands.
   */
  planReceivedChunks(snap: Snapshot, from: number, to: number): GroupWrite {
    const { index } = snap.meta;
    // The core installs only snapshots newer than its commit, so newer than any saved here.
    const saved = this.ctx.planned.snapshot().meta.index;
    assert(index > saved, () => `persist: received snapshot ${index} not newer than ${saved}`);
    const ops: BatchOp[] = [];
    putChunks(ops, this.ctx.group, index, snap.data, this.ctx.limits.snapshotChunkBytes, from, to);
    return { ops, onDurable: () => undefined };
  }

  /**
   * Drops the durable snapshot's data from memory (`log` and the plan keep
   * its meta; its data reads as SNAPSHOT_DATA_ON_DISK). For a host whose
   * state machine already holds the state: 1M keys make a 113 MB snapshot.
   */
  release(): void {
    const index = this.durable.index;
    if (index === 0) return;
    this.ctx.log.replaceSnapshotData(index, SNAPSHOT_DATA_ON_DISK);
    this.ctx.planned.replaceSnapshotData(index, SNAPSHOT_DATA_ON_DISK);
  }

  /** Bytes of the durable snapshot at `index`, or undefined if that is not the snapshot on disk now. */
  bytes(index: number): number | undefined {
    return this.durable.index === index ? this.durable.bytes : undefined;
  }

  /**
   * The durable snapshot at `index`, chunk by chunk, from one consistent
   * view of the database (a newer snapshot saved meanwhile does not tear it).
   * Throws StorageError if `index` is not the snapshot on disk.
   */
  async *readChunks(index: number): AsyncGenerator<Uint8Array> {
    const d = this.durable;
    const { dataDir, db, group } = this.ctx;
    if (d.index !== index) throw new StorageError('IO', dataDir, `group ${group}: snapshot ${index} is not the one on disk (${d.index})`);
    let n = 0;
    for await (const [key, value] of db.iterator({ gte: chunkKey(group, index, 0), lte: chunkKey(group, index, d.chunks) })) {
      const k = parseKey(key);
      if (typeof k === 'string' || k.kind !== 'chunk' || k.group !== group || k.snapshotIndex !== index || k.chunk !== n) break;
      yield decodeChunk(value);
      n++;
    }
    if (n !== d.chunks) throw new StorageError('IO', dataDir, `group ${group}: snapshot ${index}: read ${n} of ${d.chunks} chunks (a newer snapshot replaced it)`);
  }

  /** One batch of a local save's chunks (not its last): inert until the meta lands. */
  private submitChunks(saving: NonNullable<SnapshotStore['savingLocal']>, upTo: number, ops: BatchOp[], planOk: () => boolean): Promise<void> {
    return this.ctx.submit(() => {
      if (!planOk()) return nothing();
      this.savingLocal = saving;
      saving.written = upTo;
      return { ops, onDurable: () => undefined };
    });
  }

  /**
   * A local save's last batch: its last chunks, the superseded snapshot's
   * deletion, its meta. `planned` records the snapshot already.
   */
  private planMeta(
    meta: { index: number; term: number; conf: ConfState; chunks: number; bytes: number; sha256: Uint8Array },
    lastChunks: BatchOp[],
    data: Uint8Array,
  ): GroupWrite {
    this.savingLocal = undefined;
    const ops: BatchOp[] = [];
    this.deleteOldChunks(ops);
    ops.push(...lastChunks, [groupSingletonKey(this.ctx.group, 'snapshotMeta'), encodeSnapshotMeta(meta)]);
    const { index, conf, chunks, bytes } = meta;
    this.plannedChunks = { index, chunks };
    return {
      ops,
      onDurable: () => {
        this.durable = { index, chunks, bytes };
        const log = this.ctx.log;
        if (log.snapshot().meta.index < index) log.createSnapshot(index, conf, data);
      },
    };
  }

  private deleteOldChunks(ops: BatchOp[]): void {
    const old = this.plannedChunks;
    for (let k = 0; k < old.chunks; k++) ops.push([chunkKey(this.ctx.group, old.index, k), undefined]);
  }
}

/** Puts chunks [from, to) of a snapshot's data, `size` bytes each (the last may be shorter). */
function putChunks(ops: BatchOp[], group: number, index: number, data: Uint8Array, size: number, from: number, to: number): void {
  for (let n = from; n < to; n++) ops.push([chunkKey(group, index, n), encodeChunk(data.subarray(n * size, (n + 1) * size))]);
}
