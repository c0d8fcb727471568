/**
 * The crash test's writer: `node crash-child.js <dataDir> <seed>`. Opens
 * one ProcessStore and the groups crashGroups names in it, then loops in rounds:
 * each round picks writes for every group (appends with hard state, several
 * at once to exercise group commit; now and then a truncation, a received
 * snapshot, or a saved snapshot plus compaction) and issues all of them, of
 * every group, in one synchronous run, so they share synced batches. Before
 * issuing each write it prints its intent, after it is acknowledged an ack,
 * one JSON line each, synchronously to stdout, until the parent kills it
 * with SIGKILL.
 */
import fs from 'node:fs';
import { SeededRng } from '../../raft/rng.js';
import { ProcessStore } from '../../storage/process-store.js';
import type { RaftStore } from '../../storage/raft-store.js';
import { applyOp, crashConf, crashGroups, lastIndex, makeEntries, snapshotData, stateFromLog } from './crash-model.js';
import type { CrashOp, CrashState } from './crash-model.js';

/** The child never outlives a lost parent by long. */
const lifetimeMs = 20_000;
/** Writes issued at once per group, at most. */
const concurrentWritesMax = 5;
const entriesPerWriteMax = 16;
const snapshotBytesMax = 300_000;

const [dataDir, seedArg] = process.argv.slice(2);
if (dataDir === undefined || seedArg === undefined) throw new Error('usage: crash-child <dataDir> <seed>');
setTimeout(() => process.exit(3), lifetimeMs).unref();

function out(line: object): void {
  fs.writeSync(1, `${JSON.stringify(line)}\n`);
}

/** Picks the next writes against the model of what has been issued, updating it. */
function chooseOps(rng: SeededRng, m: CrashState): CrashOp[] {
  const term = Math.max(1, m.hs[0]);
  const commit = m.hs[2];
  const last = lastIndex(m);
  const r = rng.next();
  const ops: CrashOp[] = [];
  const push = (op: CrashOp): void => {
    applyOp(m, op);
    ops.push(op);
  };
  if (r < 0.04 && commit > m.snap.index) {
    const size = rng.chance(0.3) ? rng.intBetween(0, snapshotBytesMax) : rng.intBetween(0, 2000);
    push({ k: 'snap', index: commit, size });
    push({ k: 'compact', index: Math.max(m.start.index, commit - rng.intBetween(0, 30)) });
  } else if (r < 0.05) {
    const index = last + rng.intBetween(1, 10);
    push({ k: 'install', index, term: term + 1, size: rng.intBetween(0, 100_000), hs: [term + 1, 0, index] });
  } else if (r < 0.12) {
    const from = rng.intBetween(commit + 1, last + 2);
    push({ k: 'persist', from, to: from + rng.intBetween(0, 8), term: term + 1, hs: [term + 1, 1, commit] });
  } else {
    const writes = rng.intBetween(1, concurrentWritesMax + 1);
    for (let w = 0; w < writes; w++) {
      const from = lastIndex(m) + 1;
      const to = from + rng.intBetween(0, entriesPerWriteMax);
      const newCommit = Math.max(m.hs[2], Math.min(to, to - rng.intBetween(0, 10)));
      push({ k: 'persist', from, to, term, hs: [term, 1, newCommit] });
    }
  }
  return ops;
}

function issue(store: RaftStore, op: CrashOp): Promise<void> {
  switch (op.k) {
    case 'persist': {
      const [term, vote, commit] = op.hs;
      return store.persist({ entries: makeEntries(op.from, op.to, op.term), hardState: { term, vote, commit } });
    }
    case 'install': {
      const [term, vote, commit] = op.hs;
      const snapshot = { meta: { index: op.index, term: op.term, conf: crashConf }, data: snapshotData(op.index, op.term, op.size) };
      return store.persist({ snapshot, entries: [], hardState: { term, vote, commit } });
    }
    case 'snap': {
      const term = store.log.term(op.index);
      if (term === undefined) throw new Error(`no term at ${op.index}`);
      return store.saveSnapshot(store.log.createSnapshot(op.index, crashConf, snapshotData(op.index, term, op.size)));
    }
    case 'compact':
      return store.compact(op.index);
  }
}

const processStore = await ProcessStore.open(dataDir);
const groups: { readonly id: number; readonly store: RaftStore; readonly model: CrashState; seq: number }[] = [];
for (const id of crashGroups) {
  const store = await processStore.openGroup(id, { initialConf: crashConf });
  const model = stateFromLog(store.log);
  if (typeof model === 'string') throw new Error(`group ${id}: ${model}`);
  groups.push({ id, store, model, seq: 0 });
}
out({ t: 'ready' });
const rng = new SeededRng(Number(seedArg));
for (;;) {
  // Every group's writes of the round in one synchronous run: they share batches.
  const acks: Promise<void>[] = [];
  for (const g of groups) {
    for (const op of chooseOps(rng, g.model)) {
      const n = g.seq++;
      out({ t: 'op', g: g.id, seq: n, op });
      acks.push(issue(g.store, op).then(() => out({ t: 'ack', g: g.id, seq: n })));
    }
  }
  await Promise.all(acks);
}
