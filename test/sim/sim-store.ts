import { assert } from '../../raft/assert.js';
import type { MemoryStorage } from '../../raft/memory-storage.js';
import type { SeededRng } from '../../raft/rng.js';
import { NONE } from '../../raft/types.js';
import type { ConfState, HardState, Snapshot } from '../../raft/types.js';
import type { HostStore } from '../../src/participant/host-contract.js';
import { buildLog } from '../../storage/load.js';
import type { DiskWrite, SimDisk } from './sim-disk.js';
import type { SimWorld } from './sim-world.js';

/** Writes one batch may hold: a turn's writes (one per group) plus snapshot saves and compactions. */
export const BATCH_WRITES_MAX = 1_024;

/**
 * Store defects a teeth test may plant (never in a campaign):
 *  - ackBeforeDurable: persist resolves (and the replica's log shows the
 *    write) as soon as it is submitted, though the disk has it only once
 *    its batch lands: the host then sends what the write promised before
 *    it is durable, and a crash loses it;
 *  - forgetVoteOnCrash: a crash loses the vote from every group's hard state.
 */
export type StoreSeam = 'ackBeforeDurable' | 'forgetVoteOnCrash';

/** Where a batch is in its life: the crash points the nemesis aims at. */
export type BatchPhase = 'opened' | 'sealed' | 'durable';

/** What the store tells the simulation (checks and crash points). */
export interface StoreObserver {
  /** A group's Ready is about to be written: `log` still holds the previous state. */
  beforePersist(group: number, w: DiskWrite, log: MemoryStorage): void;
  /** The disk now holds this hard state for `group`: a persist promised it, or a crash let its batch land. */
  promised(group: number, hs: HardState): void;
  batch(phase: BatchPhase): void;
}

export interface StoreStats {
  /** Batches handed to the disk, or dropped by a crash before (each one synced write). */
  batches: number;
  /** Batches holding at least one group's Ready (persist): one per host loop turn with a write. */
  loopBatches: number;
  writes: number;
  /** Most groups whose Readies shared one batch. */
  groupsPerBatchMax: number;
  /** Batches in flight at a crash that landed, and that were lost. */
  crashLanded: number;
  crashLost: number;
}

type StoreWrite =
  | { readonly kind: 'persist'; readonly w: DiskWrite }
  | { readonly kind: 'snapshot'; readonly snap: Snapshot }
  | { readonly kind: 'compact'; readonly index: number };

interface PendingWrite {
  readonly write: StoreWrite;
  readonly view: GroupStore;
  readonly resolve: () => void;
}

interface Batch {
  readonly writes: PendingWrite[];
  /** Groups with a persist in this batch. */
  readonly persistGroups: Set<number>;
}

/**
 * One simulated process's disk, shared by the groups it hosts (one
 * LevelDB per process, as in production): group commit, modelled. Writes
 * submitted in the same synchronous run join one batch; the batch is
 * handed to the disk on the scheduler's next run and lands a seeded
 * number of steps later; at most one batch is on the disk at a time, and
 * writes submitted meanwhile form the next. Only when its batch lands is
 * a write applied to the group's durable image (SimDisk), mirrored into
 * the `log` its replica reads, and its promise resolved, in submission
 * order. A crash drops the batch not yet handed over; the one in flight
 * lands whole or not at all (a LevelDB batch is atomic), as the seed says.
 *
 * Invariant: a group's `log` holds exactly its durable image plus the
 * snapshot its host created there ahead of saving it (ackBeforeDurable
 * breaks this on purpose).
 */
export class SimProcessStore {
  private readonly disks = new Map<number, SimDisk>();
  private readonly views = new Map<number, GroupStore>();
  /** Bumped at every crash: views of an earlier life are dead. */
  private life = 0;
  private open: Batch | undefined;
  private inFlight: Batch | undefined;
  readonly stats: StoreStats = { batches: 0, loopBatches: 0, writes: 0, groupsPerBatchMax: 0, crashLanded: 0, crashLost: 0 };
  observer: StoreObserver | undefined;

  constructor(
    private readonly world: SimWorld,
    private readonly rng: SeededRng,
    /** A batch lands 1..latencyStepsMax steps after it was handed to the disk. */
    private readonly latencyStepsMax: number,
    private readonly makeDisk: (group: number, conf: ConfState) => SimDisk,
    private readonly seam?: StoreSeam,
  ) {
    assert(latencyStepsMax >= 1, 'store: latencyStepsMax >= 1');
  }

  /** The durable image of `group` (created empty, holding `conf`, on first use). */
  disk(group: number, conf: ConfState = { voters: [], learners: [] }): SimDisk {
    let d = this.disks.get(group);
    if (d === undefined) {
      d = this.makeDisk(group, conf);
      this.disks.set(group, d);
    }
    return d;
  }

  hasGroup(group: number): boolean {
    return this.disks.has(group);
  }

  /** The HostStore a replica of `group` uses in this life of the process: its log read back from the disk. */
  openGroup(group: number): GroupStore {
    const view = new GroupStore(this, group, this.life, copyLog(this.disk(group).log));
    this.views.set(group, view);
    return view;
  }

  /** The process died: see the class comment. Views of this life go dead. */
  crash(): void {
    this.life++;
    this.views.clear();
    this.open = undefined;
    const b = this.inFlight;
    this.inFlight = undefined;
    if (b !== undefined) {
      if (this.rng.chance(0.5)) {
        this.stats.crashLanded++;
        for (const w of b.writes) {
          this.applyDurable(w);
          const hs = w.write.kind === 'persist' ? w.write.w.hardState : undefined;
          if (hs !== undefined) this.observer?.promised(w.view.group, hs);
        }
      } else {
        this.stats.crashLost++;
      }
    }
    for (const d of this.disks.values()) d.crash();
    if (this.seam === 'forgetVoteOnCrash') {
      for (const d of this.disks.values()) d.log.setHardState({ ...d.log.hardState(), vote: NONE });
    }
  }

  close(): void {
    for (const d of this.disks.values()) d.close();
  }

  /** A write from a view; it resolves once durable (a dead view's write never does: its process is gone). */
  submit(view: GroupStore, write: StoreWrite): Promise<void> {
    if (view.life !== this.life) return new Promise<void>(() => {});
    if (write.kind === 'persist') this.observer?.beforePersist(view.group, write.w, view.log);
    let resolve!: () => void;
    const p = new Promise<void>((r) => (resolve = r));
    const batch = this.batchForWrite();
    assert(batch.writes.length < BATCH_WRITES_MAX, () => `store: more than ${BATCH_WRITES_MAX} writes in one batch`);
    const pending: PendingWrite = { write, view, resolve };
    batch.writes.push(pending);
    this.stats.writes++;
    if (write.kind === 'persist') {
      if (batch.persistGroups.size === 0) this.stats.loopBatches++;
      batch.persistGroups.add(view.group);
      this.stats.groupsPerBatchMax = Math.max(this.stats.groupsPerBatchMax, batch.persistGroups.size);
    }
    if (this.seam === 'ackBeforeDurable') this.acknowledge(pending);
    return p;
  }

  /** The open batch, opened (and its hand-over scheduled) by the first write of a run. */
  private batchForWrite(): Batch {
    if (this.open !== undefined) return this.open;
    const b: Batch = { writes: [], persistGroups: new Set() };
    this.open = b;
    this.stats.batches++;
    this.observer?.batch('opened');
    if (this.inFlight === undefined) this.scheduleSeal();
    return b;
  }

  private scheduleSeal(): void {
    const life = this.life;
    this.world.soon(() => {
      if (life === this.life) this.seal();
    });
  }

  /** Hands the open batch to the disk; it lands a seeded number of steps later. */
  private seal(): void {
    const b = this.open;
    if (b === undefined || this.inFlight !== undefined) return;
    this.open = undefined;
    this.inFlight = b;
    const latency = this.rng.intBetween(1, this.latencyStepsMax + 1);
    this.world.at(this.world.step + latency, () => this.land(b));
    this.observer?.batch('sealed');
  }

  private land(b: Batch): void {
    if (this.inFlight !== b) return; // a crash came first
    this.inFlight = undefined;
    for (const w of b.writes) {
      this.applyDurable(w);
      if (this.seam !== 'ackBeforeDurable') this.acknowledge(w);
    }
    if (this.open !== undefined) this.scheduleSeal();
    // Last: a crash here ('afterWrite') finds every write of the batch resolved.
    this.observer?.batch('durable');
  }

  /** Mirrors a write into its view's log and resolves it: the store's promise. */
  private acknowledge(p: PendingWrite): void {
    const log = p.view.log;
    const w = p.write;
    switch (w.kind) {
      case 'persist':
        if (w.w.snapshot !== undefined) log.applySnapshot(w.w.snapshot);
        log.append(w.w.entries);
        if (w.w.hardState !== undefined) {
          log.setHardState(w.w.hardState);
          this.observer?.promised(p.view.group, w.w.hardState);
        }
        break;
      case 'snapshot': {
        // The host may have created it in the log already (ReplicaSnapshots does, then saves).
        const { index, conf } = w.snap.meta;
        if (log.snapshot().meta.index < index) log.createSnapshot(index, conf, w.snap.data);
        break;
      }
      case 'compact':
        log.compact(w.index);
        break;
      default: {
        const never: never = w;
        return never;
      }
    }
    p.resolve();
  }

  private applyDurable(p: PendingWrite): void {
    const disk = this.disk(p.view.group);
    const w = p.write;
    switch (w.kind) {
      case 'persist':
        disk.persist(w.w);
        break;
      case 'snapshot': {
        // A snapshot received from the leader meanwhile supersedes it.
        const { index, conf } = w.snap.meta;
        if (disk.log.snapshot().meta.index < index) disk.saveSnapshot(index, conf, w.snap.data);
        break;
      }
      case 'compact':
        if (w.index > disk.log.firstIndex() - 1) disk.compact(w.index);
        break;
      default: {
        const never: never = w;
        return never;
      }
    }
  }
}

/**
 * One group's view of its process's store, for one life of the process:
 * the HostStore its GroupReplica is given.
 */
export class GroupStore implements HostStore {
  constructor(
    private readonly owner: SimProcessStore,
    readonly group: number,
    readonly life: number,
    readonly log: MemoryStorage,
  ) {}

  persist(w: DiskWrite): Promise<void> {
    return this.owner.submit(this, { kind: 'persist', w });
  }

  saveSnapshot(snap: Snapshot): Promise<void> {
    return this.owner.submit(this, { kind: 'snapshot', snap });
  }

  compact(index: number): Promise<void> {
    return this.owner.submit(this, { kind: 'compact', index });
  }
}

/** A copy of a log: what a restarted process reads back from its disk. */
function copyLog(log: MemoryStorage): MemoryStorage {
  const start = log.firstIndex() - 1;
  const startTerm = log.term(start);
  assert(startTerm !== undefined, () => `store: no term at the log start ${start}`);
  return buildLog(log.snapshot(), { index: start, term: startTerm }, log.allEntries(), log.hardState());
}
