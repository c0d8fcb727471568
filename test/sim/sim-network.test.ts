import test from 'ava';
import type { Message } from '../../raft/messages.js';
import { SeededRng } from '../../raft/rng.js';
import { CALM_LINKS, SimNetwork } from './sim-network.js';
import type { Fate } from './sim-network.js';

const hb = (from: number, to: number, term = 1): Message => ({ type: 'heartbeat', from, to, term, commit: 0, readRound: 0 });

/** Runs the network for `ticks` ticks, sending `msgs` at tick 0; returns fates by tick. */
function run(net: SimNetwork, msgs: Message[], ticks: number, at?: (t: number) => void): Map<number, Fate[]> {
  const out = new Map<number, Fate[]>();
  for (let t = 0; t < ticks; t++) {
    net.beginTick(t);
    at?.(t);
    if (t === 0) net.send(msgs);
    const due = net.takeDue();
    if (due.length > 0) out.set(t, due);
  }
  return out;
}

test('calm links deliver every message once, one or two ticks later', (t) => {
  const net = new SimNetwork(new SeededRng(1));
  const msgs = Array.from({ length: 50 }, (_, k) => hb(1, 2, k + 1));
  const fates = [...run(net, msgs, 10).entries()];
  const delivered = fates.flatMap(([, f]) => f).filter((f) => f.delivered);
  t.is(delivered.length, 50);
  t.true(fates.every(([tick]) => tick === 1 || tick === 2));
  t.is(net.inflightCount(), 0);
});

test('random delays reorder messages', (t) => {
  const net = new SimNetwork(new SeededRng(2));
  net.setFaults({ ...CALM_LINKS, delayTicksMax: 20 });
  const msgs = Array.from({ length: 100 }, (_, k) => hb(1, 2, k + 1));
  const order = [...run(net, msgs, 30).values()].flat().map((f) => f.msg.term);
  t.is(order.length, 100);
  t.notDeepEqual(order, [...order].sort((a, b) => a - b));
});

test('loss and duplication happen at their rates, and snapshots are never duplicated', (t) => {
  const net = new SimNetwork(new SeededRng(3));
  net.setFaults({ ...CALM_LINKS, dropRate: 0.3, dupRate: 0.2 });
  const msgs = Array.from({ length: 2000 }, (_, k) => hb(1, 2, k + 1));
  const fates = [...run(net, msgs, 5).values()].flat();
  const lost = fates.filter((f) => !f.delivered).length;
  const copies = fates.filter((f) => f.copy).length;
  t.true(copies > 300 && copies < 500, `copies ${copies}`);
  t.true(lost > 0.25 * fates.length && lost < 0.35 * fates.length, `lost ${lost} of ${fates.length}`);
  const snap: Message = { type: 'snap', from: 1, to: 2, term: 1, snapshot: { meta: { index: 5, term: 1, conf: { voters: [1, 2], learners: [] } }, data: new Uint8Array() } };
  const net2 = new SimNetwork(new SeededRng(4));
  net2.setFaults({ ...CALM_LINKS, dupRate: 1 });
  t.is([...run(net2, [snap], 5).values()].flat().length, 1);
});

test('a one-way cut blocks one direction only; a partition blocks both; heal restores', (t) => {
  const net = new SimNetwork(new SeededRng(5));
  net.block(1, 2);
  let fates = [...run(net, [hb(1, 2), hb(2, 1)], 4).values()].flat();
  t.deepEqual(fates.map((f) => [f.msg.from, f.delivered]), [[1, false], [2, true]]);
  t.is(fates[0]!.delivered ? '' : (fates[0] as { reason: string }).reason, 'partition');
  const net2 = new SimNetwork(new SeededRng(6));
  net2.partition([1], [2, 3]);
  fates = [...run(net2, [hb(1, 2), hb(3, 1), hb(2, 3)], 4).values()].flat();
  t.deepEqual(fates.map((f) => f.delivered), [false, false, true]);
  net2.healAll();
  t.false(net2.isBlocked(1, 2));
});

test('a partition also cuts messages already in flight', (t) => {
  const net = new SimNetwork(new SeededRng(7));
  net.setFaults({ ...CALM_LINKS, delayTicksMin: 5, delayTicksMax: 5 });
  const fates = [...run(net, [hb(1, 2)], 8, (tick) => tick === 2 && net.blockBoth(1, 2)).values()].flat();
  t.is(fates.length, 1);
  t.false(fates[0]!.delivered);
});

test('the same seed gives the same fates', (t) => {
  const fatesOf = (): string => {
    const net = new SimNetwork(new SeededRng(9));
    net.setFaults({ dropRate: 0.2, dupRate: 0.2, delayTicksMin: 1, delayTicksMax: 9, shuffleRate: 0.5 });
    const msgs = Array.from({ length: 200 }, (_, k) => hb(1 + (k % 3), 1 + ((k + 1) % 3), k + 1));
    return JSON.stringify([...run(net, msgs, 15).entries()].map(([tick, f]) => [tick, f.map((x) => [x.msg.term, x.delivered])]));
  };
  t.is(fatesOf(), fatesOf());
});
