import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RAFT_LIMITS } from '../../raft/config.js';
import { SeededRng } from '../../raft/rng.js';
import { encode } from '../../src/kv/kv-command.js';
import { NodeStateMachine } from '../../src/participant/node-state-machine.js';
import { RaftHost } from '../../src/participant/raft-host.js';
import type { SnapshotEncoder } from '../../src/participant/host-contract.js';
import { RaftStore } from '../../storage/raft-store.js';

/** A state machine whose snapshot encoder takes ~40 ms of event-loop slices, so applies happen while it runs. */
class SlowSnapshots extends NodeStateMachine {
  /** Applied index when each snapshotLater() was called, and when its encoder finished. */
  readonly frozenAt: number[] = [];
  readonly finishedAt: number[] = [];

  override snapshotLater(): SnapshotEncoder {
    const inner = super.snapshotLater();
    this.frozenAt.push(this.kv.appliedIndex);
    let spins = 40;
    let done = false;
    return {
      next: () => {
        const until = performance.now() + 1;
        while (performance.now() < until) {
          /* a millisecond of encoding work */
        }
        // Pieces of nothing first (a slow start), then the real ones.
        if (spins-- > 0) return new Uint8Array(0);
        const piece = inner.next();
        if (piece === undefined && !done) {
          done = true;
          this.finishedAt.push(this.kv.appliedIndex);
        }
        return piece;
      },
    };
  }
}

test('a snapshot is encoded beside the pump: entries keep being applied, and it holds exactly the state at its index', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kvstore-host-snap-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = await RaftStore.open(dir, { initialConf: { voters: [1], learners: [] } });
  const sm = new SlowSnapshots(new Map([[1, '127.0.0.1:1']]));
  const taken: number[] = [];
  let fatal: unknown;
  const host = new RaftHost(
    { ...DEFAULT_RAFT_LIMITS, id: 1, rng: new SeededRng(7) },
    store,
    { send: () => {} },
    sm,
    // Only the byte trigger fires: 40 commands of ~230 bytes.
    { tickMs: 5, snapshotEntries: 1e9, snapshotBytes: 9_000, compactionLagEntries: 5, pendingProposalsMax: 10_000, proposalBatchMax: 1 },
    { onSnapshot: (kind, index) => kind === 'taken' && taken.push(index), onFatal: (err) => (fatal = err) },
  );
  host.start();
  await host.withNode((n) => n.campaign());
  while (!host.isLeader) await new Promise((r) => setTimeout(r, 5));

  const value = Buffer.alloc(200, 0x61);
  for (let seq = 1; seq <= 200; seq++) {
    await host.propose(encode({ op: 'set', clientId: 'c', seq, key: Buffer.from(`k${seq}`), values: [value] }), 5_000);
  }
  while (sm.finishedAt.length > taken.length) await new Promise((r) => setTimeout(r, 5));
  host.close();
  await store.close();
  t.is(fatal, undefined);

  t.true(taken.length >= 2, `snapshots taken at ${taken.join(', ')}`);
  t.deepEqual(taken, sm.frozenAt.slice(0, taken.length), 'each snapshot is at the index it was frozen at');
  t.true(sm.finishedAt.some((end, k) => end > sm.frozenAt[k]!), 'entries were applied while a snapshot was being encoded');

  const reopened = await RaftStore.open(dir);
  const snap = reopened.log.snapshot();
  t.is(snap.meta.index, taken.at(-1) ?? -1);
  t.true(reopened.log.firstIndex() > 1, 'the log before the snapshot was compacted');
  const restored = new NodeStateMachine(new Map());
  restored.restore(snap.data);
  t.is(restored.kv.appliedIndex, snap.meta.index);
  // The no-op is index 1, so SET seq lands at index seq + 1.
  const lastSet = snap.meta.index - 1;
  t.deepEqual(restored.kv.get(Buffer.from(`k${lastSet}`)), [value]);
  t.is(restored.kv.get(Buffer.from(`k${lastSet + 1}`)), undefined, 'nothing applied after the freeze');
  t.deepEqual([...restored.addresses], [[1, '127.0.0.1:1']]);
  await reopened.close();
});
