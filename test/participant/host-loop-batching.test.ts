import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RAFT_LIMITS } from '../../raft/config.js';
import { SeededRng } from '../../raft/rng.js';
import { encode } from '../../src/kv/kv-command.js';
import { GroupReplica } from '../../src/participant/group-replica.js';
import { MICROTASK_SCHEDULER, intervalTicker } from '../../src/participant/host-contract.js';
import { HostLoop } from '../../src/participant/host-loop.js';
import { NodeStateMachine } from '../../src/participant/node-state-machine.js';
import { ProcessStore } from '../../storage/process-store.js';

const limits = { tickMs: 5, snapshotEntries: 1e9, snapshotBytes: 1e12, compactionLagEntries: 5, pendingProposalsMax: 100_000, proposalBatchMax: 64 };

/**
 * One process hosting several groups on ONE LevelDB: every turn of the
 * loop that writes is one synced batch, whatever the number of groups that
 * wrote in it (group commit across groups, as TiKV and dragonboat do).
 */
test('one synced batch per loop turn covers every group that had a write in it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kvstore-host-batching-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = await ProcessStore.open(dir);
  let fatal: unknown;
  const loop = new HostLoop(limits.tickMs, MICROTASK_SCHEDULER, intervalTicker(), (err) => (fatal = err));
  const groups: Array<{ replica: GroupReplica; sm: NodeStateMachine }> = [];
  for (const g of [1, 2, 3, 4]) {
    const log = await store.openGroup(g, { initialConf: { voters: [1], learners: [] } });
    const sm = new NodeStateMachine(new Map([[1, '127.0.0.1:1']]));
    const replica = new GroupReplica(g, { ...DEFAULT_RAFT_LIMITS, id: 1, rng: new SeededRng(g), applied: 0 }, log, { send: () => {} }, sm, limits, {});
    loop.add(replica);
    groups.push({ replica, sm });
  }
  t.teardown(() => loop.close());
  loop.start();
  await Promise.all(groups.map((g) => g.replica.withNode((n) => n.campaign())));
  while (!groups.every((g) => g.replica.isLeader)) await new Promise((r) => setTimeout(r, 5));

  const batchesBefore = store.stats().batches;
  const writeTurnsBefore = loop.stats.syncedWriteTurns;
  const value = Buffer.from('v');
  const writes: Array<Promise<unknown>> = [];
  for (let k = 1; k <= 200; k++) {
    for (const g of groups) writes.push(g.replica.propose(encode({ op: 'set', clientId: 'c', seq: k, key: Buffer.from(`k${k}`), values: [value] }), 10_000));
    if (k % 20 === 0) await new Promise((r) => setImmediate(r));
  }
  await Promise.all(writes);
  const batches = store.stats().batches - batchesBefore;
  // A turn whose only change is a commit index writes nothing at once (the next batch carries it).
  const writeTurns = loop.stats.syncedWriteTurns - writeTurnsBefore;
  t.log(`${writes.length} writes over 4 groups: ${writeTurns} synced write turns, ${batches} synced batches, up to ${loop.stats.groupsPerWriteTurnMax} groups in one batch`);
  t.is(batches, writeTurns, 'one synced batch per turn that had to sync');
  t.is(loop.stats.groupsPerWriteTurnMax, 4, 'some turn wrote all four groups in its one batch');
  t.true(batches < writes.length / 4, 'far fewer batches than writes');
  for (const g of groups) t.deepEqual(g.sm.kv.get(Buffer.from('k200')), [value]);
  t.is(fatal, undefined);
  loop.close();
  await store.close();
});

/**
 * The groups of a process share its peer links: what a turn sends for all
 * of them must leave in one flush (one socket write per peer), not one per
 * group. Three 2-voter groups campaign in one turn; their vote requests
 * (sent once the new term is durable) must be flushed together.
 */
test('one flush per turn carries the messages of every group', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kvstore-host-flush-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = await ProcessStore.open(dir);
  let pending = 0;
  const flushed: number[] = [];
  const transport = {
    send: () => void pending++,
    flush: () => {
      flushed.push(pending);
      pending = 0;
    },
  };
  const loop = new HostLoop(limits.tickMs, MICROTASK_SCHEDULER, intervalTicker(), () => {});
  const replicas: GroupReplica[] = [];
  for (const g of [1, 2, 3]) {
    const log = await store.openGroup(g, { initialConf: { voters: [1, 2], learners: [] } });
    const sm = new NodeStateMachine(new Map([[1, '127.0.0.1:1'], [2, '127.0.0.1:2']]));
    const replica = new GroupReplica(g, { ...DEFAULT_RAFT_LIMITS, electionTicks: 1_000_000, id: 1, rng: new SeededRng(g), applied: 0 }, log, transport, sm, limits, {});
    loop.add(replica);
    replicas.push(replica);
  }
  t.teardown(() => loop.close());
  loop.start();
  await Promise.all(replicas.map((r) => r.withNode((n) => n.campaign())));
  while (flushed.every((n) => n === 0)) await new Promise((r) => setTimeout(r, 5));
  t.log(`messages per flush: ${flushed.join(' ')}`);
  t.is(Math.max(...flushed), 3, 'the three vote requests left in one flush');
  t.is(pending, 0, 'nothing sent was left unflushed');
  loop.close();
  await store.close();
});

/**
 * A process that leads one group and follows another sends its peer both
 * kinds of frames: the follower's acknowledgement once its write lands, the
 * leader's appends in the turn after. The acknowledgement waits for that
 * turn (run first thing after the write), so both leave in one flush: one
 * socket write and one wake-up of the peer instead of two.
 */
test('an acknowledgement leaves with the next turn\'s appends in one flush', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kvstore-host-ack-ride-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = await ProcessStore.open(dir);
  let pending: Array<{ group: number; type: string }> = [];
  const flushes: Array<Array<{ group: number; type: string }>> = [];
  const sentBy = (group: number) => ({
    send: (_to: number, m: { type: string }) => void pending.push({ group, type: m.type }),
    flush: () => {
      if (pending.length > 0) flushes.push(pending);
      pending = [];
    },
  });
  let fatal: unknown;
  const loop = new HostLoop(limits.tickMs, MICROTASK_SCHEDULER, intervalTicker(), (err) => (fatal = err));
  const replicas: GroupReplica[] = [];
  // Group 1: this process is its only voter (it elects itself) and peer 2 a
  // learner it replicates to. Group 2: two voters, peer 2 leads it.
  const confs = { 1: { voters: [1], learners: [2] }, 2: { voters: [1, 2], learners: [] } } as const;
  for (const g of [1, 2] as const) {
    const log = await store.openGroup(g, { initialConf: { voters: [...confs[g].voters], learners: [...confs[g].learners] } });
    const sm = new NodeStateMachine(new Map([[1, '127.0.0.1:1'], [2, '127.0.0.1:2']]));
    const cfg = { ...DEFAULT_RAFT_LIMITS, electionTicks: 1_000_000, id: 1, rng: new SeededRng(g), applied: 0 };
    const replica = new GroupReplica(g, cfg, log, sentBy(g), sm, limits, {});
    loop.add(replica);
    replicas.push(replica);
  }
  const [leading, following] = replicas as [GroupReplica, GroupReplica];
  t.teardown(() => loop.close());
  loop.start();
  await leading.withNode((n) => n.campaign());
  while (!leading.isLeader) await new Promise((r) => setTimeout(r, 2));
  while (pending.length > 0 || loop.stats.turns === 0) await new Promise((r) => setTimeout(r, 2));
  // The learner takes the leader's first append: its progress leaves the
  // probe state, so the next proposal is sent at once.
  const { term, lastIndex } = leading.status();
  leading.deliver({ type: 'appResp', from: 2, to: 1, term, index: lastIndex, reject: false, hintIndex: 0, hintTerm: 0 });
  while (leading.status().peers.find((p) => p.id === 2)?.match !== lastIndex) await new Promise((r) => setTimeout(r, 2));
  flushes.length = 0;

  // Group 2 (led by peer 2) appends an entry here; while that write is on the
  // disk, a client proposes to group 1.
  following.deliver({ type: 'app', from: 2, to: 1, term: 5, prevLogIndex: 0, prevLogTerm: 0, entries: [{ type: 'normal', term: 5, index: 1, data: new Uint8Array(0) }], commit: 0 });
  await new Promise((r) => queueMicrotask(() => r(undefined)));
  const written = leading.propose(encode({ op: 'set', clientId: 'c', seq: 1, key: Buffer.from('k'), values: [Buffer.from('v')] }), 10_000);
  while (!flushes.flat().some((m) => m.group === 2 && m.type === 'appResp') || !flushes.flat().some((m) => m.group === 1 && m.type === 'app')) {
    await new Promise((r) => setTimeout(r, 2));
  }
  t.log(`flushes: ${flushes.map((f) => f.map((m) => `g${m.group}:${m.type}`).join('+')).join(' | ')}`);
  const ride = flushes.find((f) => f.some((m) => m.group === 2 && m.type === 'appResp'))!;
  t.true(ride.some((m) => m.group === 1 && m.type === 'app'), 'group 2\'s acknowledgement and group 1\'s append in one flush');
  t.is(fatal, undefined);
  loop.close();
  void written.catch(() => undefined);
  await store.close();
});
