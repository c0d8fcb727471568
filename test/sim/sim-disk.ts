import { MemoryStorage } from '../../raft/memory-storage.js';
import type { ConfState, Entry, HardState, Snapshot } from '../../raft/types.js';

/** Where simulated nodes keep their durable state. */
export const DISK_KINDS = ['memory', 'leveldb'] as const;
export type DiskKind = (typeof DISK_KINDS)[number];

/** What one Ready asks to persist (raft/ready.ts): one synced write. */
export interface DiskWrite {
  readonly hardState?: HardState | undefined;
  readonly entries: readonly Entry[];
  readonly snapshot?: Snapshot | undefined;
}

/**
 * A simulated node's disk. Every method returns only once its write is
 * durable, so the host loop keeps the Ready order (persist, then send, apply,
 * advance) whatever the disk is made of.
 *
 * Invariant: `log` (what the Raft core reads) holds exactly what is durable.
 */
export interface SimDisk {
  readonly kind: DiskKind;
  /** The in-memory copy the core reads; it may be a new object after crash(). */
  readonly log: MemoryStorage;
  /** Received snapshot, then entries (truncating a conflicting suffix, Raft §5.3), then hard state. */
  persist(w: DiskWrite): void;
  /** Records a snapshot of the state machine at `index`, then drops the entries through `compactIndex`. */
  snapshot(index: number, conf: ConfState, data: Uint8Array, compactIndex: number): void;
  /** The process died: whatever is durable is read back into `log`. */
  crash(): void;
  /** The run is over: release the disk (no further calls). */
  close(): void;
}

/**
 * The model disk: a MemoryStorage written synchronously, which survives a
 * crash untouched (every write was durable the moment it returned).
 */
export class MemoryDisk implements SimDisk {
  readonly kind = 'memory';
  readonly log: MemoryStorage;

  constructor(conf?: ConfState) {
    this.log = new MemoryStorage(conf);
  }

  persist(w: DiskWrite): void {
    if (w.snapshot !== undefined) this.log.applySnapshot(w.snapshot);
    this.log.append(w.entries);
    if (w.hardState !== undefined) this.log.setHardState(w.hardState);
  }

  snapshot(index: number, conf: ConfState, data: Uint8Array, compactIndex: number): void {
    this.log.createSnapshot(index, conf, data);
    this.log.compact(compactIndex);
  }

  crash(): void {}

  close(): void {}
}
