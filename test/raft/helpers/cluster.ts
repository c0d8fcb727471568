import { DEFAULT_RAFT_LIMITS } from '../../../raft/config.js';
import type { RaftConfig } from '../../../raft/config.js';
import { MemoryStorage } from '../../../raft/memory-storage.js';
import type { Message } from '../../../raft/messages.js';
import { RawNode } from '../../../raft/raw-node.js';
import type { Ready } from '../../../raft/ready.js';
import { SeededRng } from '../../../raft/rng.js';
import type { ConfState, Entry, HardState, NodeId, ReadState } from '../../../raft/types.js';

/**
 * A hand-driven cluster for unit tests: messages are delivered only when the
 * test says so, so each rule of the paper can be exercised step by step.
 */
export class TestNode {
  node: RawNode;
  readonly disk: MemoryStorage;
  readonly applied: Entry[] = [];
  readonly readStates: ReadState[] = [];
  readonly dropped: number[] = [];
  outbox: Message[] = [];

  constructor(
    readonly id: NodeId,
    conf: ConfState,
    private readonly overrides: Partial<RaftConfig> = {},
    disk?: MemoryStorage,
  ) {
    this.disk = disk ?? new MemoryStorage(conf);
    this.node = this.build();
  }

  private build(): RawNode {
    return new RawNode(
      {
        ...DEFAULT_RAFT_LIMITS,
        id: this.id,
        rng: new SeededRng(this.id * 7919),
        applied: this.disk.snapshot().meta.index,
        ...this.overrides,
      },
      this.disk,
    );
  }

  /** Crash and restart: keeps only the disk. */
  restart(): void {
    this.outbox = [];
    this.applied.length = 0;
    this.node = this.build();
  }

  /** Runs the host loop until the core has nothing more to say. */
  drain(): Ready[] {
    const seen: Ready[] = [];
    while (this.node.hasReady()) {
      const rd = this.node.ready();
      if (rd.snapshot) this.disk.applySnapshot(rd.snapshot);
      this.disk.append(rd.entries);
      if (rd.hardState) this.disk.setHardState(rd.hardState);
      this.outbox.push(...rd.messages, ...rd.persistedMessages);
      this.applied.push(...rd.committedEntries);
      this.readStates.push(...rd.readStates);
      this.dropped.push(...rd.droppedReads);
      this.node.advance(rd);
      this.node.checkInvariants();
      seen.push(rd);
    }
    return seen;
  }

  /** Drains, then hands over (and forgets) everything this node wants to send. */
  take(): Message[] {
    this.drain();
    const out = this.outbox;
    this.outbox = [];
    return out;
  }

  /**
   * The host's log-compaction hook: snapshot the state machine as of `index`
   * (the applied data joined by commas) and drop the log through it.
   */
  compact(index: number): void {
    this.snapshotAt(index);
    this.disk.compact(index);
  }

  /** Takes the snapshot but keeps the log (entries a snapshot covers may stay for slow followers). */
  snapshotAt(index: number): void {
    this.disk.createSnapshot(index, this.node.confState(), bytes(this.appliedData(index).join(',')));
  }

  status(): ReturnType<RawNode['status']> {
    return this.node.status();
  }

  /** Terms of the entries on disk, from firstIndex to lastIndex (index k+firstIndex at position k). */
  terms(): number[] {
    const out: number[] = [];
    for (let i = this.disk.firstIndex(); i <= this.disk.lastIndex(); i++) out.push(this.disk.term(i) ?? -1);
    return out;
  }

  /** Data of the applied entries that carry some, through index `upTo` (the leaders' empty no-ops left out). */
  appliedData(upTo = Number.MAX_SAFE_INTEGER): string[] {
    return this.applied
      .filter((e) => e.index <= upTo && e.type === 'normal' && e.data.length > 0)
      .map((e) => (e.type === 'normal' ? text(e.data) : ''));
  }
}

/** Entries of the given terms, at indexes 1..n, each carrying its "index/term" as data. */
export function entriesOfTerms(terms: readonly number[], from = 1): Entry[] {
  return terms.map((term, k) => ({ type: 'normal', term, index: from + k, data: bytes(`${from + k}/${term}`) }));
}

/** A disk that already holds a log and hard state (a node that lived before the test). */
export function seededDisk(conf: ConfState, terms: readonly number[], hard: Partial<HardState> = {}): MemoryStorage {
  const disk = new MemoryStorage(conf);
  disk.append(entriesOfTerms(terms));
  disk.setHardState({ term: Math.max(0, ...terms), vote: 0, commit: 0, ...hard });
  return disk;
}

export class TestCluster {
  readonly nodes = new Map<NodeId, TestNode>();
  /** Links that drop everything: "a->b". */
  readonly cut = new Set<string>();
  /** Crashed nodes: they neither run nor receive until restart(). */
  readonly down = new Set<NodeId>();
  /** Messages matching any of these are dropped by deliverAll / flush. */
  readonly dropRules: ((m: Message) => boolean)[] = [];
  readonly conf: ConfState;

  /**
   * `disks` gives some nodes a log they had before the test (see seededDisk);
   * the others start empty.
   */
  constructor(
    ids: readonly NodeId[],
    private readonly overrides: Partial<RaftConfig> = {},
    disks: ReadonlyMap<NodeId, MemoryStorage> = new Map(),
  ) {
    this.conf = { voters: [...ids], learners: [] };
    for (const id of ids) this.nodes.set(id, new TestNode(id, this.conf, overrides, disks.get(id)));
  }

  /** Adds a node process that is not (yet) a member, e.g. to join as a learner. Same config as the others. */
  addNode(id: NodeId): TestNode {
    const node = new TestNode(id, this.conf, this.overrides);
    this.nodes.set(id, node);
    return node;
  }

  /** Drops every message between `a` and `b`, both ways. */
  cutLink(a: NodeId, b: NodeId): void {
    this.cut.add(`${a}->${b}`);
    this.cut.add(`${b}->${a}`);
  }

  /** The process dies: what is on its disk survives, nothing else. */
  crash(id: NodeId): void {
    this.n(id).outbox = [];
    this.down.add(id);
  }

  /** A crashed node starts again from its disk (MemoryStorage kept, RawNode rebuilt). */
  restart(id: NodeId): void {
    this.down.delete(id);
    this.n(id).restart();
  }

  private passes(m: Message): boolean {
    return !this.cut.has(`${m.from}->${m.to}`) && !this.down.has(m.to) && !this.dropRules.some((rule) => rule(m));
  }

  /** Steps one message into its target (no filters apply), checking invariants. */
  deliver(m: Message): void {
    const target = this.n(m.to);
    target.node.step(m);
    target.node.checkInvariants();
  }

  /** One hop: what `id` wants to send now is delivered (unless dropped); returns what was delivered. */
  flush(id: NodeId, filter: (m: Message) => boolean = () => true): Message[] {
    const delivered: Message[] = [];
    for (const m of this.n(id).take()) {
      if (!this.passes(m) || !filter(m)) continue;
      this.deliver(m);
      delivered.push(m);
    }
    return delivered;
  }

  /** Runs the host loop on every live node. */
  drainAll(): void {
    for (const [id, node] of this.nodes) if (!this.down.has(id)) node.drain();
  }

  n(id: NodeId): TestNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  isolate(id: NodeId): void {
    for (const other of this.nodes.keys()) {
      if (other === id) continue;
      this.cut.add(`${id}->${other}`);
      this.cut.add(`${other}->${id}`);
    }
  }

  heal(): void {
    this.cut.clear();
  }

  /** Delivers messages until the cluster is quiet (or maxRounds). Returns messages delivered. */
  deliverAll(maxRounds = 1000, filter: (m: Message) => boolean = () => true): Message[] {
    const delivered: Message[] = [];
    for (let round = 0; round < maxRounds; round++) {
      let moved = false;
      this.drainAll();
      for (const [id, node] of this.nodes) {
        if (this.down.has(id)) continue;
        const out = node.outbox;
        node.outbox = [];
        for (const m of out) {
          if (!this.passes(m) || !filter(m)) continue;
          if (!this.nodes.has(m.to)) continue;
          this.deliver(m);
          delivered.push(m);
          moved = true;
        }
      }
      if (!moved) return delivered;
    }
    return delivered;
  }

  tick(id: NodeId, times = 1): void {
    for (let k = 0; k < times; k++) {
      this.n(id).node.tick();
      this.n(id).node.checkInvariants();
    }
  }

  /** Ticks every live node once. */
  tickAll(times = 1): void {
    for (let k = 0; k < times; k++) for (const id of this.nodes.keys()) if (!this.down.has(id)) this.tick(id);
  }

  /**
   * One heartbeat round from the leader, delivered: followers that have every
   * entry learn the commit index this way (or from the next append), not from
   * an empty append per commit.
   */
  heartbeat(): void {
    const leader = this.leader();
    if (leader === undefined) throw new Error('heartbeat: no leader');
    this.tick(leader, this.overrides.heartbeatTicks ?? DEFAULT_RAFT_LIMITS.heartbeatTicks);
    this.deliverAll();
  }

  /** Ticks everyone until someone leads; returns the leader id. */
  elect(preferred?: NodeId): NodeId {
    if (preferred !== undefined) {
      this.n(preferred).node.campaign();
      this.deliverAll();
    }
    for (let t = 0; t < 500; t++) {
      const leader = this.leader();
      if (leader !== undefined) return leader;
      this.tickAll();
      this.deliverAll();
    }
    throw new Error('no leader elected');
  }

  leader(): NodeId | undefined {
    for (const [id, node] of this.nodes) if (!this.down.has(id) && node.node.status().role === 'leader') return id;
    return undefined;
  }
}

export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
export const text = (b: Uint8Array): string => new TextDecoder().decode(b);
