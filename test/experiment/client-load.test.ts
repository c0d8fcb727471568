import test from 'ava';
import { verifyAcknowledged } from '../../src/experiment/ack-verifier.js';
import { ClientLoad } from '../../src/experiment/client-load.js';
import { ExperimentClock } from '../../src/experiment/experiment-clock.js';
import { groupTags } from '../../src/experiment/group-keys.js';
import { indexSpec, renderSvg, throughputSpec } from '../../src/experiment/report-charts.js';
import { makeLayout } from '../../src/sharding/layout.js';
import { SlotRouter } from '../../src/sharding/router.js';
import { FakeRespServer } from '../bench/fake-resp-server.js';

test('one hash tag per group routes to that group', (t) => {
  const layout = makeLayout(['127.0.0.1:7001', '127.0.0.1:7002', '127.0.0.1:7003'], { groups: 5 });
  const router = new SlotRouter(layout);
  const tags = groupTags(layout);
  t.is(tags.length, 5);
  tags.forEach((tag, i) => t.is(router.groupOf(Buffer.from(`{${tag}}exp:c0:1`)), i + 1));
});

test('the load records every request; the read-back finds each acknowledged write, and reports a lost one', async (t) => {
  const server = new FakeRespServer();
  await server.listen();
  t.teardown(() => server.close());
  const clock = new ExperimentClock();
  const load = new ClientLoad({ clients: 3, ports: [server.port], groupTags: ['a', 'b'], msetEvery: 0, requestTimeoutMs: 1000, failurePauseMs: 5 }, clock);
  load.start();
  await new Promise((r) => setTimeout(r, 300));
  await load.stop();
  t.true(load.records.length > 10);
  t.true(load.records.every((r) => r.outcome === 'ok' && r.endMs >= r.startMs));
  t.is(new Set(load.records.flatMap((r) => r.keys)).size, load.records.length, 'every write has a fresh key');
  const good = await verifyAcknowledged(load.records, [server.port], 5_000);
  t.is(good.lostCount, 0);
  t.is(good.keysReadable, load.records.length);
  // Take one acknowledged write away: the check must see it.
  server.store.delete(load.records[3]!.keys[0]!);
  const bad = await verifyAcknowledged(load.records, [server.port], 5_000);
  t.is(bad.lostCount, 1);
  t.is(bad.lost[0]!.key, load.records[3]!.keys[0]!);
  t.is(bad.lost[0]!.got, 'nil');
});

test('an unacknowledged cross-group MSET must read back whole or not at all; half applied fails', async (t) => {
  const server = new FakeRespServer();
  await server.listen();
  t.teardown(() => server.close());
  for (const k of ['w1', 'w2', 'p1']) server.store.set(k, Buffer.from('v'));
  const mset = (keys: string[]) => ({ client: 0, op: 'mset' as const, keys, value: 'v', groups: [1, 2], startMs: 0, endMs: 1, outcome: 'timeout' as const });
  const v = await verifyAcknowledged([mset(['w1', 'w2']), mset(['n1', 'n2']), mset(['p1', 'p2'])], [server.port], 5_000);
  t.deepEqual(v.unackedMsets, { checked: 3, whole: 1, none: 1, partial: 1, unreadable: 0 });
  t.deepEqual(v.partialMsets, [{ value: 'v', applied: ['p1'], missing: ['p2'] }]);
  t.is(v.acknowledgedRequests, 0);
});

test('a chart spec renders to SVG without a browser', async (t) => {
  const svg = await renderSvg(throughputSpec([{ t: 0, okPerS: 10, failedPerS: 0, p50Ms: 1, p99Ms: 2 }, { t: 1, okPerS: 0, failedPerS: 5 }], [{ label: 'kill -9 a', from: 0.5, to: 0.8 }], 2));
  t.true(svg.startsWith('<svg'));
  t.true(svg.includes('kill -9 a'), 'the fault band is labelled');
  const idx = await renderSvg(indexSpec([{ t: 0, node: 'raft1', group: 1, index: 'commit', value: 3 }], 1, [], 1));
  t.true(idx.includes('raft1'));
});
