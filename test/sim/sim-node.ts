import { assert } from '../../raft/assert.js';
import type { RaftConfig } from '../../raft/config.js';
import type { MemoryStorage } from '../../raft/memory-storage.js';
import type { Message } from '../../raft/messages.js';
import { RawNode } from '../../raft/raw-node.js';
import type { Ready } from '../../raft/ready.js';
import { SeededRng } from '../../raft/rng.js';
import type { Entry, NodeId, ReadState, Role, Snapshot } from '../../raft/types.js';
import type { SimDisk } from './sim-disk.js';
import { SimStateMachine } from './sim-state-machine.js';

/** Readies one drain may handle before we call it a livelock in the core. */
export const READY_LOOPS_MAX = 10_000;
/** Confirmed reads a node holds waiting for its state machine to catch up. */
export const PENDING_READS_MAX = 10_000;

/**
 * Where in the host loop a crash lands. The node dies at its NEXT Ready, so
 * the core holds state it has not yet handed out (the unpersisted kind):
 *  - beforePersist: the Ready is lost whole;
 *  - afterPersist: stored, but its messages never leave;
 *  - afterSend: stored and sent, not applied.
 */
export const CRASH_MODES = ['beforePersist', 'afterPersist', 'afterSend'] as const;
export type CrashMode = (typeof CRASH_MODES)[number];

/** Host-loop defects a teeth test may plant in a node (never in a campaign). */
export type NodeSeam = 'sendBeforePersist' | 'skipSnapshotRestore';

/** Per-seed tuning of every node (the core's limits plus the host's snapshot policy). */
export interface NodeParams {
  readonly raft: Omit<RaftConfig, 'id' | 'rng' | 'applied'>;
  /** Take a snapshot once this many entries were applied since the last one. */
  readonly snapshotEveryEntries: number;
  /** Entries kept behind a snapshot when compacting (for slow followers). */
  readonly compactKeepEntries: number;
}

/** What a node reports to the simulation; the simulation runs the checks. */
export interface NodeHost {
  /** Before a Ready is persisted: `disk` still holds the previous state. */
  beforePersist(node: SimNode, rd: Ready): void;
  send(msgs: readonly Message[]): void;
  becameLeader(node: SimNode, term: number): void;
  restored(node: SimNode, snap: Snapshot): void;
  applied(node: SimNode, e: Entry, digest: number): void;
  readAnswered(node: SimNode, rs: ReadState): void;
  readDropped(node: SimNode, ctx: number): void;
  snapshotTaken(node: SimNode, index: number): void;
  crashed(node: SimNode, how: string): void;
}

/**
 * One simulated server: the host loop around a RawNode, its disk (a SimDisk:
 * the in-memory model or a real LevelDB store; it survives crashes) and its
 * state machine (which does not). Follows the host contract of
 * raft/ready.ts exactly: persist, send, apply, advance, then answer reads.
 */
export class SimNode {
  /** Undefined while crashed (or after being shut down for good). */
  raw: RawNode | undefined;
  sm = new SimStateMachine();
  /** Bumped at every start: a restarted process is a new incarnation. */
  incarnation = 0;
  /** Set by the nemesis: the node dies inside its next Ready. */
  crashPending: CrashMode | undefined;
  /** A removed member: never restarted. */
  retired = false;
  /** Stepped since its last drain (batched delivery). */
  stepped = false;
  /** Role as of the last Ready's softState (follower while down). */
  role: Role = 'follower';
  private pendingReads: ReadState[] = [];
  /** Totals. */
  snapshotsTaken = 0;

  constructor(
    readonly id: NodeId,
    readonly store: SimDisk,
    private readonly seed: number,
    private readonly params: NodeParams,
    private readonly host: NodeHost,
    /** Host defects for teeth tests only (see SimCluster). */
    private readonly seam?: NodeSeam,
  ) {}

  /** What the core reads: exactly what the disk holds durable. */
  get disk(): MemoryStorage {
    return this.store.log;
  }

  get up(): boolean {
    return this.raw !== undefined;
  }

  /** Boots from the disk: state machine from the snapshot, the core told it was applied that far. */
  start(): void {
    assert(this.raw === undefined, () => `n${this.id}: start while running`);
    assert(!this.retired, () => `n${this.id}: start after retirement`);
    this.incarnation++;
    const snap = this.disk.snapshot();
    const config: RaftConfig = {
      ...this.params.raft,
      id: this.id,
      rng: new SeededRng(mixSeed(this.seed, this.id, this.incarnation)),
      applied: snap.meta.index,
    };
    this.sm = new SimStateMachine();
    this.sm.restore(snap);
    this.pendingReads = [];
    this.crashPending = undefined;
    this.role = 'follower';
    this.raw = new RawNode(config, this.disk);
  }

  /** Loses everything but the disk (which reads back what is durable). Pending reads fail. */
  crash(how: string): void {
    assert(this.raw !== undefined, () => `n${this.id}: crash while down`);
    this.raw = undefined;
    this.store.crash();
    this.crashPending = undefined;
    this.stepped = false;
    this.role = 'follower';
    for (const rs of this.pendingReads) this.host.readDropped(this, rs.ctx);
    this.pendingReads = [];
    this.host.crashed(this, how);
  }

  tick(): void {
    if (this.raw === undefined) return;
    this.raw.tick();
    this.drain();
  }

  step(m: Message): void {
    if (this.raw === undefined) return;
    this.raw.step(m);
    this.drain();
  }

  /** The host loop: handle every Ready the core has. */
  drain(): void {
    let loops = 0;
    while (this.raw !== undefined && this.raw.hasReady()) {
      assert(++loops <= READY_LOOPS_MAX, () => `n${this.id}: more than ${READY_LOOPS_MAX} Readies in one drain`);
      this.handle(this.raw, this.raw.ready());
    }
  }

  private handle(raw: RawNode, rd: Ready): void {
    if (this.crashPending === 'beforePersist') return this.crash('beforePersist');
    if (this.seam === 'sendBeforePersist') {
      // Seam: the host sends what the Ready promises before making it durable.
      if (rd.messages.length > 0) this.host.send(rd.messages);
      if (rd.persistedMessages.length > 0) this.host.send(rd.persistedMessages);
      if (this.crashPending !== undefined) return this.crash(`${this.crashPending}, sent but never persisted`);
    }
    // 1. Persist (one synced write; returns once durable).
    this.host.beforePersist(this, rd);
    this.store.persist(rd);
    if (this.crashPending === 'afterPersist') return this.crash('afterPersist');
    // 2. Send.
    if (this.seam !== 'sendBeforePersist') {
      if (rd.messages.length > 0) this.host.send(rd.messages);
      if (rd.persistedMessages.length > 0) this.host.send(rd.persistedMessages);
    }
    if (this.crashPending === 'afterSend') return this.crash('afterSend');
    if (rd.softState !== undefined) {
      this.role = rd.softState.role;
      if (rd.softState.role === 'leader') this.host.becameLeader(this, this.disk.hardState().term);
    }
    // 3. Apply.
    if (rd.snapshot !== undefined) {
      // Seam: a host that forgets to load the snapshot into its state machine.
      if (this.seam === 'skipSnapshotRestore') this.sm.applied = rd.snapshot.meta.index;
      else this.sm.restore(rd.snapshot);
      this.host.restored(this, rd.snapshot);
    }
    for (const e of rd.committedEntries) this.host.applied(this, e, this.sm.apply(e));
    raw.advance(rd);
    // 4. Answer reads once applied through their index.
    for (const rs of rd.readStates) this.pendingReads.push(rs);
    assert(this.pendingReads.length <= PENDING_READS_MAX, () => `n${this.id}: pending reads over ${PENDING_READS_MAX}`);
    if (this.pendingReads.length > 0) this.answerReads();
    for (const ctx of rd.droppedReads) this.host.readDropped(this, ctx);
    this.maybeSnapshot(raw);
  }

  private answerReads(): void {
    const still: ReadState[] = [];
    for (const rs of this.pendingReads) {
      if (rs.index <= this.sm.applied) this.host.readAnswered(this, rs);
      else still.push(rs);
    }
    this.pendingReads = still;
  }

  /** Snapshot + compaction every `snapshotEveryEntries` applied entries. */
  private maybeSnapshot(raw: RawNode): void {
    const snapIndex = this.disk.snapshot().meta.index;
    if (this.sm.applied - snapIndex < this.params.snapshotEveryEntries) return;
    this.store.snapshot(this.sm.applied, raw.confState(), this.sm.encode(), this.sm.applied - this.params.compactKeepEntries);
    this.snapshotsTaken++;
    this.host.snapshotTaken(this, this.sm.applied);
  }
}

/** A 32-bit seed for one (seed, a, b) triple: node jitter streams never overlap the schedule's. */
export function mixSeed(seed: number, a: number, b: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const x of [a, b]) {
    h = Math.imul(h ^ x, 0x85ebca6b) >>> 0;
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h ^= h >>> 16;
  }
  return h >>> 0;
}
