import { DEFAULT_RAFT_LIMITS } from '../../../raft/config.js';
import type { RaftConfig } from '../../../raft/config.js';
import { MemoryStorage } from '../../../raft/memory-storage.js';
import type { Message } from '../../../raft/messages.js';
import { RawNode } from '../../../raft/raw-node.js';
import type { Ready } from '../../../raft/ready.js';
import { SeededRng } from '../../../raft/rng.js';
import type { ConfState, Entry, NodeId, ReadState } from '../../../raft/types.js';

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
      this.outbox.push(...rd.messages);
      this.applied.push(...rd.committedEntries);
      this.readStates.push(...rd.readStates);
      this.dropped.push(...rd.droppedReads);
      this.node.advance(rd);
      this.node.checkInvariants();
      seen.push(rd);
    }
    return seen;
  }
}

export class TestCluster {
  readonly nodes = new Map<NodeId, TestNode>();
  /** Links that drop everything: "a->b". */
  readonly cut = new Set<string>();

  constructor(ids: readonly NodeId[], overrides: Partial<RaftConfig> = {}) {
    const conf = { voters: [...ids], learners: [] };
    for (const id of ids) this.nodes.set(id, new TestNode(id, conf, overrides));
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
      for (const node of this.nodes.values()) node.drain();
      for (const node of this.nodes.values()) {
        const out = node.outbox;
        node.outbox = [];
        for (const m of out) {
          if (this.cut.has(`${m.from}->${m.to}`) || !filter(m)) continue;
          const target = this.nodes.get(m.to);
          if (target === undefined) continue;
          target.node.step(m);
          target.node.checkInvariants();
          delivered.push(m);
          moved = true;
        }
      }
      if (!moved) return delivered;
    }
    return delivered;
  }

  tick(id: NodeId, times = 1): void {
    for (let k = 0; k < times; k++) this.n(id).node.tick();
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
      for (const id of this.nodes.keys()) this.tick(id);
      this.deliverAll();
    }
    throw new Error('no leader elected');
  }

  leader(): NodeId | undefined {
    for (const [id, node] of this.nodes) if (node.node.status().role === 'leader') return id;
    return undefined;
  }
}

export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
export const text = (b: Uint8Array): string => new TextDecoder().decode(b);
