import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import test from 'ava';
import type { ExecutionContext } from 'ava';
import fc from 'fast-check';
import { MemoryStorage } from '../../raft/memory-storage.js';
import type { Snapshot } from '../../raft/types.js';
import { RaftStore } from '../../storage/raft-store.js';
import { entries } from './helpers.js';

/**
 * RaftStore behaves as MemoryStorage does: random sequences of writes
 * (appends with truncation, hard states, saved snapshots with compaction,
 * snapshots received from a leader, reopen), some issued without waiting so
 * group commit merges them, are applied to both; every observable must match,
 * before and after the store is closed and reopened.
 */
const conf = { voters: [1, 2, 3], learners: [] };
const frac = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });

type Op =
  | { k: 'append'; pos: number; count: number; newTerm: boolean; commit: number; wait: boolean }
  | { k: 'snapshot'; at: number; size: number; compactAt: number; wait: boolean }
  | { k: 'install'; gap: number; size: number; wait: boolean }
  | { k: 'reopen' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ k: fc.constant('append' as const), pos: frac, count: fc.integer({ min: 0, max: 20 }), newTerm: fc.boolean(), commit: frac, wait: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('snapshot' as const), at: frac, size: fc.integer({ min: 0, max: 3000 }), compactAt: frac, wait: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('install' as const), gap: fc.integer({ min: 0, max: 5 }), size: fc.integer({ min: 0, max: 3000 }), wait: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ k: 'reopen' as const }) },
);

function bytes(size: number, seed: number): Uint8Array {
  return new Uint8Array(size).map((_, k) => (k * 13 + seed) & 0xff);
}

/** Every observable of the LogStorage interface, plus the snapshot's bytes. */
function observe(log: MemoryStorage): unknown {
  const first = log.firstIndex();
  const last = log.lastIndex();
  const terms: (number | undefined)[] = [];
  for (let i = Math.max(0, first - 2); i <= last + 1; i++) terms.push(log.term(i));
  const all = last >= first ? log.entries(first, last + 1, Infinity) : [];
  const bounded = last >= first ? log.entries(first, last + 1, 300).map((e) => e.index) : [];
  const snap = log.snapshot();
  return { first, last, terms, all, bounded, hs: log.hardState(), meta: snap.meta, data: [...snap.data] };
}

async function runOps(t: ExecutionContext, root: string, ops: readonly Op[]): Promise<boolean> {
  const dir = fs.mkdtempSync(path.join(root, 'run-'));
  const ref = new MemoryStorage(conf);
  let store = await RaftStore.open(dir, { initialConf: conf, limits: { snapshotChunkBytes: 1024 } });
  let pending: Promise<void>[] = [];
  const settle = async (): Promise<void> => {
    await Promise.all(pending);
    pending = [];
  };
  const same = (when: string): boolean => {
    const a = observe(store.log);
    const b = observe(ref);
    if (isDeepStrictEqual(a, b)) return true;
    t.deepEqual(a, b, `store differs from MemoryStorage ${when}`);
    return false;
  };
  try {
    for (const [n, op] of ops.entries()) {
      const hs = ref.hardState();
      const term = Math.max(1, hs.term);
      const last = ref.lastIndex();
      let p: Promise<void> | undefined;
      switch (op.k) {
        case 'append': {
          const from = op.newTerm ? hs.commit + 1 + Math.floor(op.pos * (last - hs.commit + 1)) : last + 1;
          const t2 = op.newTerm ? term + 1 : term;
          const ents = op.count > 0 ? entries(from, from + op.count - 1, t2, 10 + (n % 7) * 20) : [];
          const newLast = ents.length > 0 ? from + op.count - 1 : last;
          const commit = hs.commit + Math.floor(op.commit * (newLast - hs.commit + 1));
          const hardState = { term: t2, vote: 1, commit: Math.min(commit, newLast) };
          ref.append(ents);
          ref.setHardState(hardState);
          p = store.persist({ entries: ents, hardState });
          break;
        }
        case 'snapshot': {
          const snapIndex = ref.snapshot().meta.index;
          if (hs.commit <= snapIndex) continue;
          const index = snapIndex + 1 + Math.floor(op.at * (hs.commit - snapIndex));
          const snap = ref.createSnapshot(index, { voters: [1, 2], learners: [index % 5 + 3] }, bytes(op.size, index));
          const start = ref.firstIndex() - 1;
          const compactTo = start + Math.floor(op.compactAt * (index - start + 1));
          ref.compact(compactTo);
          p = Promise.all([store.saveSnapshot(snap), store.compact(compactTo)]).then(() => undefined);
          break;
        }
        case 'install': {
          const index = last + op.gap;
          if (index < ref.snapshot().meta.index || index === 0) continue;
          const snapshot: Snapshot = { meta: { index, term: term + 1, conf }, data: bytes(op.size, index + 1) };
          const hardState = { term: term + 1, vote: 0, commit: index };
          ref.applySnapshot(snapshot);
          ref.setHardState(hardState);
          p = store.persist({ snapshot, entries: [], hardState });
          break;
        }
        case 'reopen':
          await settle();
          if (!same(`before reopen at op ${n}`)) return false;
          await store.close();
          store = await RaftStore.open(dir);
          if (!same(`after reopen at op ${n}`)) return false;
          continue;
      }
      pending.push(p);
      if (op.wait) {
        await settle();
        if (!same(`after op ${n} (${op.k})`)) return false;
      }
    }
    await settle();
    if (!same('at the end')) return false;
    await store.close();
    store = await RaftStore.open(dir);
    return same('after the final reopen');
  } finally {
    await Promise.allSettled(pending);
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('RaftStore matches MemoryStorage on random write sequences, across reopen', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kvstore-equiv-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), (ops) => runOps(t, root, ops)),
    { numRuns: Number(process.env.EQUIV_RUNS ?? 25), interruptAfterTimeLimit: 60_000 },
  );
  t.pass();
});
