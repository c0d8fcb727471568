import { assert } from '../../raft/assert.js';
import type { RaftConfig } from '../../raft/config.js';
import type { Message } from '../../raft/messages.js';
import { RawNode } from '../../raft/raw-node.js';
import type { RaftStatus, Ready } from '../../raft/ready.js';
import type { Entry, NodeId, SoftState } from '../../raft/types.js';
import type { HostEvents, HostLimits, HostStateMachine, HostStore, HostTransport } from './host-contract.js';
import { NodeError } from './node-error.js';
import { ReplicaSnapshots } from './replica-snapshots.js';
import { SnapshotTurns } from './snapshot-turns.js';
import { ReplicaWaiters } from './replica-waiters.js';

/** What a replica needs from the loop that drives it. */
export interface ReplicaDriver {
  /** Asks for a turn of the loop soon (inputs are queued). */
  kick(): void;
  /** Reports a failure that must stop the process (storage, a broken invariant). */
  fatal(err: unknown): void;
}

/** One group's Ready in a turn of the loop, with the part applied before its write landed. */
export interface ReplicaTurn {
  readonly rd: Ready;
  /** Committed entries the disk already held, applied while the write is in flight. */
  early: readonly Entry[];
  earlyApplied: boolean;
}

/**
 * One replica of one Raft group inside a process: its RawNode, state
 * machine, store and the clients waiting on it. It never runs the Ready
 * cycle itself: the process's HostLoop does, for every replica at once, so
 * one synced batch serves every group. Inputs are queued here and fed to
 * the core only at the loop's safe point.
 * Invariant: nothing is fed to the core between ready() and advance().
 */
export class GroupReplica {
  readonly node: RawNode;
  private readonly inbox: Message[] = [];
  private ticksDue = 0;
  private readonly ops: Array<() => void> = [];
  private readonly waiters: ReplicaWaiters;
  readonly snapshots: ReplicaSnapshots;
  /** Index of the last entry applied to the state machine (or restored snapshot). */
  private appliedIndex: number;
  private closed = false;
  private soft: SoftState = { leaderId: 0, role: 'follower' };
  /** The last leader this replica knew (0: none yet) and how often a new one appeared. Invariant: the count never decreases. */
  private lastLeaderId: NodeId = 0;
  private leaderChangesSeen = 0;
  private driver: ReplicaDriver | undefined;
  /** Messages were sent since the last flushSends. */
  private unflushed = false;

  constructor(
    readonly groupId: number,
    cfg: RaftConfig,
    readonly store: HostStore,
    private readonly transport: HostTransport,
    private readonly sm: HostStateMachine,
    readonly limits: HostLimits,
    private readonly events: Omit<HostEvents, 'onFatal'>,
    private readonly now: () => number = Date.now,
    /** Shared by the groups of a process: one snapshot at a time (default: this replica's own). */
    snapshotTurns: SnapshotTurns = new SnapshotTurns(),
  ) {
    this.node = new RawNode(cfg, store.log);
    this.appliedIndex = cfg.applied;
    this.waiters = new ReplicaWaiters(limits, now);
    this.snapshots = new ReplicaSnapshots(this.node, store, sm, limits, {
      withNode: (fn) => this.withNode(fn),
      isClosed: () => this.closed,
      kick: () => this.driver?.kick(),
      fatal: (err) => this.driver?.fatal(err),
      ...(events.onSnapshot !== undefined ? { onSnapshot: events.onSnapshot } : {}),
      ...(events.onSnapshotSeconds !== undefined ? { onSnapshotSeconds: events.onSnapshotSeconds } : {}),
    }, snapshotTurns);
  }

  /** Called once by the loop that will drive this replica. */
  attach(driver: ReplicaDriver): void {
    assert(this.driver === undefined, () => `group ${this.groupId}: replica attached twice`);
    this.driver = driver;
  }

  get leaderId(): NodeId {
    return this.soft.leaderId;
  }

  get isLeader(): boolean {
    return this.soft.role === 'leader';
  }

  status(): RaftStatus {
    return this.node.status();
  }

  /** Counters for metrics, read at scrape time (plain fields: nothing on the hot path but ++). */
  counters(): { readonly leaderChangesSeen: number; readonly proposalsCommitted: number; readonly proposalsFailed: number } {
    return { leaderChangesSeen: this.leaderChangesSeen, proposalsCommitted: this.waiters.counts.committed, proposalsFailed: this.waiters.counts.failed };
  }

  /** A message from a peer. */
  deliver(msg: Message): void {
    if (this.closed) return;
    this.inbox.push(msg);
    this.driver?.kick();
  }

  /** One tick of logical time (the loop's ticker). */
  tick(): void {
    this.ticksDue++;
    this.waiters.expire(this.now());
  }

  /** Runs fn against the core at the next safe point (never inside a Ready). */
  withNode<T>(fn: (node: RawNode) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.closed) return reject(new NodeError('CLOSED', 'node is shutting down'));
      this.ops.push(() => {
        try {
          resolve(fn(this.node));
        } catch (err) {
          reject(err);
        }
      });
      this.driver?.kick();
    });
  }

  /** Replicates one command; resolves with its results once applied here. */
  propose(data: Uint8Array, timeoutMs: number): Promise<unknown[]> {
    return new Promise<unknown[]>((resolve, reject) => {
      if (this.closed) return reject(new NodeError('CLOSED', 'node is shutting down'));
      if (!this.isLeader) return reject(new NodeError('NOT_LEADER', 'not the leader'));
      const refused = this.waiters.queueProposal(data, { resolve, reject, deadlineMs: this.now() + timeoutMs });
      if (refused !== undefined) return reject(refused);
      this.driver?.kick();
    });
  }

  /** Resolves once this node's state machine is linearizably current (ReadIndex). */
  readBarrier(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.closed) return reject(new NodeError('CLOSED', 'node is shutting down'));
      if (!this.isLeader) return reject(new NodeError('NOT_LEADER', 'not the leader'));
      this.waiters.queueRead({ resolve, reject, deadlineMs: this.now() + timeoutMs });
      this.driver?.kick();
    });
  }

  /**
   * Takes a snapshot at the current applied index soon (if none covers it yet).
   * A member added with an empty disk can only learn the bootstrap membership
   * from a snapshot, so adding one starts with this.
   */
  snapshotNow(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.closed) return reject(new NodeError('CLOSED', 'node is shutting down'));
      this.ops.push(() => this.snapshots.ask(this.node.status().applied, resolve, reject));
      this.driver?.kick();
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const err = new NodeError('CLOSED', 'node is shutting down');
    this.waiters.failAll(err);
    this.snapshots.failAll(err);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  // ---- the steps of a loop turn (host-loop.ts calls them in this order) ------

  /** Feeds every queued input to the core: the turn's safe point. */
  feed(): void {
    const node = this.node;
    for (; this.ticksDue > 0; this.ticksDue--) node.tick();
    for (const m of this.inbox.splice(0)) node.step(m);
    for (const op of this.ops.splice(0)) op();
    this.waiters.proposeQueued(node, this.sm);
    this.waiters.readQueued(node);
  }

  /** The core's Ready, if it has one, with the entries that may apply during its write. */
  takeReady(): ReplicaTurn | undefined {
    if (!this.node.hasReady()) return undefined;
    const rd = this.node.ready();
    return { rd, early: this.durableCommitted(rd), earlyApplied: false };
  }

  /**
   * Committed entries this node already holds on disk need not wait for the
   * Ready's write: a majority, this node included, has them. Those the write
   * itself carries (or rewrites: a follower replacing a stale suffix) wait
   * for it, as does everything after a received snapshot, restored first.
   */
  private durableCommitted(rd: Ready): readonly Entry[] {
    if (!needsWrite(rd) || rd.snapshot !== undefined) return [];
    const rewrittenFrom = rd.entries[0]?.index ?? Infinity;
    const durable = Math.min(this.store.log.lastIndex(), rewrittenFrom - 1);
    let n = 0;
    while (n < rd.committedEntries.length && rd.committedEntries[n]!.index <= durable) n++;
    return rd.committedEntries.slice(0, n);
  }

  /** Sends messages that need nothing from this turn's write. */
  sendEarly(turn: ReplicaTurn): void {
    this.sendAll(turn.rd.messages);
  }

  /** Starts the Ready's write, if it has one. */
  persist(turn: ReplicaTurn): Promise<void> | undefined {
    const rd = turn.rd;
    if (!needsWrite(rd)) return undefined;
    return this.store.persist(
      {
        ...(rd.hardState !== undefined ? { hardState: rd.hardState } : {}),
        entries: rd.entries,
        ...(rd.snapshot !== undefined ? { snapshot: rd.snapshot } : {}),
      },
      { sync: rd.mustSync },
    );
  }

  /** Applies (and answers) the entries already durable before this turn's write. */
  applyEarly(turn: ReplicaTurn): void {
    if (turn.earlyApplied) return;
    turn.earlyApplied = true;
    this.apply(turn.early);
  }

  /** After the write: sends what it promised (the loop flushes once for every group). */
  sendPersisted(turn: ReplicaTurn): void {
    this.sendAll(turn.rd.persistedMessages);
  }

  /** Puts this replica's sends on the wire now, if it sent any; the process's groups share the links, so later calls find them empty. */
  flushSends(): void {
    if (!this.unflushed) return;
    this.unflushed = false;
    this.transport.flush?.();
  }

  /** After the write and sendPersisted: restore, apply, advance, answer reads. */
  finish(turn: ReplicaTurn): void {
    const rd = turn.rd;
    this.applyEarly(turn);
    if (rd.snapshot !== undefined) {
      const timed = this.events.onSnapshotSeconds;
      const startedMs = timed !== undefined ? performance.now() : 0;
      this.sm.restore(rd.snapshot.data);
      timed?.('restore', (performance.now() - startedMs) / 1000);
      this.store.releaseSnapshotData?.();
      this.appliedIndex = rd.snapshot.meta.index;
      this.snapshots.restored(rd.snapshot.meta.index);
      this.events.onSnapshot?.('restored', rd.snapshot.meta.index);
    }
    this.apply(rd.committedEntries.slice(turn.early.length));
    this.node.advance(rd);
    const lastApplied = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastApplied !== undefined) this.events.onApplied?.(lastApplied.index);
    this.waiters.readsConfirmed(rd.readStates, rd.droppedReads, this.appliedIndex);
    if (rd.softState !== undefined) this.onSoftState(rd.softState);
  }

  private sendAll(messages: readonly Message[]): void {
    if (messages.length > 0) this.unflushed = true;
    for (const m of messages) {
      if (m.type === 'snap') {
        const timed = this.events.onSnapshotSeconds;
        const startedMs = timed !== undefined ? performance.now() : 0;
        this.transport.send(m.to, m, {
          onSent: (ok) => {
            if (ok) timed?.('send', (performance.now() - startedMs) / 1000);
            this.ops.push(() => this.node.reportSnapshot(m.to, ok));
            this.driver?.kick();
          },
        });
      } else {
        this.transport.send(m.to, m);
      }
    }
  }

  private apply(entries: readonly Entry[]): void {
    for (const e of entries) {
      assert(e.index === this.appliedIndex + 1, () => `group ${this.groupId}: applying entry ${e.index} after ${this.appliedIndex}`);
      this.appliedIndex = e.index;
      if (e.type === 'conf') {
        this.sm.applyConfChange(e.index, e.change);
        this.waiters.applied(e, []);
        continue;
      }
      this.snapshots.appliedBytes(e.data.length);
      this.waiters.applied(e, this.sm.applyEntry(e.index, e.data));
    }
  }

  private onSoftState(soft: SoftState): void {
    const wasLeader = this.soft.role === 'leader';
    this.soft = soft;
    if (soft.leaderId !== 0 && soft.leaderId !== this.lastLeaderId) {
      this.lastLeaderId = soft.leaderId;
      this.leaderChangesSeen++;
    }
    // Proposals made as leader may still commit under the next leader; they
    // settle when applied or at their deadline. Queued ones cannot be proposed here.
    if (wasLeader && soft.role !== 'leader') this.waiters.leadershipLost();
    this.events.onSoftState?.(soft);
  }
}

function needsWrite(rd: Ready): boolean {
  return rd.hardState !== undefined || rd.entries.length > 0 || rd.snapshot !== undefined;
}
