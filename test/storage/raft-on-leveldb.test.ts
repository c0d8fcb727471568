import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { DEFAULT_RAFT_LIMITS } from '../../raft/config.js';
import type { Message } from '../../raft/messages.js';
import { RawNode } from '../../raft/raw-node.js';
import { SeededRng } from '../../raft/rng.js';
import type { Entry, Snapshot } from '../../raft/types.js';
import { RaftStore } from '../../storage/raft-store.js';

/**
 * The real Raft core on real LevelDB storage: a 3-node cluster in one
 * process whose nodes persist every Ready through RaftStore, take snapshots
 * and compact, lose messages, and crash (RaftStore.crash, then reopen from
 * disk), for a few seeds. State machine safety is checked at every apply
 * (Raft §5.4.3): whatever any node applies at an index, every node applies
 * the same there. The full simulator (test/sim) drives MemoryStorage; this
 * proves the store fits the core's host contract.
 */
const voters = [1, 2, 3];
const stepsPerSeed = 160;
const snapshotEveryEntries = 12;
const compactKeepEntries = 4;

/** A state machine whose whole state is a hash chain over applied entries. */
class ChainSm {
  applied = 0;
  chain = 0;
  apply(e: Entry): void {
    let h = this.chain ^ e.index;
    if (e.type === 'normal') for (const b of e.data) h = Math.imul(h ^ b, 0x01000193) >>> 0;
    this.chain = h >>> 0;
    this.applied = e.index;
  }
  encode(): Uint8Array {
    return new TextEncoder().encode(JSON.stringify([this.applied, this.chain]));
  }
  restore(s: Snapshot): void {
    if (s.meta.index === 0) return;
    const [applied, chain] = JSON.parse(new TextDecoder().decode(s.data)) as [number, number];
    this.applied = applied;
    this.chain = chain;
  }
}

interface Node {
  readonly id: number;
  readonly dir: string;
  store: RaftStore | undefined;
  raw: RawNode | undefined;
  sm: ChainSm;
  incarnation: number;
}

async function runSeed(seed: number, root: string): Promise<{ committed: number; crashes: number; snapshots: number; installs: number }> {
  const rng = new SeededRng(seed);
  /** index -> chain as first applied anywhere. */
  const chainAt = new Map<number, number>();
  let outbox: Message[] = [];
  let crashes = 0;
  let snapshots = 0;
  let installs = 0;
  let proposals = 0;

  const start = async (n: Node): Promise<void> => {
    n.store = await RaftStore.open(n.dir, { initialConf: { voters, learners: [] } });
    n.incarnation++;
    n.sm = new ChainSm();
    const snap = n.store.log.snapshot();
    n.sm.restore(snap);
    const cfg = { ...DEFAULT_RAFT_LIMITS, id: n.id, rng: new SeededRng(seed * 97 + n.id * 13 + n.incarnation), applied: snap.meta.index };
    n.raw = new RawNode(cfg, n.store.log);
  };
  const check = (n: Node): void => {
    const seen = chainAt.get(n.sm.applied);
    if (seen === undefined) chainAt.set(n.sm.applied, n.sm.chain);
    else if (seen !== n.sm.chain) throw new Error(`seed ${seed}: n${n.id} state at ${n.sm.applied} differs from another node's`);
  };
  /** The host loop of raft/ready.ts: persist (one synced batch), send, apply, advance. */
  const drain = async (n: Node): Promise<void> => {
    while (n.raw !== undefined && n.store !== undefined && n.raw.hasReady()) {
      const rd = n.raw.ready();
      if (rd.entries.length > 0 || rd.hardState !== undefined || rd.snapshot !== undefined) {
        await n.store.persist({
          entries: rd.entries,
          ...(rd.hardState !== undefined ? { hardState: rd.hardState } : {}),
          ...(rd.snapshot !== undefined ? { snapshot: rd.snapshot } : {}),
        });
      }
      outbox.push(...rd.messages, ...rd.persistedMessages);
      if (rd.snapshot !== undefined) {
        installs++;
        n.sm.restore(rd.snapshot);
        check(n);
      }
      for (const e of rd.committedEntries) {
        n.sm.apply(e);
        check(n);
      }
      n.raw.advance(rd);
      const snapIndex = n.store.log.snapshot().meta.index;
      if (n.sm.applied - snapIndex >= snapshotEveryEntries) {
        const snap = n.store.log.createSnapshot(n.sm.applied, n.raw.confState(), n.sm.encode());
        await n.store.saveSnapshot(snap);
        await n.store.compact(Math.max(snapIndex, n.sm.applied - compactKeepEntries));
        snapshots++;
      }
    }
  };

  const nodes: Node[] = voters.map((id) => ({ id, dir: path.join(root, `s${seed}-n${id}`), store: undefined, raw: undefined, sm: new ChainSm(), incarnation: 0 }));
  for (const n of nodes) await start(n);
  for (let step = 0; step < stepsPerSeed; step++) {
    const calm = step >= stepsPerSeed - 40; // the last steps heal everything so the cluster converges
    for (const n of nodes) {
      if (n.raw === undefined) {
        if (calm || rng.chance(0.1)) await start(n);
        continue;
      }
      n.raw.tick();
      if (!calm && rng.chance(0.01)) {
        await n.store!.crash();
        n.raw = undefined;
        n.store = undefined;
        crashes++;
        continue;
      }
      if (n.raw.status().role === 'leader' && rng.chance(0.7)) {
        n.raw.propose(new TextEncoder().encode(`p${proposals++}`));
      }
      await drain(n);
    }
    // Deliver what was sent, losing some while not calm.
    const msgs = outbox;
    outbox = [];
    for (const m of msgs) {
      const to = nodes.find((x) => x.id === m.to);
      const ok = to?.raw !== undefined && (calm || !rng.chance(0.08));
      if (ok) to!.raw!.step(m);
      if (m.type === 'snap') nodes.find((x) => x.id === m.from)?.raw?.reportSnapshot(m.to, ok);
    }
    for (const n of nodes) await drain(n);
  }
  const committed = Math.min(...nodes.map((n) => n.sm.applied));
  for (const n of nodes) await n.store?.close();
  return { committed, crashes, snapshots, installs };
}

test('the Raft core runs on RaftStore: 3 nodes, crashes, snapshots, lost messages; applied states agree', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kvstore-raft-ldb-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  const base = Number(process.env.STORAGE_RAFT_SEED ?? 1);
  for (const seed of [base, base + 1, base + 2]) {
    const r = await runSeed(seed, root);
    t.log(`seed ${seed}: all nodes applied through ${r.committed}; ${r.crashes} crashes, ${r.snapshots} snapshots taken, ${r.installs} received from a leader`);
    t.true(r.committed > snapshotEveryEntries, `seed ${seed}: the cluster made progress past a snapshot`);
  }
});
