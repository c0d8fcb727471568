import test from 'ava';
import type { RawNode } from '../../raft/raw-node.js';
import type { ProposeResult } from '../../raft/ready.js';
import type { Entry } from '../../raft/types.js';
import type { HostLimits, HostStateMachine } from '../../src/participant/host-contract.js';
import { NodeError } from '../../src/participant/node-error.js';
import { ReplicaWaiters } from '../../src/participant/replica-waiters.js';

const limits: HostLimits = {
  tickMs: 10,
  snapshotEntries: 1000,
  snapshotBytes: 1 << 30,
  compactionLagEntries: 0,
  pendingProposalsMax: 100,
  proposalBatchMax: 1,
};
const sm = {} as HostStateMachine;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A core that accepts every proposal at the given (index, term). */
function leaderAt(index: number, term: number): RawNode {
  const ok = (): ProposeResult => ({ ok: true, index, term });
  return { propose: ok, proposeBatch: ok } as unknown as RawNode;
}

/** Queues one proposal (deadline at `deadlineMs`) and proposes it at (index, term); returns how it settled so far. */
function propose(w: ReplicaWaiters, index: number, term: number, deadlineMs = 1_000): { outcome?: unknown } {
  const seen: { outcome?: unknown } = {};
  w.queueProposal(enc('x'), { resolve: (r) => (seen.outcome = r), reject: (e) => (seen.outcome = e), deadlineMs });
  w.proposeQueued(leaderAt(index, term), sm);
  return seen;
}

const normal = (index: number, term: number, data = enc('y')): Entry => ({ type: 'normal', index, term, data });

test('a proposal whose index another leader filled with a membership change is lost, not answered', (t) => {
  const w = new ReplicaWaiters(limits, () => 0);
  const seen = propose(w, 7, 2);
  w.applied({ type: 'conf', index: 7, term: 3, change: { type: 'addLearner', nodeId: 4 } }, []);
  t.true(seen.outcome instanceof NodeError && seen.outcome.code === 'LOST');
});

test('a leader proposing again at an index its older proposal still waits on settles both when that index applies', (t) => {
  const w = new ReplicaWaiters(limits, () => 0);
  // Proposed at 7 in term 2, truncated before it replicated; leading again in term 5, it proposes at 7 once more.
  const old = propose(w, 7, 2);
  const again = propose(w, 7, 5);
  w.applied(normal(7, 5), ['done']);
  t.true(old.outcome instanceof NodeError && old.outcome.code === 'LOST');
  t.deepEqual(again.outcome, ['done']);
});

test('an older proposal sharing an index with a newer one still times out at its deadline', (t) => {
  let now = 0;
  const w = new ReplicaWaiters(limits, () => now);
  const old = propose(w, 7, 2, 100);
  const again = propose(w, 7, 5, 500);
  now = 200;
  w.expire();
  t.true(old.outcome instanceof NodeError && old.outcome.code === 'TIMEOUT');
  t.is(again.outcome, undefined);
  now = 600;
  w.expire();
  t.true(again.outcome instanceof NodeError && again.outcome.code === 'TIMEOUT');
});

test('a proposal applied at its index in its term gets its result; a no-op there means it was lost', (t) => {
  const w = new ReplicaWaiters(limits, () => 0);
  const mine = propose(w, 3, 1);
  w.applied(normal(3, 1), ['r']);
  t.deepEqual(mine.outcome, ['r']);
  const other = propose(w, 4, 1);
  w.applied(normal(4, 2, new Uint8Array(0)), []);
  t.true(other.outcome instanceof NodeError && other.outcome.code === 'LOST');
});

test('counts: every proposal settles once, as committed (applied and answered) or failed (lost, timed out)', (t) => {
  const w = new ReplicaWaiters(limits, () => 0);
  propose(w, 7, 2);
  propose(w, 7, 5);
  w.applied(normal(7, 5), ['done']);
  t.deepEqual(w.counts, { committed: 1, failed: 1 });
  propose(w, 8, 5, 10);
  w.expire(20);
  t.deepEqual(w.counts, { committed: 1, failed: 2 });
  // Applying the timed-out index later answers nobody and counts nothing more.
  w.applied(normal(8, 5), ['late']);
  t.deepEqual(w.counts, { committed: 1, failed: 2 });
});

test('proposed entry data owns its bytes: a command encoded into a view of a big buffer is copied, so the log does not pin it', (t) => {
  const w = new ReplicaWaiters(limits, () => 0);
  const proposed: Uint8Array[] = [];
  const node = {
    proposeBatch: (datas: Uint8Array[]): ProposeResult => {
      proposed.push(...datas);
      return { ok: true, index: 1, term: 1 };
    },
  } as unknown as RawNode;
  const encoderBuffer = Buffer.alloc(1 << 20);
  const view = encoderBuffer.subarray(64, 96).fill(5);
  w.queueProposal(view, { resolve: () => undefined, reject: () => undefined, deadlineMs: 1_000 });
  w.proposeQueued(node, sm);
  t.is(proposed.length, 1);
  t.is(proposed[0]!.buffer.byteLength, 32);
  t.deepEqual(Buffer.from(proposed[0]!), Buffer.from(view));
});
