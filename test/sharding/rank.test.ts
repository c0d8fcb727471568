import test from 'ava';
import fc from 'fast-check';
import { parseEndpoint } from '../../src/config/address.js';
import { parseLabConfig } from '../../src/config/lab-config.js';
import { layoutOf } from '../../src/coordinator/coordinator.js';
import { makeLayout } from '../../src/sharding/layout.js';
import { addressKey, rankAddresses } from '../../src/sharding/rank.js';

test('ids are 1-based ranks in numeric address order, then numeric port order', (t) => {
  const ranked = rankAddresses(['10.0.0.10:1', '10.0.0.9:900', '10.0.0.9:1', '10.0.0.9:80']);
  t.deepEqual(ranked, [
    { id: 1, address: '10.0.0.9:1' },
    { id: 2, address: '10.0.0.9:80' },
    { id: 3, address: '10.0.0.9:900' },
    { id: 4, address: '10.0.0.10:1' },
  ]);
});

test('localhost ranks as 127.0.0.1 and keeps its spelling', (t) => {
  t.deepEqual(rankAddresses(['127.0.0.1:8003', 'localhost:8002', '127.0.0.2:1']).map((r) => `${r.id}=${r.address}`), [
    '1=localhost:8002',
    '2=127.0.0.1:8003',
    '3=127.0.0.2:1',
  ]);
  t.is(addressKey('localhost:8002'), addressKey({ host: '127.0.0.1', port: 8002 }));
});

test('endpoints come back as the same objects', (t) => {
  const a = { host: '127.0.0.1', port: 2 };
  const b = { host: '127.0.0.1', port: 1 };
  const ranked = rankAddresses([a, b]);
  t.is(ranked[0]?.address, b);
  t.is(ranked[1]?.address, a);
});

test('ranks do not depend on the order addresses are listed in', (t) => {
  const addresses = fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 65535 })), {
    minLength: 1,
    maxLength: 20,
    selector: ([h, p]) => `${h}:${p}`,
  }).map((xs) => xs.map(([h, p]) => `10.0.${h}.1:${p}`));
  fc.assert(
    fc.property(addresses, fc.nat(), (list, rot) => {
      const k = rot % list.length;
      const rotated = [...list.slice(k), ...list.slice(0, k)].reverse();
      return JSON.stringify(rankAddresses(list)) === JSON.stringify(rankAddresses(rotated));
    }),
  );
  t.pass();
});

test('the coordinator, a participant and a raft config rank the same addresses the same way', (t) => {
  const addresses = ['127.0.0.1:8004', '127.0.0.1:8002', 'localhost:8003', '10.1.1.1:9000'];
  const expected = rankAddresses(addresses).map((r) => [r.id, r.address]);
  // A participant learns the coordinator's layout; a raft peer with `groups N` makes its own from its config.
  t.deepEqual(makeLayout(addresses).participants.map((a, k) => [k + 1, a]), expected);
  const coordinator = parseLabConfig(`mode coordinator\ncoordinator_info 127.0.0.1:8001\n${addresses.map((a) => `participant_info ${a}`).join('\n')}\n`, 'c.conf');
  if (coordinator.kind !== 'coordinator') return t.fail();
  t.deepEqual(layoutOf(coordinator).participants.map((a, k) => [k + 1, a]), expected);
  const raft = parseLabConfig(addresses.map((a) => `follower_info ${a}`).join('\n'), 'r.conf');
  if (raft.kind !== 'raft') return t.fail();
  t.deepEqual(raft.peers, expected.map(([id, a]) => ({ id, address: parseEndpoint(a as string) })));
  t.is(raft.self.id, 4);
});
