import { assert } from '../../raft/assert.js';
import type { RawNode } from '../../raft/raw-node.js';
import type { SeededRng } from '../../raft/rng.js';
import type { ConfChange, NodeId } from '../../raft/types.js';
import type { GroupReplica } from '../../src/participant/group-replica.js';
import { NodeError } from '../../src/participant/node-error.js';
import { checkRead } from './checkers.js';
import type { ReadRecord, SafetyState } from './checkers.js';
import type { SimProcess } from './sim-process.js';
import { encodeCommand } from './sim-state-machine.js';
import type { SimWorld } from './sim-world.js';
import type { Trace } from './trace.js';

/** Writes and reads in flight at once; beyond it the client waits. */
export const CLIENT_PENDING_OPS_MAX = 2_000;
/** A write or read not answered within this many ticks times out at the replica (GroupReplica's deadline). */
export const CLIENT_TIMEOUT_TICKS = 400;

/** How busy the clients and the operator are, per tick and group. */
export interface WorkloadParams {
  readonly writeRate: number;
  readonly readRate: number;
  readonly confChangeRate: number;
  readonly transferRate: number;
  /** Extra bytes per command, drawn in [0, padBytesMax]: varies message sizes. */
  readonly padBytesMax: number;
  /** Share of operations sent to the leader (the rest hit a random process). */
  readonly toLeaderRate: number;
}

/** The part of the cluster the clients and the operator act on. */
export interface ClientCluster {
  readonly tick: number;
  readonly world: SimWorld;
  readonly trace: Trace;
  groupIds(): readonly number[];
  safety(group: number): SafetyState;
  /** Every process ever started, sorted by id. */
  processes(): readonly SimProcess[];
  leader(group: number): SimProcess | undefined;
  /** Places a brand-new replica of `group` on process `id` (it joins as a learner). */
  addReplica(group: number, id: NodeId): void;
  label(id: NodeId, group: number): string;
}

interface PendingWrite {
  readonly opId: number;
  readonly group: number;
  readonly node: NodeId;
  readonly incarnation: number;
  readonly tick: number;
}

/** Per group: the operator's membership work and the liveness write. */
interface GroupOps {
  /** Spare ids this group may add, in order; never reused after removal. */
  nextNodeId: number;
  /** The spare being added, until it is a voter. */
  joining: NodeId | undefined;
  finalWrite: { readonly opId: number; index: number; acked: boolean } | undefined;
}

/**
 * Clients and the operator, through the shipped replica's own API
 * (propose, readBarrier, withNode), as the KV front door and the member
 * admin use it. A write is acknowledged when the proposer's promise
 * resolves (it applied the command at the index it proposed it at); a
 * read whose barrier resolves must then see every write acknowledged
 * before it started. The operator changes membership (learner first, then
 * promote; remove) and transfers leadership.
 */
export class SimClient {
  private nextOpId = 1;
  private nextCtx = 1;
  private readonly writes = new Map<number, PendingWrite>();
  private readsPending = 0;
  private readonly ops = new Map<number, GroupOps>();
  /** Totals. */
  proposed = 0;
  acked = 0;
  lost = 0;
  indeterminate = 0;
  refused = 0;
  readsDone = 0;
  confChanges = 0;
  transfers = 0;

  constructor(
    private readonly rng: SeededRng,
    private readonly cluster: ClientCluster,
    private readonly work: WorkloadParams,
    private readonly initialNodes: number,
    private readonly nodeIdMax: number,
    private readonly timeoutMs: number,
    /** Seam for teeth tests: serve reads from any replica's local state, skipping the read barrier. */
    private readonly staleReads = false,
  ) {
    for (const g of cluster.groupIds()) this.ops.set(g, { nextNodeId: initialNodes + 1, joining: undefined, finalWrite: undefined });
  }

  /** One tick of client and operator activity in every group. `quiet`: no membership churn or transfers. */
  step(quiet: boolean): void {
    for (const g of this.cluster.groupIds()) {
      if (this.rng.chance(this.work.writeRate)) this.write(g);
      if (this.rng.chance(this.work.readRate)) this.read(g);
      if (quiet) continue;
      if (this.rng.chance(this.work.confChangeRate)) this.changeMembership(g);
      if (this.rng.chance(this.work.transferRate)) this.transfer(g);
    }
  }

  /** Writes proposed before op `opIdFloor` and not yet settled. */
  pendingWritesBefore(opIdFloor: number): number {
    let n = 0;
    for (const w of this.writes.values()) if (w.opId < opIdFloor) n++;
    return n;
  }

  /** `op=12@g1/n3#2 t=40` for the oldest pending writes: liveness failure detail. */
  describePendingBefore(opIdFloor: number, max = 5): string {
    const out: string[] = [];
    for (const w of this.writes.values()) {
      if (w.opId >= opIdFloor || out.length >= max) continue;
      out.push(`op=${w.opId}@${this.cluster.label(w.node, w.group)}#${w.incarnation} t=${w.tick}`);
    }
    return out.join(', ');
  }

  nextOpIdValue(): number {
    return this.nextOpId;
  }

  private target(group: number): SimProcess | undefined {
    const leader = this.cluster.leader(group);
    if (leader !== undefined && this.rng.chance(this.work.toLeaderRate)) return leader;
    const up = this.cluster.processes().filter((p) => p.replica(group) !== undefined);
    return up.length === 0 ? undefined : this.rng.pick(up);
  }

  /** Proposes one write in `group`; returns its op id if a replica took it. */
  write(group: number, to: SimProcess | undefined = this.target(group)): number | undefined {
    const replica = to?.replica(group);
    if (to === undefined || replica === undefined || this.writes.size >= CLIENT_PENDING_OPS_MAX) return undefined;
    const opId = this.nextOpId++;
    const data = encodeCommand(opId, this.rng.intBetween(0, this.work.padBytesMax + 1));
    // A replica that knows it is no leader refuses at once (GroupReplica.propose
    // rejects NOT_LEADER before queueing): the client is told so without asking.
    if (!replica.isLeader) {
      this.refused++;
      return undefined;
    }
    const w: PendingWrite = { opId, group, node: to.id, incarnation: to.incarnation, tick: this.cluster.tick };
    this.writes.set(opId, w);
    this.proposed++;
    this.cluster.trace.event(this.cluster.tick, `${this.cluster.label(to.id, group)} propose op=${opId}`);
    replica.propose(data, this.timeoutMs).then(
      (results) => this.guard(() => this.onAcked(w, results)),
      (err: unknown) => this.guard(() => this.onFailed(w, err)),
    );
    return opId;
  }

  private read(group: number): void {
    const to = this.target(group);
    const replica = to?.replica(group);
    const sm = to?.sm(group);
    if (to === undefined || replica === undefined || sm === undefined || this.readsPending >= CLIENT_PENDING_OPS_MAX) return;
    const ctx = this.nextCtx++;
    const rec: ReadRecord = { ctx, node: to.id, startTick: this.cluster.tick, mustSeeIndex: this.cluster.safety(group).ackedMaxIndex };
    if (this.staleReads) {
      checkRead(rec, sm.applied, this.cluster.tick);
      return;
    }
    if (!replica.isLeader) return;
    this.readsPending++;
    this.cluster.trace.event(this.cluster.tick, `${this.cluster.label(to.id, group)} read ctx=${ctx} mustSee=${rec.mustSeeIndex}`);
    replica.readBarrier(this.timeoutMs).then(
      () =>
        this.guard(() => {
          this.readsPending--;
          this.readsDone++;
          checkRead(rec, sm.applied, this.cluster.tick);
        }),
      () => {
        this.readsPending--;
      },
    );
  }

  private onAcked(w: PendingWrite, results: unknown[]): void {
    const index = results[0];
    assert(results.length === 1 && typeof index === 'number', () => `client: op ${w.opId} answered ${JSON.stringify(results)}`);
    assert(this.writes.delete(w.opId), () => `client: op ${w.opId} acknowledged twice`);
    this.acked++;
    const safety = this.cluster.safety(w.group);
    if (index > safety.ackedMaxIndex) safety.ackedMaxIndex = index;
    const f = this.ops.get(w.group)?.finalWrite;
    if (f?.opId === w.opId) {
      f.acked = true;
      f.index = index;
    }
    this.cluster.trace.event(this.cluster.tick, `${this.cluster.label(w.node, w.group)} ack op=${w.opId} at ${index}`);
  }

  private onFailed(w: PendingWrite, err: unknown): void {
    if (!(err instanceof NodeError)) throw err;
    this.writes.delete(w.opId);
    switch (err.code) {
      case 'LOST':
        this.lost++;
        this.cluster.trace.event(this.cluster.tick, `${this.cluster.label(w.node, w.group)} lost op=${w.opId} (${err.message})`);
        break;
      case 'TIMEOUT':
      case 'CLOSED':
        this.indeterminate++;
        break;
      default:
        this.refused++;
    }
  }

  /**
   * Single-server changes (Raft dissertation §4.1): add a fresh replica as
   * a learner, promote it once caught up, remove a follower when there are
   * more voters than the group started with.
   */
  private changeMembership(group: number): void {
    const leader = this.cluster.leader(group);
    const replica = leader?.replica(group);
    if (leader === undefined || replica === undefined) return;
    const ops = this.ops.get(group)!;
    const st = replica.status();
    const conf = st.conf;
    const learner = conf.learners[0];
    if (ops.joining !== undefined && conf.voters.includes(ops.joining)) ops.joining = undefined;
    let cc: ConfChange | undefined;
    if (learner !== undefined) {
      const pr = st.peers.find((p) => p.id === learner);
      if (pr !== undefined && pr.match + 5 >= st.lastIndex) cc = { type: 'promote', nodeId: learner };
    } else if (ops.joining !== undefined && !conf.voters.includes(ops.joining)) {
      cc = { type: 'addLearner', nodeId: ops.joining };
    } else if (conf.voters.length <= this.initialNodes && ops.nextNodeId <= this.nodeIdMax) {
      ops.joining = ops.nextNodeId++;
      this.cluster.addReplica(group, ops.joining);
      cc = { type: 'addLearner', nodeId: ops.joining };
    } else if (conf.voters.length > this.initialNodes) {
      // Now and then the leader removes itself (it must step down once that commits).
      const others = conf.voters.filter((v) => v !== leader.id);
      cc = { type: 'remove', nodeId: this.rng.chance(0.2) ? leader.id : this.rng.pick(others) };
    }
    if (cc === undefined) return;
    const change = cc;
    const who = this.cluster.label(leader.id, group);
    this.atSafePoint(replica, (n) => {
      const res = n.proposeConfChange(change);
      this.cluster.trace.event(this.cluster.tick, `${who} confChange ${change.type} n${change.nodeId}: ${res.ok ? `at ${res.index}` : res.code}`);
      if (res.ok) this.confChanges++;
    });
  }

  private transfer(group: number): void {
    const leader = this.cluster.leader(group);
    const replica = leader?.replica(group);
    if (leader === undefined || replica === undefined) return;
    const voters = replica.status().conf.voters.filter((v) => v !== leader.id);
    if (voters.length === 0) return;
    const to = this.rng.pick(voters);
    this.transfers++;
    this.cluster.trace.event(this.cluster.tick, `${this.cluster.label(leader.id, group)} transferLeader -> n${to}`);
    this.atSafePoint(replica, (n) => n.transferLeader(to));
  }

  /** Runs fn against the replica's core at its loop's next safe point (as the member admin does). */
  private atSafePoint(replica: GroupReplica, fn: (node: RawNode) => void): void {
    replica.withNode((n) => this.guard(() => fn(n))).catch(() => undefined);
  }

  /**
   * Liveness: proposes the final write of `group` at its leader (again if
   * it was lost); returns its index once its proposer applied it, else undefined.
   */
  finalWriteIndex(group: number): number | undefined {
    const ops = this.ops.get(group)!;
    const f = ops.finalWrite;
    if (f !== undefined) {
      if (f.acked) return f.index;
      if (this.writes.has(f.opId)) return undefined;
      ops.finalWrite = undefined; // lost or indeterminate: propose again
    }
    const opId = this.write(group, this.cluster.leader(group));
    if (opId !== undefined) ops.finalWrite = { opId, index: 0, acked: false };
    return undefined;
  }

  /** Client continuations run as microtasks: a failed check there must end the run, not go unhandled. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.cluster.world.fail(err);
    }
  }
}
