import { assert } from '../../raft/assert.js';
import type { SeededRng } from '../../raft/rng.js';
import type { ConfChange, Entry, NodeId } from '../../raft/types.js';
import { checkRead } from './checkers.js';
import type { ReadRecord, SafetyState } from './checkers.js';
import type { SimNode } from './sim-node.js';
import { decodeCommand, encodeCommand } from './sim-state-machine.js';
import type { Trace } from './trace.js';

/** Writes and reads in flight at once; beyond it the client waits. */
export const CLIENT_PENDING_OPS_MAX = 2_000;

/** How busy the clients and the operator are, per tick. */
export interface WorkloadParams {
  readonly writeRate: number;
  readonly readRate: number;
  readonly confChangeRate: number;
  readonly transferRate: number;
  /** Extra bytes per command, drawn in [0, padBytesMax]: varies message sizes. */
  readonly padBytesMax: number;
  /** Share of operations sent to the leader (the rest hit a random node). */
  readonly toLeaderRate: number;
}

/** The part of the cluster the clients and the operator act on. */
export interface ClientCluster {
  readonly tick: number;
  readonly safety: SafetyState;
  readonly trace: Trace;
  /** Every node ever started, sorted by id. */
  nodes(): readonly SimNode[];
  leader(): SimNode | undefined;
  /** Starts a brand-new node with an empty disk (it joins as a learner). */
  addNode(id: NodeId): SimNode;
}

interface PendingWrite {
  readonly opId: number;
  readonly node: NodeId;
  readonly incarnation: number;
  readonly index: number;
  readonly term: number;
  readonly tick: number;
}

/**
 * Clients and the operator. Clients propose writes and ReadIndex reads and
 * keep the books: a write is acknowledged when its proposer applies it at
 * the index it was proposed at; a read must then see it. The operator
 * changes membership (learner first, then promote; remove) and transfers
 * leadership.
 */
export class SimClient {
  private nextOpId = 1;
  private nextCtx = 1;
  private readonly writes = new Map<number, PendingWrite>();
  private readonly reads = new Map<number, ReadRecord>();
  /** Ids of nodes started as spares; never reused after removal. */
  private nextNodeId: number;
  /** The spare being added, until it is a member. */
  private joining: NodeId | undefined;
  private finalWrite: { opId: number; index: number; acked: boolean } | undefined;
  /** Totals. */
  proposed = 0;
  acked = 0;
  lost = 0;
  indeterminate = 0;
  readsDone = 0;
  confChanges = 0;
  transfers = 0;

  constructor(
    private readonly rng: SeededRng,
    private readonly cluster: ClientCluster,
    private readonly work: WorkloadParams,
    private readonly initialNodes: number,
    private readonly nodeIdMax: number,
    /** Seam for teeth tests: serve reads from any node's local state, skipping ReadIndex. */
    private readonly staleReads = false,
  ) {
    this.nextNodeId = initialNodes + 1;
  }

  /** One tick of client and operator activity. `quiet`: no membership churn or transfers. */
  step(quiet: boolean): void {
    if (this.rng.chance(this.work.writeRate)) this.write();
    if (this.rng.chance(this.work.readRate)) this.read();
    if (quiet) return;
    if (this.rng.chance(this.work.confChangeRate)) this.changeMembership();
    if (this.rng.chance(this.work.transferRate)) this.transfer();
  }

  /** Writes proposed before op `opIdFloor` and not yet settled. */
  pendingWritesBefore(opIdFloor: number): number {
    let n = 0;
    for (const w of this.writes.values()) if (w.opId < opIdFloor) n++;
    return n;
  }

  /** `op=12@n3#2 (40,5)` for the oldest pending writes: liveness failure detail. */
  describePendingBefore(opIdFloor: number, max = 5): string {
    const out: string[] = [];
    for (const w of this.writes.values()) {
      if (w.opId >= opIdFloor || out.length >= max) continue;
      out.push(`op=${w.opId}@n${w.node}#${w.incarnation} (${w.index},${w.term}) t=${w.tick}`);
    }
    return out.join(', ');
  }

  nextOpIdValue(): number {
    return this.nextOpId;
  }

  private target(): SimNode | undefined {
    const leader = this.cluster.leader();
    if (leader !== undefined && this.rng.chance(this.work.toLeaderRate)) return leader;
    const up = this.cluster.nodes().filter((n) => n.up);
    return up.length === 0 ? undefined : this.rng.pick(up);
  }

  /** Proposes one write; returns its op id if the node took it. */
  write(to: SimNode | undefined = this.target()): number | undefined {
    if (to?.raw === undefined || this.writes.size >= CLIENT_PENDING_OPS_MAX) return undefined;
    const opId = this.nextOpId++;
    const res = to.raw.propose(encodeCommand(opId, this.rng.intBetween(0, this.work.padBytesMax + 1)));
    if (!res.ok) return undefined;
    this.proposed++;
    this.writes.set(opId, { opId, node: to.id, incarnation: to.incarnation, index: res.index, term: res.term, tick: this.cluster.tick });
    this.cluster.trace.event(this.cluster.tick, `n${to.id} propose op=${opId} at (${res.index},${res.term})`);
    to.drain();
    return opId;
  }

  private read(): void {
    const to = this.target();
    if (to?.raw === undefined || this.reads.size >= CLIENT_PENDING_OPS_MAX) return;
    const ctx = this.nextCtx++;
    if (this.staleReads) {
      const rec: ReadRecord = { ctx, node: to.id, startTick: this.cluster.tick, mustSeeIndex: this.cluster.safety.ackedMaxIndex };
      checkRead(rec, to.sm.applied, to.sm.applied, this.cluster.tick);
      return;
    }
    if (!to.raw.readIndex(ctx)) return;
    const rec: ReadRecord = { ctx, node: to.id, startTick: this.cluster.tick, mustSeeIndex: this.cluster.safety.ackedMaxIndex };
    this.reads.set(ctx, rec);
    this.cluster.trace.event(this.cluster.tick, `n${to.id} readIndex ctx=${ctx} mustSee=${rec.mustSeeIndex}`);
    to.drain();
  }

  /** A node applied `e`: settle the writes proposed there at that index. */
  onApplied(node: SimNode, e: Entry): void {
    const opId = e.type === 'normal' ? decodeCommand(e.data) : 0;
    const w = opId === 0 ? undefined : this.writes.get(opId);
    if (w !== undefined && w.node === node.id && w.incarnation === node.incarnation) {
      assert(w.index === e.index, () => `client: op ${opId} proposed at ${w.index} applied at ${e.index}`);
      this.writes.delete(opId);
      this.acked++;
      if (this.finalWrite?.opId === opId) this.finalWrite.acked = true;
      if (e.index > this.cluster.safety.ackedMaxIndex) this.cluster.safety.ackedMaxIndex = e.index;
      this.cluster.trace.event(this.cluster.tick, `n${node.id} ack op=${opId} at ${e.index}`);
    }
    // Any other write this proposer placed at this index (in an older term) was overwritten.
    for (const p of [...this.writes.values()]) {
      if (p.node === node.id && p.incarnation === node.incarnation && p.index === e.index) {
        this.writes.delete(p.opId);
        this.lost++;
        this.cluster.trace.event(this.cluster.tick, `n${node.id} lost op=${p.opId} (index ${e.index} holds other data)`);
      }
    }
  }

  /** A snapshot jumped the node past pending writes: their fate is unknown to this proposer. */
  onRestored(node: SimNode, index: number): void {
    for (const p of [...this.writes.values()]) {
      if (p.node === node.id && p.incarnation === node.incarnation && p.index <= index) {
        this.writes.delete(p.opId);
        this.indeterminate++;
      }
    }
  }

  onCrashed(node: SimNode): void {
    for (const p of [...this.writes.values()]) {
      if (p.node === node.id) {
        this.writes.delete(p.opId);
        this.indeterminate++;
      }
    }
  }

  onReadAnswered(node: SimNode, ctx: number, readIndex: number): void {
    const rec = this.reads.get(ctx);
    assert(rec !== undefined && rec.node === node.id, () => `client: n${node.id} answered unknown read ctx=${ctx}`);
    this.reads.delete(ctx);
    checkRead(rec, readIndex, node.sm.applied, this.cluster.tick);
    this.readsDone++;
  }

  onReadDropped(ctx: number): void {
    this.reads.delete(ctx);
  }

  /**
   * Single-server changes (Raft dissertation §4.1): add a fresh node as a
   * learner, promote it once caught up, remove a follower when there are
   * more voters than the cluster started with.
   */
  private changeMembership(): void {
    const leader = this.cluster.leader();
    if (leader?.raw === undefined) return;
    const st = leader.raw.status();
    const conf = st.conf;
    const learner = conf.learners[0];
    if (this.joining !== undefined && conf.voters.includes(this.joining)) this.joining = undefined;
    let cc: ConfChange | undefined;
    if (learner !== undefined) {
      const pr = st.peers.find((p) => p.id === learner);
      if (pr !== undefined && pr.match + 5 >= st.lastIndex) cc = { type: 'promote', nodeId: learner };
    } else if (this.joining !== undefined && !conf.voters.includes(this.joining)) {
      cc = { type: 'addLearner', nodeId: this.joining };
    } else if (conf.voters.length <= this.initialNodes && this.nextNodeId <= this.nodeIdMax) {
      this.joining = this.nextNodeId++;
      this.cluster.addNode(this.joining);
      cc = { type: 'addLearner', nodeId: this.joining };
    } else if (conf.voters.length > this.initialNodes) {
      // Now and then the leader removes itself (it must step down once that commits).
      const others = conf.voters.filter((v) => v !== leader.id);
      cc = { type: 'remove', nodeId: this.rng.chance(0.2) ? leader.id : this.rng.pick(others) };
    }
    if (cc === undefined) return;
    const res = leader.raw.proposeConfChange(cc);
    this.cluster.trace.event(
      this.cluster.tick,
      `n${leader.id} confChange ${cc.type} n${cc.nodeId}: ${res.ok ? `at ${res.index}` : res.code}`,
    );
    if (res.ok) this.confChanges++;
    leader.drain();
  }

  private transfer(): void {
    const leader = this.cluster.leader();
    if (leader?.raw === undefined) return;
    const voters = leader.raw.confState().voters.filter((v) => v !== leader.id);
    if (voters.length === 0) return;
    const to = this.rng.pick(voters);
    this.transfers++;
    this.cluster.trace.event(this.cluster.tick, `n${leader.id} transferLeader -> n${to}`);
    leader.raw.transferLeader(to);
    leader.drain();
  }

  /**
   * Liveness: proposes the final write at the leader (again if it was lost);
   * returns its index once its proposer applied it, else undefined.
   */
  finalWriteIndex(): number | undefined {
    const f = this.finalWrite;
    if (f !== undefined) {
      if (f.acked) return f.index;
      if (this.writes.has(f.opId)) return undefined;
      this.finalWrite = undefined; // lost or indeterminate: propose again
    }
    const opId = this.write(this.cluster.leader());
    if (opId !== undefined) this.finalWrite = { opId, index: this.writes.get(opId)!.index, acked: false };
    return undefined;
  }
}
