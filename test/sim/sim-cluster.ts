import { assert } from '../../raft/assert.js';
import type { MemoryStorage } from '../../raft/memory-storage.js';
import type { Message } from '../../raft/messages.js';
import { SeededRng } from '../../raft/rng.js';
import type { ConfChange, ConfState, HardState, NodeId, SoftState } from '../../raft/types.js';
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
import type { DiskWrite, SimDisk } from './sim-disk.js';
import { SimNetwork } from './sim-network.js';
import type { Fate } from './sim-network.js';
import { mixSeed, SimProcess } from './sim-process.js';
import type { ProcessHost, ProcessParams } from './sim-process.js';
import { SimProcessStore } from './sim-store.js';
import type { StoreSeam } from './sim-store.js';
import type { SimWorld } from './sim-world.js';
import type { Trace } from './trace.js';

/**
 * Deliberate defects, for tests proving the checkers catch them ("teeth"),
 * each planted in one injected piece: the network (forgeVoteGrants), the
 * store (forgetVoteOnCrash, ackBeforeDurable), the state machine
 * (skipSnapshotRestore), the client (staleFollowerReads). Never used by a
 * real campaign; raft/ and src/ have no such switches.
 */
export const SIM_SEAMS = [
  'forgeVoteGrants',
  'forgetVoteOnCrash',
  'skipSnapshotRestore',
  'ackBeforeDurable',
  'staleFollowerReads',
] as const;
export type SimSeam = (typeof SIM_SEAMS)[number];

/** Makes the durable image of `group` on process `id`'s disk, fresh, its snapshot at 0 holding `conf`. */
export type DiskFactory = (id: NodeId, group: number, conf: ConfState) => SimDisk;

const memoryDisks: DiskFactory = (_id, _group, conf) => new MemoryDisk(conf);

/** How the processes and their disks are built for one seed. */
export interface ClusterSpec {
  readonly seed: number;
  /** Groups, each with a replica on every initial process (ids 1..groups). */
  readonly groups: number;
  readonly process: ProcessParams;
  /** Disk batches land 1..this many steps after they were handed to the disk. */
  readonly diskLatencyStepsMax: number;
  /** Every message due in a tick is delivered before the loops turn (else a turn may follow each). */
  readonly batchDelivery: boolean;
  readonly seam: SimSeam | undefined;
  readonly makeDisk?: DiskFactory;
}

/**
 * The simulated cluster: processes (each hosting a replica of several
 * groups), the network between them, and the hooks where every process's
 * store, state machines and replicas report to the safety checks, per group.
 */
export class SimCluster implements ProcessHost {
  readonly net: SimNetwork;
  /** Set right after construction (the client needs the cluster too). */
  client: SimClient | undefined;
  /** Every process ever created, sorted by id. */
  private all: SimProcess[] = [];
  private readonly byId = new Map<NodeId, SimProcess>();
  private readonly safeties: SafetyState[];
  /** Snapshot messages in flight -> their sender's report callback. */
  private readonly snapReports = new Map<Message, (ok: boolean) => void>();
  private readonly toRetire: Array<{ readonly group: number; readonly id: NodeId }> = [];
  /** The last hard state each replica's store promised durable: what its disk must give back after a crash. */
  private readonly promisedHard = new Map<number, HardState>();
  private readonly makeDisk: DiskFactory;
  private readonly groups: readonly number[];
  /** Totals. */
  elections = 0;
  snapshots = 0;
  snapshotsSent = 0;
  crashes = 0;
  restarts = 0;
  delivered = 0;

  constructor(
    readonly world: SimWorld,
    netRng: SeededRng,
    private readonly spec: ClusterSpec,
    readonly trace: Trace,
  ) {
    this.net = new SimNetwork(netRng);
    this.safeties = Array.from({ length: spec.groups }, () => new SafetyState());
    this.makeDisk = spec.makeDisk ?? memoryDisks;
    this.groups = Array.from({ length: spec.groups }, (_, k) => k + 1);
  }

  get tick(): number {
    return this.world.tick;
  }

  get seam(): SimSeam | undefined {
    return this.spec.seam;
  }

  groupIds(): readonly number[] {
    return this.groups;
  }

  safety(group: number): SafetyState {
    const s = this.safeties[group - 1];
    assert(s !== undefined, () => `cluster: no group ${group}`);
    return s;
  }

  /** `n3`, or `g2/n3` when there are several groups. */
  label(id: NodeId, group: number): string {
    return this.spec.groups === 1 ? `n${id}` : `g${group}/n${id}`;
  }

  /** Bootstraps processes 1..n, each hosting every group, each group knowing the initial membership. */
  bootstrap(n: number): void {
    const voters = Array.from({ length: n }, (_, k) => k + 1);
    for (const id of voters) {
      const p = this.createProcess(id);
      for (const g of this.groupIds()) {
        p.store.disk(g, { voters, learners: [] });
        p.place(g);
      }
      p.start();
    }
  }

  processes(): readonly SimProcess[] {
    return this.all;
  }

  process(id: NodeId): SimProcess | undefined {
    return this.byId.get(id);
  }

  /** The running leader of `group` with the highest term (a deposed one may not know it yet). */
  leader(group: number): SimProcess | undefined {
    let best: SimProcess | undefined;
    let bestTerm = -1;
    for (const p of this.all) {
      const r = p.replica(group);
      if (r === undefined || !r.isLeader) continue;
      const term = r.store.log.hardState().term;
      if (term > bestTerm) {
        best = p;
        bestTerm = term;
      }
    }
    return best;
  }

  /** A new replica of `group` on process `id` (created with an empty disk if new): it joins as a learner. */
  addReplica(group: number, id: NodeId): void {
    let p = this.process(id);
    this.trace.event(this.tick, `${this.label(id, group)} placed (empty disk, joins as learner)${p === undefined ? ', new process' : ''}`);
    if (p === undefined) {
      p = this.createProcess(id);
      p.place(group);
      p.start();
      return;
    }
    p.place(group);
    if (p.retired) {
      // It hosted nothing any more; now it hosts this group.
      p.retired = false;
      this.restart(p);
    }
  }

  restart(p: SimProcess): void {
    this.restarts++;
    for (const g of p.groups()) {
      if (!p.store.hasGroup(g)) continue;
      const onDisk = p.store.disk(g).log.hardState();
      this.inGroup(g, () => checkDiskKeptHardState(p.id, this.promisedHard.get(hardKey(p.id, g)), onDisk));
    }
    p.start();
    this.trace.event(this.tick, `n${p.id} restart #${p.incarnation} (${this.describeDisks(p)})`);
  }

  /** Hands out every message due this tick, reporting fates to senders; the loops run. */
  async deliver(): Promise<void> {
    for (const f of this.net.takeOverflow()) this.settle(f);
    for (const f of this.net.takeDue()) {
      // Unbatched: each delivered message's turn runs before the next message arrives.
      if (this.settle(f) && !this.spec.batchDelivery) await this.world.settle();
    }
    await this.world.settle();
  }

  /** Ticks every running process; the loops run. */
  async tickAll(): Promise<void> {
    for (const p of this.all) if (p.up) p.tick();
    await this.world.settle();
  }

  /** Removed members stop once their removal is applied (a process left with no group stops for good); true if any did. */
  retirePending(): boolean {
    if (this.toRetire.length === 0) return false;
    for (const { group, id } of this.toRetire.splice(0)) {
      const p = this.process(id);
      if (p === undefined || p.isRemovedFrom(group)) continue;
      this.trace.event(this.tick, `${this.label(id, group)} retired (removed from the group)`);
      if (!p.removeFrom(group)) continue;
      if (p.up) p.crash('retired (removed from every group it hosted)');
      p.retired = true;
    }
    return true;
  }

  /** Log matching over every pair of replicas of each group, on what their disks hold. */
  checkLogs(): void {
    for (const g of this.groupIds()) {
      const members = this.all.filter((p) => p.groups().includes(g) && p.store.hasGroup(g));
      for (let i = 0; i < members.length; i++) {
        for (let j = i + 1; j < members.length; j++) {
          const a = members[i]!;
          const b = members[j]!;
          this.inGroup(g, () => checkLogMatching(a.id, a.store.disk(g).log, b.id, b.store.disk(g).log));
        }
      }
    }
  }

  /** The run is over: releases every process's disk. */
  closeDisks(): void {
    for (const p of this.all) p.store.close();
  }

  private createProcess(id: NodeId): SimProcess {
    assert(this.process(id) === undefined, () => `cluster: process ${id} exists`);
    const seam = this.spec.seam;
    const storeSeam: StoreSeam | undefined = seam === 'ackBeforeDurable' || seam === 'forgetVoteOnCrash' ? seam : undefined;
    const store = new SimProcessStore(
      this.world,
      // Its own stream: adding a process never shifts another's disk timings.
      new SeededRng(mixSeed(this.spec.seed, id, 0x5107e)),
      this.spec.diskLatencyStepsMax,
      (group, conf) => this.makeDisk(id, group, conf),
      storeSeam,
    );
    const p = new SimProcess(id, store, this.world, this.spec.seed, this.spec.process, this, seam === 'skipSnapshotRestore');
    this.all = [...this.all, p].sort((a, b) => a.id - b.id);
    this.byId.set(id, p);
    return p;
  }

  /** Reports one message's fate; true if it was handed to its receiver. */
  private settle(f: Fate): boolean {
    const m = f.msg;
    const g = f.group;
    const traceGroup = this.spec.groups === 1 ? 0 : g;
    const to = this.process(m.to)?.replica(g);
    if (f.delivered && to !== undefined) {
      this.delivered++;
      const msg = this.spec.seam === 'forgeVoteGrants' ? forgeGrant(m) : m;
      this.trace.delivered(this.tick, msg, traceGroup);
      this.reportSnap(m, true);
      to.deliver(msg);
      return true;
    }
    const reason = f.delivered ? 'receiver down' : f.reason;
    this.trace.dropped(this.tick, m, reason, traceGroup);
    this.reportSnap(m, false);
    // A lost connection is what a transport reports as unreachable (raft-member does the same).
    const from = this.process(m.from)?.replica(g);
    if (reason !== 'loss' && from?.isLeader === true) {
      from.withNode((n) => n.reportUnreachable(m.to)).catch(() => undefined);
    }
    return false;
  }

  private reportSnap(m: Message, ok: boolean): void {
    if (m.type !== 'snap') return;
    const report = this.snapReports.get(m);
    if (report === undefined) return; // a duplicate
    this.snapReports.delete(m);
    report(ok);
  }

  private describeDisks(p: SimProcess): string {
    return p
      .groups()
      .filter((g) => p.store.hasGroup(g))
      .map((g) => {
        const log = p.store.disk(g).log;
        const hs = log.hardState();
        const body = `snapshot ${log.snapshot().meta.index}, last ${log.lastIndex()}, term=${hs.term} vote=${hs.vote} commit=${hs.commit}`;
        return this.spec.groups === 1 ? body : `g${g}: ${body}`;
      })
      .join('; ');
  }

  /** Runs a check of `group`; in a multi-group run its failure names the group. */
  private inGroup(group: number, check: () => void): void {
    try {
      check();
    } catch (err) {
      throw this.named(group, err);
    }
  }

  /** A failed check of `group`, naming the group when there are several. */
  private named(group: number, err: unknown): unknown {
    if (this.spec.groups === 1 || !(err instanceof CheckFailure)) return err;
    return new CheckFailure(err.check, `group ${group}: ${err.message.slice(err.check.length + 2)}`);
  }

  // ---- ProcessHost: every process's store, state machines and replicas report here

  send(from: SimProcess, group: number, msg: Message, onSent: ((ok: boolean) => void) | undefined): void {
    if (msg.type === 'snap') {
      this.snapshotsSent++;
      const life = from.incarnation;
      if (onSent !== undefined) this.snapReports.set(msg, (ok) => {
        if (from.incarnation === life && from.up) onSent(ok);
      });
    }
    this.net.sendOne(msg, group);
  }

  softState(p: SimProcess, group: number, soft: SoftState): void {
    if (soft.role !== 'leader') return;
    const log = p.replica(group)?.store.log;
    if (log === undefined) return;
    const term = log.hardState().term;
    this.elections++;
    this.trace.event(this.tick, `${this.label(p.id, group)} becomes leader of term ${term} (last ${log.lastIndex()})`);
    this.inGroup(group, () => {
      checkElectionSafety(this.safety(group), p.id, term);
      checkLeaderCompleteness(this.safety(group), p.id, term, log);
    });
  }

  applied(p: SimProcess, group: number, nodeTerm: number, index: number, term: number, digest: number, chain: number, change: ConfChange | undefined): void {
    try {
      checkApply(this.safety(group), p.id, nodeTerm, { index, term, digest, chain }, this.tick);
    } catch (err) {
      throw this.named(group, err);
    }
    if (change === undefined) return;
    this.trace.event(this.tick, `${this.label(p.id, group)} applies conf ${change.type} n${change.nodeId} at ${index}`);
    if (change.type === 'remove') this.toRetire.push({ group, id: change.nodeId });
  }

  snapshot(p: SimProcess, group: number, kind: 'restored' | 'taken', index: number): void {
    if (kind === 'taken') {
      this.snapshots++;
      if (this.snapshots % 8 === 0) this.trace.event(this.tick, `${this.label(p.id, group)} snapshot at ${index}`);
      return;
    }
    const sm = p.sm(group);
    assert(sm !== undefined, () => `cluster: ${this.label(p.id, group)} restored without a state machine`);
    this.inGroup(group, () => {
      if (sm.applied !== index) {
        throw new CheckFailure('hostContract', `n${p.id} restored a snapshot at ${index} into a state machine at ${sm.applied}`);
      }
      const rec = this.safety(group).applied[index];
      if (rec !== undefined && rec.chain !== sm.chain) {
        throw new CheckFailure(
          'stateMachineSafety',
          `n${p.id} restored a snapshot at ${index} whose state differs from what n${rec.node} applied there`,
        );
      }
    });
  }

  beforePersist(p: SimProcess, group: number, w: DiskWrite, log: MemoryStorage): void {
    try {
      if (w.hardState !== undefined) checkHardStateTransition(p.id, log.hardState(), w.hardState);
      checkAppendKeepsCommitted(this.safety(group), p.id, log, w.entries, w.hardState?.commit ?? log.hardState().commit);
    } catch (err) {
      throw this.named(group, err);
    }
    if (w.snapshot !== undefined) {
      this.trace.event(this.tick, `${this.label(p.id, group)} installs snapshot (${w.snapshot.meta.index},${w.snapshot.meta.term})`);
    }
  }

  promised(p: SimProcess, group: number, hs: HardState): void {
    this.promisedHard.set(hardKey(p.id, group), hs);
  }

  crashed(p: SimProcess, how: string): void {
    this.crashes++;
    this.trace.event(this.tick, `n${p.id} CRASH (${how}); disk: ${this.describeDisks(p)}`);
  }
}

function hardKey(id: NodeId, group: number): number {
  return id * 4096 + group;
}

/** Seam: the network turns every refused vote into a granted one. */
function forgeGrant(m: Message): Message {
  return m.type === 'voteResp' && m.reject ? { ...m, reject: false } : m;
}
