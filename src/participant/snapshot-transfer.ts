import { assert } from '../../raft/assert.js';
import type { Message, SnapMsg } from '../../raft/messages.js';
import type { NodeId } from '../../raft/types.js';
import type { HostTransport } from './host-contract.js';

/**
 * InstallSnapshot in pieces. A snapshot of a big state (113 MB for 1M keys
 * of 100 bytes) does not fit one frame (64 MiB at most) and would swamp a
 * peer link's backlog, so every 'snap' message travels as 'snapChunk' raft
 * frames of at most chunkBytes, each sent once the previous one was written
 * (a paced stream, one per follower); the last chunk carries the message
 * itself without its data, and the receiver rebuilds the 'snap' message
 * and checks it like any other.
 */
export interface SnapChunk {
  readonly type: 'snapChunk';
  /** The snapshot's index and term: a chunk of another snapshot starts over. */
  readonly index: number;
  readonly term: number;
  readonly offset: number;
  readonly total: number;
  readonly data: Uint8Array;
  /** Last chunk only: the 'snap' message, its snapshot data empty. */
  readonly msg?: unknown;
}

export const SNAPSHOT_CHUNK_BYTES_DEFAULT = 1 << 20;
/** Largest snapshot a receiver assembles (it allocates this much up front). */
export const SNAPSHOT_BYTES_MAX_DEFAULT = 2 ** 31;

export function isSnapChunk(raw: unknown): raw is { type: 'snapChunk' } {
  return typeof raw === 'object' && raw !== null && (raw as { type?: unknown }).type === 'snapChunk';
}

/** Where a snapshot whose data is kept on disk only is read back (RaftStore). */
export interface SnapshotSource {
  /** The data standing for "on disk" in a snapshot (compared by identity). */
  readonly onDisk: Uint8Array;
  /** Bytes of the snapshot on disk at `index`; undefined if it is not the one there now. */
  snapshotBytes(index: number): number | undefined;
  readSnapshotChunks(index: number): AsyncIterable<Uint8Array>;
}

/** Wraps a transport: 'snap' messages go as paced chunks, everything else as is. */
export class ChunkedSnapshotTransport implements HostTransport {
  constructor(
    private readonly inner: HostTransport,
    private readonly chunkBytes = SNAPSHOT_CHUNK_BYTES_DEFAULT,
    private readonly source?: SnapshotSource,
  ) {
    assert(Number.isInteger(chunkBytes) && chunkBytes >= 1, 'snapshot chunk bytes >= 1');
  }

  flush(): void {
    this.inner.flush?.();
  }

  send(to: NodeId, msg: Message, opts?: { onSent?: (ok: boolean) => void }): void {
    if (msg.type !== 'snap') {
      this.inner.send(to, msg, opts);
      return;
    }
    if (this.source !== undefined && msg.snapshot.data === this.source.onDisk) {
      const onSent = opts?.onSent;
      this.streamFromDisk(to, msg, this.source).then(
        (ok) => onSent?.(ok),
        () => onSent?.(false),
      );
      return;
    }
    this.sendChunks(to, msg, opts?.onSent);
  }

  /** Sends the snapshot read chunk by chunk from disk (one read ahead of the writes): it is never whole in memory. */
  private async streamFromDisk(to: NodeId, msg: SnapMsg, source: SnapshotSource): Promise<boolean> {
    const { index, term } = msg.snapshot.meta;
    const total = source.snapshotBytes(index);
    if (total === undefined) return false;
    const bare = { ...msg, snapshot: { ...msg.snapshot, data: new Uint8Array(0) } };
    const it = source.readSnapshotChunks(index)[Symbol.asyncIterator]();
    let cur = await it.next();
    let offset = 0;
    for (;;) {
      const data = cur.done === true ? new Uint8Array(0) : cur.value;
      const next = cur.done === true ? cur : await it.next();
      const last = next.done === true;
      if (last && offset + data.length !== total) return false;
      const chunk: SnapChunk = { type: 'snapChunk', index, term, offset, total, data, ...(last ? { msg: bare } : {}) };
      const ok = await new Promise<boolean>((resolve) => this.inner.send(to, chunk as unknown as Message, { onSent: resolve }));
      if (!ok) {
        await it.return?.();
        return false;
      }
      if (last) return true;
      offset += data.length;
      cur = next;
    }
  }

  private sendChunks(to: NodeId, msg: SnapMsg, onSent: ((ok: boolean) => void) | undefined): void {
    const data = msg.snapshot.data;
    const { index, term } = msg.snapshot.meta;
    const total = data.length;
    const bare = { ...msg, snapshot: { ...msg.snapshot, data: new Uint8Array(0) } };
    const next = (offset: number): void => {
      const end = Math.min(total, offset + this.chunkBytes);
      const last = end === total;
      const chunk: SnapChunk = { type: 'snapChunk', index, term, offset, total, data: data.subarray(offset, end), ...(last ? { msg: bare } : {}) };
      // The transport carries any raft frame body; the receiver sorts chunks out before the message check.
      this.inner.send(to, chunk as unknown as Message, {
        onSent: (ok) => {
          if (!ok || last) onSent?.(ok);
          else next(end);
        },
      });
    };
    next(0);
  }
}

/** Per sender: the snapshot being received. */
interface Assembly {
  readonly index: number;
  readonly term: number;
  readonly buf: Buffer;
  received: number;
}

/**
 * Rebuilds 'snap' messages from chunks, one assembly per sender. A chunk
 * that does not continue the assembly (another snapshot, a gap after a
 * reconnect) drops it; the leader sends the snapshot again when told it failed.
 */
export class SnapshotAssembler {
  private readonly assemblies = new Map<NodeId, Assembly>();

  constructor(private readonly snapshotBytesMax = SNAPSHOT_BYTES_MAX_DEFAULT) {}

  /** The whole message once its last chunk arrived, undefined while incomplete; a string names a bad chunk. */
  push(from: NodeId, raw: unknown): unknown {
    const c = raw as Partial<SnapChunk>;
    const { index, term, offset, total, data } = c;
    if (!isCount(index) || !isCount(term) || !isCount(offset) || !isCount(total) || !(data instanceof Uint8Array)) {
      this.assemblies.delete(from);
      return 'snapChunk: bad fields';
    }
    if (total > this.snapshotBytesMax) {
      this.assemblies.delete(from);
      return `snapChunk: snapshot of ${total} bytes exceeds ${this.snapshotBytesMax}`;
    }
    let a = this.assemblies.get(from);
    if (offset === 0) {
      a = { index, term, buf: Buffer.allocUnsafe(total), received: 0 };
      this.assemblies.set(from, a);
    }
    if (a === undefined || a.index !== index || a.term !== term || a.buf.length !== total || a.received !== offset || offset + data.length > total) {
      this.assemblies.delete(from);
      return `snapChunk: ${offset}..${offset + data.length} of snapshot ${index} does not continue what arrived`;
    }
    a.buf.set(data, offset);
    a.received += data.length;
    if (a.received < total) return c.msg === undefined ? undefined : 'snapChunk: message before the last byte';
    this.assemblies.delete(from);
    const msg = c.msg as { snapshot?: unknown } | undefined;
    if (typeof msg !== 'object' || msg === null || typeof msg.snapshot !== 'object' || msg.snapshot === null) return 'snapChunk: last chunk without its message';
    return { ...msg, snapshot: { ...msg.snapshot, data: a.buf } };
  }
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
