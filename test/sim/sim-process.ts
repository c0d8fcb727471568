import { assert } from '../../raft/assert.js';
import type { RaftConfig } from '../../raft/config.js';
import type { MemoryStorage } from '../../raft/memory-storage.js';
import type { Message } from '../../raft/messages.js';
import { SeededRng } from '../../raft/rng.js';
import type { ConfChange, HardState, NodeId, SoftState } from '../../raft/types.js';
import { GroupReplica } from '../../src/participant/group-replica.js';
import type { HostLimits, HostScheduler, HostTicker } from '../../src/participant/host-contract.js';
import { HostLoop } from '../../src/participant/host-loop.js';
import { SnapshotTurns } from '../../src/participant/snapshot-turns.js';
import type { HostLoopStats } from '../../src/participant/host-loop.js';
import type { DiskWrite } from './sim-disk.js';
import { CombiningSimStateMachine, SimStateMachine } from './sim-state-machine.js';
import type { BatchPhase, SimProcessStore, StoreObserver } from './sim-store.js';
import type { SimWorld } from './sim-world.js';

/**
 * Where in the host loop a crash lands, aimed at the process's next disk
 * batch (one per loop turn that writes):
 *  - beforeWrite: the batch never reaches the disk (the turn's Readies are
 *    lost; the messages that needed no disk may have left);
 *  - writeInFlight: the batch is on the disk; it lands whole or not at all;
 *  - afterWrite: the batch is durable and its promises resolved, but the
 *    loop never sends what it promised, applies or advances;
 *  - afterTurn: the turn finished (sent, applied); its next inputs are lost.
 */
export const CRASH_MODES = ['beforeWrite', 'writeInFlight', 'afterWrite', 'afterTurn'] as const;
export type CrashMode = (typeof CRASH_MODES)[number];

/** Per-seed tuning of every process: the core's limits, the host's limits and snapshot policy. */
export interface ProcessParams {
  readonly raft: Omit<RaftConfig, 'id' | 'rng' | 'applied'>;
  readonly limits: HostLimits;
  /** State machines combine queued commands into one entry (as the KV store does). */
  readonly combine: boolean;
}

/** What a process reports to the cluster, which runs the checks. */
export interface ProcessHost {
  send(from: SimProcess, group: number, msg: Message, onSent: ((ok: boolean) => void) | undefined): void;
  softState(p: SimProcess, group: number, soft: SoftState): void;
  /** `nodeTerm`: the replica's durable term when it applied. */
  applied(p: SimProcess, group: number, nodeTerm: number, index: number, term: number, digest: number, chain: number, change: ConfChange | undefined): void;
  snapshot(p: SimProcess, group: number, kind: 'restored' | 'taken', index: number): void;
  beforePersist(p: SimProcess, group: number, w: DiskWrite, log: MemoryStorage): void;
  promised(p: SimProcess, group: number, hs: HardState): void;
  crashed(p: SimProcess, how: string): void;
}

interface Hosted {
  readonly replica: GroupReplica;
  readonly sm: SimStateMachine;
}

/**
 * One simulated process: the SHIPPED HostLoop driving one shipped
 * GroupReplica per group it hosts, over one simulated store shared by
 * them all. The world is injected everywhere the host takes it: the loop's
 * scheduler and ticker are the world's, each replica's transport is the
 * simulated network, its store a view of the process store, its clock the
 * world's, its Raft jitter a seeded generator. A crash kills the whole
 * process (every group); its disk survives.
 */
export class SimProcess implements StoreObserver {
  /** Bumped at every start: a restarted process is a new life. */
  incarnation = 0;
  /** Set by the nemesis: the process dies at a point of its next disk batch. */
  crashPending: CrashMode | undefined;
  /** Removed from every group it hosted: never restarted. */
  retired = false;
  private loop: HostLoop | undefined;
  /** Shared by this life's replicas, as a member process shares one among its groups. */
  private snapshotTurns = new SnapshotTurns();
  private tickFn: (() => void) | undefined;
  private readonly live = new Map<number, Hosted>();
  /** Groups placed here, in id order (removed ones stay, in `removed`). */
  private readonly placed: number[] = [];
  private readonly removed = new Set<number>();
  /** The host loop's stats, summed over every life. */
  readonly loopStats: HostLoopStats = { turns: 0, writeTurns: 0, syncedWriteTurns: 0, readies: 0, groupsPerWriteTurnMax: 0 };
  private readonly invariants = (): void => this.checkInvariants();

  constructor(
    readonly id: NodeId,
    readonly store: SimProcessStore,
    private readonly world: SimWorld,
    private readonly seed: number,
    private readonly params: ProcessParams,
    private readonly host: ProcessHost,
    /** Teeth only: state machines whose restore keeps their old state. */
    private readonly restoreKeepsState = false,
  ) {
    store.observer = this;
  }

  get up(): boolean {
    return this.loop !== undefined;
  }

  /** Groups hosted here and not removed, in id order. */
  groups(): readonly number[] {
    return this.placed.filter((g) => !this.removed.has(g));
  }

  isRemovedFrom(group: number): boolean {
    return this.removed.has(group);
  }

  /** The running replica of `group`, if the process is up and hosts it. */
  replica(group: number): GroupReplica | undefined {
    const h = this.live.get(group);
    return h === undefined || h.replica.isClosed ? undefined : h.replica;
  }

  sm(group: number): SimStateMachine | undefined {
    return this.live.get(group)?.sm;
  }

  /** Places a replica of `group` here (its disk as it is, fresh if new); it starts now if the process is up. */
  place(group: number): void {
    assert(!this.placed.includes(group), () => `n${this.id}: group ${group} placed twice`);
    this.placed.push(group);
    this.placed.sort((a, b) => a - b);
    if (this.loop !== undefined) this.openReplica(this.loop, group);
  }

  /** Boots from the disk: one loop, a replica per group, each state machine from its snapshot. */
  start(): void {
    assert(this.loop === undefined, () => `n${this.id}: start while running`);
    assert(!this.retired, () => `n${this.id}: start after retirement`);
    this.incarnation++;
    const life = this.incarnation;
    this.crashPending = undefined;
    const alive = (): boolean => this.incarnation === life && this.loop !== undefined;
    const scheduler: HostScheduler = {
      soon: (fn) =>
        this.world.soon(() => {
          if (alive()) fn();
        }, this.invariants),
    };
    const ticker: HostTicker = {
      start: (everyMs, fn) => {
        assert(everyMs === this.params.limits.tickMs, () => `n${this.id}: ticker every ${everyMs} ms`);
        this.tickFn = fn;
      },
      stop: () => (this.tickFn = undefined),
    };
    const loop = new HostLoop(this.params.limits.tickMs, scheduler, ticker, (err) => this.world.fail(err));
    this.loop = loop;
    // As in raft-member.ts: the groups of one process (of one life) take snapshots one at a time.
    this.snapshotTurns = new SnapshotTurns();
    for (const g of this.groups()) this.openReplica(loop, g);
    loop.start();
  }

  /** Loses everything but the disk. Clients waiting here are told the process is gone. */
  crash(how: string): void {
    const loop = this.loop;
    assert(loop !== undefined, () => `n${this.id}: crash while down`);
    this.loop = undefined;
    this.crashPending = undefined;
    const s = loop.stats;
    this.loopStats.turns += s.turns;
    this.loopStats.writeTurns += s.writeTurns;
    this.loopStats.syncedWriteTurns += s.syncedWriteTurns;
    this.loopStats.readies += s.readies;
    this.loopStats.groupsPerWriteTurnMax = Math.max(this.loopStats.groupsPerWriteTurnMax, s.groupsPerWriteTurnMax);
    loop.close();
    this.live.clear();
    this.store.crash();
    this.host.crashed(this, how);
  }

  /** Removed from `group`: its replica stops; true if the process hosts nothing any more. */
  removeFrom(group: number): boolean {
    this.removed.add(group);
    this.live.get(group)?.replica.close();
    return this.groups().length === 0;
  }

  /** One tick of the process's ticker (the loop ticks every replica, then turns). */
  tick(): void {
    this.tickFn?.();
  }

  /** Loop stats of every life, this one included. */
  stats(): HostLoopStats {
    const s = this.loop?.stats;
    if (s === undefined) return { ...this.loopStats };
    return {
      turns: this.loopStats.turns + s.turns,
      writeTurns: this.loopStats.writeTurns + s.writeTurns,
      syncedWriteTurns: this.loopStats.syncedWriteTurns + s.syncedWriteTurns,
      readies: this.loopStats.readies + s.readies,
      groupsPerWriteTurnMax: Math.max(this.loopStats.groupsPerWriteTurnMax, s.groupsPerWriteTurnMax),
    };
  }

  checkInvariants(): void {
    for (const h of this.live.values()) h.replica.node.checkInvariants();
  }

  // ---- StoreObserver: the process store reports here ------------------------

  beforePersist(group: number, w: DiskWrite, log: MemoryStorage): void {
    this.host.beforePersist(this, group, w, log);
  }

  promised(group: number, hs: HardState): void {
    this.host.promised(this, group, hs);
  }

  /** The nemesis's crash points (see CRASH_MODES). */
  batch(phase: BatchPhase): void {
    const mode = this.crashPending;
    if (mode === undefined) return;
    const life = this.incarnation;
    const later = (how: string): void =>
      this.world.soon(() => {
        if (this.incarnation === life && this.up && this.crashPending === mode) this.crash(how);
      });
    if (phase === 'opened' && mode === 'beforeWrite') later('beforeWrite: its batch never reached the disk');
    else if (phase === 'sealed' && mode === 'writeInFlight') later('writeInFlight: its batch is on the disk');
    else if (phase === 'durable' && mode === 'afterWrite') this.crash('afterWrite: durable, nothing sent or applied');
    else if (phase === 'durable' && mode === 'afterTurn') later('afterTurn: written, sent and applied');
  }

  private openReplica(loop: HostLoop, group: number): void {
    const life = this.incarnation;
    const alive = (): boolean => this.incarnation === life && this.loop !== undefined;
    const store = this.store.openGroup(group);
    const snap = store.log.snapshot();
    const observer = {
      applied: (index: number, term: number, digest: number, chain: number, change: ConfChange | undefined) =>
        this.host.applied(this, group, store.log.hardState().term, index, term, digest, chain, change),
    };
    const termAt = (i: number): number | undefined => store.log.term(i);
    const sm = this.params.combine
      ? new CombiningSimStateMachine(termAt, observer, this.restoreKeepsState)
      : new SimStateMachine(termAt, observer, this.restoreKeepsState);
    sm.restore(snap.data);
    const cfg: RaftConfig = {
      ...this.params.raft,
      id: this.id,
      rng: new SeededRng(mixSeed(this.seed, this.id * 256 + group, life)),
      applied: snap.meta.index,
    };
    const transport = {
      send: (_to: NodeId, msg: Message, opts?: { onSent?: (ok: boolean) => void }) => {
        if (alive()) this.host.send(this, group, msg, opts?.onSent);
      },
    };
    const events = {
      onSoftState: (soft: SoftState) => {
        if (alive()) this.host.softState(this, group, soft);
      },
      onSnapshot: (kind: 'restored' | 'taken', index: number) => {
        if (alive()) this.host.snapshot(this, group, kind, index);
      },
    };
    const replica = new GroupReplica(group, cfg, store, transport, sm, this.params.limits, events, () => this.world.nowMs(), this.snapshotTurns);
    this.live.set(group, { replica, sm });
    loop.add(replica);
  }
}

/** A 32-bit seed for one (seed, a, b) triple: jitter streams never overlap the schedule's. */
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
