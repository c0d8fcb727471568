import { assert } from '../../raft/assert.js';
import type { Message } from '../../raft/messages.js';
import type { Ready } from '../../raft/ready.js';
import type { SeededRng } from '../../raft/rng.js';
import { NONE } from '../../raft/types.js';
import type { ConfState, Entry, HardState, NodeId, ReadState, Snapshot } from '../../raft/types.js';
import {
  CheckFailure,
  SafetyState,
  checkAppendKeepsCommitted,
  checkApply,
  checkDiskKeptHardState,
  checkElectionSafety,
  checkHardStateTransition,
  checkLeaderCompleteness,
  checkLogMatching,
} from './checkers.js';
import type { SimClient } from './sim-client.js';
import { MemoryDisk } from './sim-disk.js';
import type { SimDisk } from './sim-disk.js';
import { SimNetwork } from './sim-network.js';
import type { Fate } from './sim-network.js';
import { SimNode } from './sim-node.js';
import type { NodeHost, NodeParams } from './sim-node.js';
import type { Trace } from './trace.js';

/**
 * Deliberate host/network defects, for tests proving the checkers catch them
 * ("teeth"). Never used by a real campaign; raft/ has no such switches.
 */
export const SIM_SEAMS = [
  'forgeVoteGrants',
  'forgetVoteOnCrash',
  'skipSnapshotRestore',
  'sendBeforePersist',
  'staleFollowerReads',
] as const;
export type SimSeam = (typeof SIM_SEAMS)[number];

/** Makes node `id`'s disk, fresh, its snapshot at 0 holding `conf`. */
export type DiskFactory = (id: NodeId, conf: ConfState) => SimDisk;

const memoryDisks: DiskFactory = (_id, conf) => new MemoryDisk(conf);

/**
 * The simulated cluster: nodes, the network between them, and the hooks
 * where every node's host loop reports to the safety checks.
 */
export class SimCluster implements NodeHost {
  tick = 0;
  readonly safety = new SafetyState();
  readonly net: SimNetwork;
  /** Set right after construction (the client needs the cluster too). */
  client: SimClient | undefined;
  /** Every node ever created, sorted by id. */
  private all: SimNode[] = [];
  /** Snapshot messages in flight -> the sender incarnation that must hear their fate. */
  private readonly snapSenders = new Map<Message, number>();
  private readonly toRetire: NodeId[] = [];
  /** The last hard state each node's host persisted: what its disk must give back after a crash. */
  private readonly persistedHard = new Map<NodeId, HardState>();
  /** Totals. */
  elections = 0;
  snapshots = 0;
  snapshotsSent = 0;
  crashes = 0;
  restarts = 0;
  delivered = 0;

  constructor(
    private readonly seed: number,
    netRng: SeededRng,
    private readonly params: NodeParams,
    readonly trace: Trace,
    readonly seam: SimSeam | undefined,
    private readonly batchDelivery: boolean,
    private readonly makeDisk: DiskFactory = memoryDisks,
  ) {
    this.net = new SimNetwork(netRng);
  }

  /** Bootstraps nodes 1..n, each knowing the initial membership. */
  bootstrap(n: number): void {
    const voters = Array.from({ length: n }, (_, k) => k + 1);
    for (const id of voters) this.createNode(id, this.makeDisk(id, { voters, learners: [] }));
  }

  nodes(): readonly SimNode[] {
    return this.all;
  }

  node(id: NodeId): SimNode | undefined {
    return this.all.find((n) => n.id === id);
  }

  /** The running leader with the highest term (a deposed one may not know it yet). */
  leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.all) {
      if (!n.up || n.role !== 'leader') continue;
      if (best === undefined || n.disk.hardState().term > best.disk.hardState().term) best = n;
    }
    return best;
  }

  addNode(id: NodeId): SimNode {
    assert(this.node(id) === undefined, () => `cluster: node ${id} exists`);
    this.trace.event(this.tick, `n${id} created (empty disk, joins as learner)`);
    return this.createNode(id, this.makeDisk(id, { voters: [], learners: [] }));
  }

  restart(n: SimNode): void {
    this.restarts++;
    checkDiskKeptHardState(n.id, this.persistedHard.get(n.id), n.disk.hardState());
    n.start();
    this.trace.event(this.tick, `n${n.id} restart #${n.incarnation} (snapshot ${n.disk.snapshot().meta.index}, last ${n.disk.lastIndex()}, ${fmtHard(n)})`);
    this.invariants(n);
    n.drain();
  }

  /** Hands out every message due this tick, reporting fates to senders. */
  deliver(): void {
    for (const f of this.net.takeOverflow()) this.settle(f);
    for (const f of this.net.takeDue()) this.settle(f);
    for (const n of this.all) {
      if (!n.stepped) continue;
      n.stepped = false;
      n.drain();
      this.invariants(n);
    }
  }

  /** Ticks every running node. */
  tickAll(): void {
    for (const n of this.all) {
      if (!n.up) continue;
      n.tick();
      this.invariants(n);
    }
  }

  /** Removed members stop once their removal is applied. */
  retirePending(): void {
    while (this.toRetire.length > 0) {
      const n = this.node(this.toRetire.pop()!);
      if (n === undefined || n.retired) continue;
      if (n.up) n.crash('retired (removed from the group)');
      n.retired = true;
    }
  }

  /** Log matching over every pair of non-retired disks. */
  checkLogs(): void {
    const live = this.all.filter((n) => !n.retired);
    for (let i = 0; i < live.length; i++) {
      for (let j = i + 1; j < live.length; j++) {
        checkLogMatching(live[i]!.id, live[i]!.disk, live[j]!.id, live[j]!.disk);
      }
    }
  }

  /** The run is over: releases every node's disk. */
  closeDisks(): void {
    for (const n of this.all) n.store.close();
  }

  private createNode(id: NodeId, disk: SimDisk): SimNode {
    const seam = this.seam === 'sendBeforePersist' || this.seam === 'skipSnapshotRestore' ? this.seam : undefined;
    const n = new SimNode(id, disk, this.seed, this.params, this, seam);
    this.all = [...this.all, n].sort((a, b) => a.id - b.id);
    n.start();
    this.invariants(n);
    n.drain();
    return n;
  }

  private invariants(n: SimNode): void {
    n.raw?.checkInvariants();
  }

  private settle(f: Fate): void {
    const m = f.msg;
    const to = this.node(m.to);
    if (f.delivered && to?.up === true) {
      this.delivered++;
      const msg = this.seam === 'forgeVoteGrants' ? forgeGrant(m) : m;
      this.trace.delivered(this.tick, msg);
      this.reportSnap(m, true);
      // Batched: every message due this tick is stepped, then one drain per
      // node (as a host reading a socket buffer does). Otherwise one drain per message.
      if (this.batchDelivery) {
        to.raw!.step(msg);
        to.stepped = true;
      } else {
        to.step(msg);
        this.invariants(to);
      }
      return;
    }
    const reason = f.delivered ? 'receiver down' : f.reason;
    this.trace.dropped(this.tick, m, reason);
    this.reportSnap(m, false);
    const from = this.node(m.from);
    // A lost connection is what a transport reports as unreachable.
    if (reason !== 'loss' && from?.raw !== undefined && from.role === 'leader') {
      from.raw.reportUnreachable(m.to);
      from.drain();
    }
  }

  private reportSnap(m: Message, ok: boolean): void {
    if (m.type !== 'snap') return;
    const incarnation = this.snapSenders.get(m);
    if (incarnation === undefined) return; // a duplicate, or its sender is gone
    this.snapSenders.delete(m);
    const from = this.node(m.from);
    if (from?.raw === undefined || from.incarnation !== incarnation) return;
    from.raw.reportSnapshot(m.to, ok);
    from.drain();
  }

  // ---- NodeHost: every node's host loop reports here ------------------------

  beforePersist(node: SimNode, rd: Ready): void {
    if (rd.hardState !== undefined) {
      checkHardStateTransition(node.id, node.disk.hardState(), rd.hardState);
      this.persistedHard.set(node.id, rd.hardState);
    }
    checkAppendKeepsCommitted(this.safety, node.id, node.disk, rd.entries, rd.hardState?.commit ?? node.disk.hardState().commit);
    if (rd.snapshot !== undefined) {
      this.trace.event(this.tick, `n${node.id} installs snapshot (${rd.snapshot.meta.index},${rd.snapshot.meta.term})`);
    }
  }

  send(msgs: readonly Message[]): void {
    for (const m of msgs) {
      if (m.type !== 'snap') continue;
      const from = this.node(m.from);
      assert(from !== undefined, 'cluster: snapshot from an unknown node');
      this.snapSenders.set(m, from.incarnation);
      this.snapshotsSent++;
    }
    this.net.send(msgs);
  }

  becameLeader(node: SimNode, term: number): void {
    this.elections++;
    this.trace.event(this.tick, `n${node.id} becomes leader of term ${term} (last ${node.disk.lastIndex()})`);
    checkElectionSafety(this.safety, node.id, term);
    checkLeaderCompleteness(this.safety, node.id, term, node.disk);
  }

  restored(node: SimNode, snap: Snapshot): void {
    const rec = this.safety.applied[snap.meta.index];
    if (rec !== undefined && rec.chain !== node.sm.chain) {
      throw new CheckFailure(
        'stateMachineSafety',
        `n${node.id} restored a snapshot at ${snap.meta.index} whose state differs from what n${rec.node} applied there`,
      );
    }
    this.client?.onRestored(node, snap.meta.index);
  }

  applied(node: SimNode, e: Entry, digest: number): void {
    checkApply(this.safety, node.id, node.disk.hardState().term, e, digest, node.sm.chain, this.tick);
    this.client?.onApplied(node, e);
    if (e.type === 'conf') {
      this.trace.event(this.tick, `n${node.id} applies conf ${e.change.type} n${e.change.nodeId} at ${e.index}`);
      if (e.change.type === 'remove') this.toRetire.push(e.change.nodeId);
    }
  }

  readAnswered(node: SimNode, rs: ReadState): void {
    this.client?.onReadAnswered(node, rs.ctx, rs.index);
  }

  readDropped(_node: SimNode, ctx: number): void {
    this.client?.onReadDropped(ctx);
  }

  snapshotTaken(node: SimNode, index: number): void {
    this.snapshots++;
    if (this.snapshots % 8 === 0) this.trace.event(this.tick, `n${node.id} snapshot at ${index}`);
  }

  crashed(node: SimNode, how: string): void {
    this.crashes++;
    this.trace.event(this.tick, `n${node.id} CRASH (${how}); disk: ${fmtHard(node)} last ${node.disk.lastIndex()}`);
    if (this.seam === 'forgetVoteOnCrash') {
      const hs = node.disk.hardState();
      node.disk.setHardState({ ...hs, vote: NONE });
    }
    this.client?.onCrashed(node);
  }
}

function fmtHard(n: SimNode): string {
  const hs = n.disk.hardState();
  return `term=${hs.term} vote=${hs.vote} commit=${hs.commit}`;
}

/** Seam: the network turns every refused vote into a granted one. */
function forgeGrant(m: Message): Message {
  return m.type === 'voteResp' && m.reject ? { ...m, reject: false } : m;
}
