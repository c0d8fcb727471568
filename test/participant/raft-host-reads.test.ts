import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RAFT_LIMITS } from '../../raft/config.js';
import { SeededRng } from '../../raft/rng.js';
import { encode } from '../../src/kv/kv-command.js';
import { NodeStateMachine } from '../../src/participant/node-state-machine.js';
import { RaftHost } from '../../src/participant/raft-host.js';
import { RaftStore } from '../../storage/raft-store.js';

test('a confirmed read waits until the state machine has applied its read index, even when Readies apply a little at a time', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kvstore-host-reads-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = await RaftStore.open(dir, { initialConf: { voters: [1], learners: [] } });
  const sm = new NodeStateMachine(new Map([[1, '127.0.0.1:1']]));
  let fatal: unknown;
  const host = new RaftHost(
    // One entry per Ready: committed entries reach the state machine over many Readies.
    { ...DEFAULT_RAFT_LIMITS, id: 1, rng: new SeededRng(3), maxApplyBytes: 1 },
    store,
    { send: () => {} },
    sm,
    { tickMs: 5, snapshotEntries: 1e9, snapshotBytes: 1e12, compactionLagEntries: 5, pendingProposalsMax: 10_000, proposalBatchMax: 1 },
    { onFatal: (err) => (fatal = err) },
  );
  t.teardown(() => host.close());
  host.start();
  await host.withNode((n) => n.campaign());
  while (!host.isLeader) await new Promise((r) => setTimeout(r, 5));

  const value = Buffer.from('v');
  const writes = Array.from({ length: 50 }, (_, k) => host.propose(encode({ op: 'set', clientId: 'c', seq: k + 1, key: Buffer.from(`k${k}`), values: [value] }), 5_000));
  await writes[0];
  // Everything is committed by now, but only the first entries are applied.
  const commitAtRead = host.status().commit;
  t.true(sm.kv.appliedIndex < commitAtRead, `applied ${sm.kv.appliedIndex} < commit ${commitAtRead}: the read has something to wait for`);
  await host.readBarrier(5_000);
  t.true(sm.kv.appliedIndex >= commitAtRead, `read answered at applied ${sm.kv.appliedIndex}, its read index is at least ${commitAtRead}`);
  t.deepEqual(sm.kv.get(Buffer.from('k49')), [value], 'the last write acknowledged before the read is visible');
  await Promise.all(writes);
  t.is(fatal, undefined);
  host.close();
  await store.close();
});
