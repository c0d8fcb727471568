import { assert } from '../../raft/assert.js';
import type { HostScheduler, HostTicker } from './host-contract.js';
import type { GroupReplica, ReplicaTurn } from './group-replica.js';

export interface HostLoopStats {
  /** Turns that had at least one Ready. */
  turns: number;
  /** Turns whose Readies needed a disk write. */
  writeTurns: number;
  /** Turns with a write that must be synced: each is ONE synced batch when the groups share a store. */
  syncedWriteTurns: number;
  /** Readies handled, over all groups. */
  readies: number;
  /** Most groups with a write in one turn. */
  groupsPerWriteTurnMax: number;
}

/**
 * The one loop of a process that drives every group replica it hosts. A
 * turn feeds every replica its queued inputs, takes every Ready, sends what
 * needs no disk, starts every write in the same synchronous run (so a
 * store that group-commits makes them ONE synced batch: one fsync per turn
 * for all groups, as dragonboat and TiKV do), applies entries that were
 * durable already while the disk works, and once every write has landed
 * sends what they promised, applies and advances each replica.
 *
 * Everything nondeterministic comes in through the scheduler, the ticker
 * and the stores' promises, so a simulation can drive this very loop.
 * Invariant: at most one turn runs at a time; no replica is fed between
 * its ready() and advance() (a turn feeds only when it starts).
 */
export class HostLoop {
  private readonly replicas: GroupReplica[] = [];
  private running = false;
  private again = false;
  private closed = false;
  readonly stats: HostLoopStats = { turns: 0, writeTurns: 0, syncedWriteTurns: 0, readies: 0, groupsPerWriteTurnMax: 0 };

  constructor(
    private readonly tickMs: number,
    private readonly scheduler: HostScheduler,
    private readonly ticker: HostTicker,
    private readonly onFatal: (err: unknown) => void,
  ) {}

  add(replica: GroupReplica): void {
    assert(!this.replicas.some((r) => r.groupId === replica.groupId), () => `host loop: group ${replica.groupId} added twice`);
    this.replicas.push(replica);
    this.replicas.sort((a, b) => a.groupId - b.groupId);
    replica.attach({ kick: () => this.kick(), fatal: (err) => this.fatal(err) });
  }

  start(): void {
    this.ticker.start(this.tickMs, () => {
      for (const r of this.replicas) r.tick();
      this.kick();
    });
    this.kick();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ticker.stop();
    for (const r of this.replicas) r.close();
  }

  /** Asks for a turn; one already running runs again when it ends. */
  kick(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    this.scheduler.soon(() => this.turn());
  }

  private fatal(err: unknown): void {
    if (this.closed) return;
    this.close();
    this.onFatal(err);
  }

  private turn(): void {
    if (this.closed) return;
    this.again = false;
    const turns: Array<{ replica: GroupReplica; turn: ReplicaTurn }> = [];
    try {
      for (const replica of this.replicas) {
        if (replica.isClosed) continue;
        replica.feed();
        const turn = replica.takeReady();
        if (turn !== undefined) turns.push({ replica, turn });
      }
    } catch (err) {
      return this.fatal(err);
    }
    if (turns.length === 0) {
      // What the last turn's writes promised waited for this turn's sends to ride with: none came.
      try {
        this.flushEvery();
      } catch (err) {
        return this.fatal(err);
      }
      return this.idle();
    }
    this.stats.turns++;
    this.stats.readies += turns.length;
    const writes: Array<Promise<void>> = [];
    try {
      // A leader's appends, heartbeats and snapshots may go out before its own
      // write lands (Raft thesis §10.2.1): its commit counts only after it.
      for (const t of turns) t.replica.sendEarly(t.turn);
      // One flush for every group: a peer gets this turn's frames of all of
      // them, and what the last turn's writes promised, in ONE socket write,
      // before the disk work that follows.
      this.flushEvery();
      // Every write starts in this one synchronous run: one batch for all.
      for (const t of turns) {
        const w = t.replica.persist(t.turn);
        if (w !== undefined) writes.push(w);
      }
    } catch (err) {
      return this.fatal(err);
    }
    if (writes.length === 0) return this.finish(turns);
    this.stats.writeTurns++;
    if (turns.some((t) => t.turn.rd.mustSync)) this.stats.syncedWriteTurns++;
    this.stats.groupsPerWriteTurnMax = Math.max(this.stats.groupsPerWriteTurnMax, writes.length);
    if (turns.some((t) => t.turn.early.length > 0)) {
      // After the store has handed its batch to the disk (it does so on the
      // scheduler's next run), apply what was durable already meanwhile.
      this.scheduler.soon(() => {
        if (this.closed) return;
        try {
          for (const t of turns) t.replica.applyEarly(t.turn);
        } catch (err) {
          this.fatal(err);
        }
      });
    }
    Promise.all(writes).then(
      () => this.finish(turns),
      (err: unknown) => this.fatal(err),
    );
  }

  private finish(turns: ReadonlyArray<{ replica: GroupReplica; turn: ReplicaTurn }>): void {
    if (this.closed) return;
    // More may be ready already (inputs that came during the write): turn
    // again. Scheduled before the sends below, so the next turn runs before
    // the links' own flush and what the write promised (acknowledgements)
    // leaves with the next turn's appends in one socket write per peer.
    this.scheduler.soon(() => this.turn());
    try {
      for (const t of turns) t.replica.sendPersisted(t.turn);
      for (const t of turns) t.replica.finish(t.turn);
      for (const t of turns) t.replica.snapshots.maybeStart();
    } catch (err) {
      return this.fatal(err);
    }
  }

  /** Flushes every replica's sends (each group may have sent since its last flush; the links are shared, so one call sends all). */
  private flushEvery(): void {
    for (const r of this.replicas) r.flushSends();
  }

  private idle(): void {
    try {
      for (const r of this.replicas) if (r.snapshots.asked) r.snapshots.maybeStart();
    } catch (err) {
      return this.fatal(err);
    }
    this.running = false;
    if (this.again) this.kick();
  }
}
