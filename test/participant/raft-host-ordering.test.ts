import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RAFT_LIMITS } from '../../raft/config.js';
import type { Message } from '../../raft/messages.js';
import { SeededRng } from '../../raft/rng.js';
import { encode } from '../../src/kv/kv-command.js';
import { NodeStateMachine } from '../../src/participant/node-state-machine.js';
import { RaftHost } from '../../src/participant/raft-host.js';
import type { HostStore, HostTransport } from '../../src/participant/host-contract.js';
import { RaftStore, type PersistWrite } from '../../storage/raft-store.js';

/**
 * A store of the group {1, 2} in a temp dir, and a HostStore over it whose
 * next persist can be made to wait (a slow disk); each persist is logged.
 */
async function slowableStore(t: import('ava').ExecutionContext, events: string[] = []) {
  const dir = mkdtempSync(join(tmpdir(), 'kvstore-host-order-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = await RaftStore.open(dir, { initialConf: { voters: [1, 2], learners: [] } });
  /** While set, the next persist waits for it. */
  let gate: Promise<void> | undefined;
  const held: HostStore = {
    log: store.log,
    async persist(w: PersistWrite, opts?: { sync?: boolean }) {
      events.push(`persist ${w.entries.length}`);
      const g = gate;
      gate = undefined;
      if (g !== undefined) await g;
      await store.persist(w, opts);
    },
    saveSnapshot: (s) => store.saveSnapshot(s),
    compact: (i) => store.compact(i),
  };
  return { store, held, holdNextWrite: (g: Promise<void>) => (gate = g) };
}

/**
 * Node 1 of the group {1, 2}, with node 2 played by the test: it grants
 * votes at once and acknowledges appends only when the test says so.
 */
async function leaderOfTwo(t: import('ava').ExecutionContext) {
  const events: string[] = [];
  const { store, held, holdNextWrite } = await slowableStore(t, events);
  const apps: Message[] = [];
  let host: RaftHost | undefined;
  const transport: HostTransport = {
    send: (to, m) => {
      events.push(`send ${m.type}`);
      if (m.type === 'preVote' || m.type === 'vote') {
        const reply: Message = { type: m.type === 'vote' ? 'voteResp' : 'preVoteResp', from: 2, to: 1, term: m.term, reject: false };
        setImmediate(() => host!.deliver(reply));
      } else if (m.type === 'app') {
        apps.push(m);
      }
    },
    flush: () => events.push('flush'),
  };
  const sm = new NodeStateMachine(new Map([[1, '127.0.0.1:1'], [2, '127.0.0.1:2']]));
  let fatal: unknown;
  host = new RaftHost(
    { ...DEFAULT_RAFT_LIMITS, id: 1, rng: new SeededRng(5) },
    held,
    transport,
    sm,
    { tickMs: 1_000, snapshotEntries: 1e9, snapshotBytes: 1e12, compactionLagEntries: 5, pendingProposalsMax: 10_000, proposalBatchMax: 64 },
    { onFatal: (err) => (fatal = err) },
  );
  t.teardown(async () => {
    host!.close();
    await store.close();
  });
  host.start();
  await host.withNode((n) => n.campaign());
  while (!host.isLeader) await new Promise((r) => setTimeout(r, 1));
  /** Node 2 acknowledges every append it has received so far. */
  const ack = (): void => {
    for (const m of apps.splice(0)) {
      if (m.type !== 'app') continue;
      const last = m.entries.length > 0 ? m.entries[m.entries.length - 1]!.index : m.prevLogIndex;
      host!.deliver({ type: 'appResp', from: 2, to: 1, term: m.term, index: last, reject: false, hintIndex: 0, hintTerm: 0 });
    }
  };
  // Node 2 takes the new leader's first (empty) entry: the leader then streams appends to it.
  while (apps.length === 0) await new Promise((r) => setTimeout(r, 1));
  ack();
  while (host.status().commit < host.status().lastIndex) await new Promise((r) => setTimeout(r, 1));
  return {
    host,
    store,
    events,
    ack,
    holdNextWrite,
    fatal: () => fatal,
  };
}

const setCmd = (seq: number) => encode({ op: 'set', clientId: 'c', seq, key: Buffer.from(`k${seq}`), values: [Buffer.from('v')] });
const settled = (p: Promise<unknown>, ms: number) =>
  Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

test("a leader's appends are on the wire before its own disk write starts", async (t) => {
  const g = await leaderOfTwo(t);
  g.events.length = 0;
  const done = g.host.propose(setCmd(1), 5_000);
  while (!g.events.includes('persist 1')) await new Promise((r) => setTimeout(r, 1));
  const app = g.events.indexOf('send app');
  const write = g.events.indexOf('persist 1');
  t.true(app >= 0 && app < write, `sent the append before the write: ${g.events.join(', ')}`);
  t.true(g.events.slice(app, write).includes('flush'), `and flushed it before the write: ${g.events.join(', ')}`);
  g.ack();
  await done;
  t.is(g.fatal(), undefined);
});

test('committed entries already on disk are applied while the next write is still in flight', async (t) => {
  const g = await leaderOfTwo(t);
  const first = g.host.propose(setCmd(1), 5_000);
  // Entry 1's write lands; node 2 has not acknowledged it yet, so it is not committed.
  const index = g.host.status().lastIndex;
  while (g.store.log.lastIndex() < index) await new Promise((r) => setTimeout(r, 1));
  t.false(await settled(first, 20), 'not committed before node 2 acknowledges');

  // The next write (entry 2) will hang; the acknowledgement commits entry 1 in the same Ready.
  let open!: () => void;
  g.holdNextWrite(new Promise<void>((r) => (open = r)));
  const second = g.host.propose(setCmd(2), 5_000);
  g.ack();
  t.true(await settled(first, 2_000), 'entry 1 answered while the write of entry 2 is held');
  t.false(await settled(second, 20), 'entry 2 waits for its own write and acknowledgement');
  open();
  while (g.store.log.lastIndex() < index + 1) await new Promise((r) => setTimeout(r, 1));
  g.ack();
  t.true(await settled(second, 2_000), 'entry 2 answered once written and acknowledged');
  t.is(g.fatal(), undefined);
});

test('a follower replacing a stale suffix applies the new entries only after they are written', async (t) => {
  const { store, held, holdNextWrite } = await slowableStore(t);
  const applied: string[] = [];
  const sm = {
    applyEntry: (index: number, data: Uint8Array) => {
      applied.push(`${index}:${Buffer.from(data).toString()}`);
      return [];
    },
    applyConfChange: () => {},
    snapshot: () => new Uint8Array(0),
    restore: () => {},
  };
  const replies: Message[] = [];
  let fatal: unknown;
  const host = new RaftHost(
    { ...DEFAULT_RAFT_LIMITS, id: 2, rng: new SeededRng(5) },
    held,
    { send: (_to, m) => replies.push(m) },
    sm,
    { tickMs: 1_000, snapshotEntries: 1e9, snapshotBytes: 1e12, compactionLagEntries: 5, pendingProposalsMax: 10, proposalBatchMax: 1 },
    { onFatal: (err) => (fatal = err) },
  );
  t.teardown(async () => {
    host.close();
    await store.close();
  });
  host.start();
  const entry = (index: number, term: number, text: string) => ({ type: 'normal' as const, index, term, data: Buffer.from(text) });
  // Leader 1, term 1: entries 1-3, only 1 committed.
  host.deliver({ type: 'app', from: 1, to: 2, term: 1, prevLogIndex: 0, prevLogTerm: 0, entries: [entry(1, 1, 'a'), entry(2, 1, 'b'), entry(3, 1, 'c')], commit: 1 });
  while (store.log.lastIndex() < 3 || applied.length < 1) await new Promise((r) => setTimeout(r, 1));
  t.deepEqual(applied, ['1:a']);
  // Leader 1 again in term 2 replaced 2-3 and committed them; this node's write of that is slow.
  let open!: () => void;
  holdNextWrite(new Promise<void>((r) => (open = r)));
  host.deliver({ type: 'app', from: 1, to: 2, term: 2, prevLogIndex: 1, prevLogTerm: 1, entries: [entry(2, 2, 'B'), entry(3, 2, 'C')], commit: 3 });
  await new Promise((r) => setTimeout(r, 30));
  t.deepEqual(applied, ['1:a'], 'the new 2 and 3 are not on disk yet; the old ones there are not them');
  open();
  while (applied.length < 3) await new Promise((r) => setTimeout(r, 1));
  t.deepEqual(applied, ['1:a', '2:B', '3:C']);
  t.is(fatal, undefined);
});
