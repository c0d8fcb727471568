import test from 'ava';
import { makeLayout } from '../../src/sharding/layout.js';
import { SlotRouter } from '../../src/sharding/router.js';
import { ALL_SYSTEM_KEYS, selectStarters } from './bench-systems.js';
import { probeKeys } from './cluster-systems.js';

test('--systems keys select their systems in table order, the two coordinator shapes side by side', (t) => {
  t.deepEqual(selectStarters('floor,2pc1,2pc').map((s) => s.key), ['2pc', '2pc1', 'floor']);
  t.deepEqual(selectStarters(ALL_SYSTEM_KEYS).map((s) => s.key), ['2pc', '2pc1', 'raft', 'redis', 'floor']);
});

test('an unknown --systems key is refused with the known ones named', (t) => {
  t.throws(() => selectStarters('2pc,redsi'), { message: /unknown redsi .*known: 2pc,2pc1,raft,redis,floor/ });
});

test('probeKeys gives one key per group, each routed to its group', (t) => {
  for (const groups of [1, 3, 7]) {
    const layout = makeLayout(['127.0.0.1:1001', '127.0.0.1:1002', '127.0.0.1:1003'], { groups });
    const router = new SlotRouter(layout);
    const keys = probeKeys(layout);
    t.is(keys.length, groups);
    t.deepEqual(keys.map((k) => router.groupOf(Buffer.from(k))), Array.from({ length: groups }, (_, i) => i + 1));
  }
});
