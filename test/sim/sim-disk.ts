import { MemoryStorage } from '../../raft/memory-storage.js';
import type { ConfState, Entry, HardState, Snapshot } from '../../raft/types.js';

/** Where simulated processes keep their durable state. */
export const DISK_KINDS = ['memory', 'leveldb'] as const;
export type DiskKind = (typeof DISK_KINDS)[number];

/** What one Ready asks to persist (raft/ready.ts). */
export interface DiskWrite {
  readonly hardState?: HardState | undefined;
  readonly entries: readonly Entry[];
  readonly snapshot?: Snapshot | undefined;
}

/**
 * What one group's replica has on the disk of its process: the durable
 * image. The simulated store (sim-store.ts) applies a write here only when
 * the world decides its batch reached the disk, so a crash finds exactly
 * what landed. Every method returns once its write is durable.
 *
 * Invariant: `log` holds exactly what is durable.
 */
export interface SimDisk {
  readonly kind: DiskKind;
  /** The durable state; it may be a new object after crash(). */
  readonly log: MemoryStorage;
  /** Received snapshot, then entries (truncating a conflicting suffix, Raft §5.3), then hard state. */
  persist(w: DiskWrite): void;
  /** Records a snapshot of the state machine at `index` (an applied, committed index). */
  saveSnapshot(index: number, conf: ConfState, data: Uint8Array): void;
  /** Drops the entries through `index` (a saved snapshot covers them). */
  compact(index: number): void;
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

  saveSnapshot(index: number, conf: ConfState, data: Uint8Array): void {
    this.log.createSnapshot(index, conf, data);
  }

  compact(index: number): void {
    this.log.compact(index);
  }

  crash(): void {}

  close(): void {}
}
