import test from 'ava';
import fc from 'fast-check';
import { formatEndpoint } from '../../src/config/address.js';
import { addressesMax, parseLabConfig } from '../../src/config/lab-config.js';
import { layoutOf } from '../../src/coordinator/coordinator.js';
import { rankAddresses } from '../../src/sharding/rank.js';
import { LayoutError, type LayoutErrorCode } from '../../src/sharding/layout-error.js';
import {
  groupOfSlot, groupReplicas, groupsOf, LAYOUT_LIMITS, layoutEquals, layoutProblem, makeLayout, preferredLeader, slotRange, type Layout,
} from '../../src/sharding/layout.js';
import { SLOTS } from '../../src/sharding/slot.js';

/** n participants on 127.0.0.1:9001.., listed in reverse to show they are ranked. */
function addrs(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `127.0.0.1:${9001 + i}`).reverse();
}

function all(layout: Layout): number[] {
  return Array.from({ length: layout.groups }, (_, i) => i + 1);
}

test('defaults: one group per participant, three replicas or fewer when there are fewer participants', (t) => {
  t.like(makeLayout(addrs(3)), { groups: 3, replicas: 3 });
  t.like(makeLayout(addrs(5)), { groups: 5, replicas: 3 });
  t.like(makeLayout(addrs(2)), { groups: 2, replicas: 2 });
  t.like(makeLayout(addrs(1)), { groups: 1, replicas: 1 });
  t.like(makeLayout(addrs(4), { groups: 10 }), { groups: 10, replicas: 3 });
  t.like(makeLayout(addrs(4), { replicas: 1 }), { groups: 4, replicas: 1 });
});

test('participants are kept in rank order, whatever order they are given in; endpoints become IP:PORT', (t) => {
  t.deepEqual(makeLayout(['127.0.0.1:9003', '127.0.0.1:9001', '127.0.0.1:9002']).participants, ['127.0.0.1:9001', '127.0.0.1:9002', '127.0.0.1:9003']);
  t.deepEqual(makeLayout([{ host: '10.0.0.10', port: 1 }, { host: '10.0.0.9', port: 1 }]).participants, ['10.0.0.9:1', '10.0.0.10:1']);
});

test('a bad participant list, groups or replicas is a LayoutError with a code and a clear reason', (t) => {
  const bad = (participants: string[], options: { groups?: number; replicas?: number }, code: LayoutErrorCode, message: string) => {
    const err = t.throws(() => makeLayout(participants, options), { instanceOf: LayoutError });
    t.is(err?.code, code);
    t.is(err?.message, message);
  };
  bad([], {}, 'NO_PARTICIPANTS', 'bad layout: no participants');
  bad(addrs(LAYOUT_LIMITS.participantsMax + 1), {}, 'TOO_MANY_PARTICIPANTS', 'bad layout: 257 participants, more than 256');
  bad(['127.0.0.1:1', 'nowhere:2'], {}, 'BAD_ADDRESS', 'bad layout: bad address "nowhere:2": "nowhere" is not an IPv4 address (a.b.c.d, each 0..255) or localhost');
  bad(['127.0.0.1:1', 'localhost:1'], {}, 'DUPLICATE_ADDRESS', 'bad layout: participant localhost:1 is listed twice');
  bad(addrs(3), { groups: 0 }, 'BAD_GROUPS', 'bad layout: groups must be an integer in 1..16384, got 0');
  bad(addrs(3), { groups: 16385 }, 'BAD_GROUPS', 'bad layout: groups must be an integer in 1..16384, got 16385');
  bad(addrs(3), { groups: 2.5 }, 'BAD_GROUPS', 'bad layout: groups must be an integer in 1..16384, got 2.5');
  bad(addrs(3), { replicas: 4 }, 'BAD_REPLICAS', 'bad layout: replicas must be an integer in 1..3 (the number of participants), got 4');
  bad(addrs(3), { replicas: 0 }, 'BAD_REPLICAS', 'bad layout: replicas must be an integer in 1..3 (the number of participants), got 0');
  bad(addrs(3), { replicas: Number.NaN }, 'BAD_REPLICAS', 'bad layout: replicas must be an integer in 1..3 (the number of participants), got NaN');
  t.notThrows(() => makeLayout(addrs(LAYOUT_LIMITS.participantsMax), { groups: SLOTS, replicas: LAYOUT_LIMITS.participantsMax }));
});

test('a participant list out of rank order is reported, not re-sorted, when checked as stored', (t) => {
  t.is(layoutProblem(['127.0.0.1:2', '127.0.0.1:1'], 1, 1)?.code, 'NOT_RANKED');
  t.is(layoutProblem(['127.0.0.1:1', '127.0.0.1:2'], 1, 1), null);
});

test('the layout limit on participants is the config limit on addresses', (t) => {
  t.is(LAYOUT_LIMITS.participantsMax, addressesMax);
});

test('3 participants x 3 groups: each group on all three, starting at its own participant', (t) => {
  const l = makeLayout(addrs(3));
  t.deepEqual(all(l).map((g) => groupReplicas(l, g)), [[1, 2, 3], [2, 3, 1], [3, 1, 2]]);
  t.deepEqual(all(l).map((g) => preferredLeader(l, g)), [1, 2, 3]);
  t.deepEqual([1, 2, 3].map((p) => groupsOf(l, p)), [[1, 2, 3], [1, 2, 3], [1, 2, 3]]);
});

test('5 participants, 5 groups, 3 replicas: ring order wraps, each participant holds 3 groups', (t) => {
  const l = makeLayout(addrs(5));
  t.deepEqual(all(l).map((g) => groupReplicas(l, g)), [[1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5, 1], [5, 1, 2]]);
  t.deepEqual([1, 2, 3, 4, 5].map((p) => groupsOf(l, p)), [[1, 4, 5], [1, 2, 5], [1, 2, 3], [2, 3, 4], [3, 4, 5]]);
});

test('more groups than participants: group g starts at participant ((g-1) mod P)+1', (t) => {
  const l = makeLayout(addrs(3), { groups: 8, replicas: 2 });
  t.deepEqual(all(l).map((g) => groupReplicas(l, g)), [[1, 2], [2, 3], [3, 1], [1, 2], [2, 3], [3, 1], [1, 2], [2, 3]]);
  t.deepEqual(all(l).map((g) => preferredLeader(l, g)), [1, 2, 3, 1, 2, 3, 1, 2]);
  t.deepEqual(groupsOf(l, 3), [2, 3, 5, 6, 8]);
});

test('property: groupsOf is exactly the groups whose replicas include the participant; replicas are distinct', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 40 }), fc.nat(), (p, n, r) => {
      const l = makeLayout(addrs(p), { groups: n, replicas: (r % p) + 1 });
      for (let g = 1; g <= n; g++) {
        const reps = groupReplicas(l, g);
        if (reps.length !== l.replicas || new Set(reps).size !== reps.length) return false;
        if (reps[0] !== preferredLeader(l, g)) return false;
      }
      for (let id = 1; id <= p; id++) {
        const expected = all(l).filter((g) => groupReplicas(l, g).includes(id));
        if (JSON.stringify(groupsOf(l, id)) !== JSON.stringify(expected)) return false;
      }
      return true;
    }),
  );
  t.pass();
});

test('out-of-range group, participant or slot numbers are programmer errors', (t) => {
  const l = makeLayout(addrs(3));
  t.throws(() => groupReplicas(l, 0), { message: 'group 0 is not in 1..3' });
  t.throws(() => preferredLeader(l, 4), { message: 'group 4 is not in 1..3' });
  t.throws(() => slotRange(l, 1.5), { message: 'group 1.5 is not in 1..3' });
  t.throws(() => groupsOf(l, 4), { message: 'participant 4 is not in 1..3' });
  t.throws(() => groupOfSlot(l, SLOTS), { message: 'slot 16384 is not in 0..16383' });
  t.throws(() => groupOfSlot(l, -1), { message: 'slot -1 is not in 0..16383' });
});

test('slot ranges for 3 groups: 5462, 5461, 5461 slots covering 0..16383', (t) => {
  const l = makeLayout(addrs(3));
  t.deepEqual(all(l).map((g) => slotRange(l, g)), [{ first: 0, last: 5461 }, { first: 5462, last: 10922 }, { first: 10923, last: 16383 }]);
  t.deepEqual(slotRange(makeLayout(addrs(1)), 1), { first: 0, last: 16383 });
  const each = makeLayout(addrs(3), { groups: SLOTS });
  t.deepEqual(slotRange(each, 1), { first: 0, last: 0 });
  t.deepEqual(slotRange(each, SLOTS), { first: SLOTS - 1, last: SLOTS - 1 });
});

test('slot ranges tile 0..16383 in group order, sizes differ by at most 1, and groupOfSlot inverts them', (t) => {
  for (const n of [1, 2, 3, 5, 7, 8, 100, 1000, 4096, 16383, 16384]) {
    const l = makeLayout(addrs(3), { groups: n });
    let next = 0;
    let smallest = SLOTS;
    let largest = 0;
    for (let g = 1; g <= n; g++) {
      const { first, last } = slotRange(l, g);
      t.is(first, next, `N=${n} g=${g} starts where the previous ended`);
      t.true(last >= first);
      smallest = Math.min(smallest, last - first + 1);
      largest = Math.max(largest, last - first + 1);
      next = last + 1;
    }
    t.is(next, SLOTS, `N=${n} covers every slot`);
    t.true(largest - smallest <= 1, `N=${n} sizes ${smallest}..${largest}`);
    for (let slot = 0; slot < SLOTS; slot++) {
      const g = groupOfSlot(l, slot);
      const r = slotRange(l, g);
      if (slot < r.first || slot > r.last) t.fail(`N=${n} slot ${slot} -> group ${g} ${r.first}..${r.last}`);
    }
  }
});

test('layoutEquals: same N, R and participants by socket address', (t) => {
  const a = makeLayout(['127.0.0.1:1', '127.0.0.1:2'], { groups: 4 });
  t.true(layoutEquals(a, makeLayout(['127.0.0.1:2', 'localhost:1'], { groups: 4 })));
  t.false(layoutEquals(a, makeLayout(['127.0.0.1:1', '127.0.0.1:2'], { groups: 5 })));
  t.false(layoutEquals(a, makeLayout(['127.0.0.1:1', '127.0.0.1:2'], { groups: 4, replicas: 1 })));
  t.false(layoutEquals(a, makeLayout(['127.0.0.1:1', '127.0.0.1:3'], { groups: 4 })));
  t.false(layoutEquals(a, makeLayout(['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'], { groups: 4, replicas: 2 })));
});

test('a layout is frozen', (t) => {
  const l = makeLayout(addrs(3));
  t.true(Object.isFrozen(l));
  t.true(Object.isFrozen(l.participants));
});

test('a stored participant list with a bad address names the participant id', (t) => {
  t.deepEqual(layoutProblem(['127.0.0.1:1', '127.0.0.1:0'], 1, 1), { code: 'BAD_ADDRESS', reason: 'participant 2: bad address "127.0.0.1:0": port "0" is not an integer in 1..65535' });
});

test('every coordinator config that parses makes a layout, with the same participant ids as the coordinator', (t) => {
  for (const extra of ['', 'groups 16384\nreplicas 3\n', 'groups 1\nreplicas 1\n', 'replicas 2\n']) {
    const cfg = parseLabConfig(`mode coordinator\ncoordinator_info 127.0.0.1:8001\nparticipant_info 127.0.0.1:8004\nparticipant_info localhost:8002\nparticipant_info 127.0.0.1:8003\n${extra}`, 'c.conf');
    if (cfg.kind !== 'coordinator') return t.fail();
    const l = makeLayout(cfg.participants, { groups: cfg.groups, replicas: cfg.replicas });
    t.deepEqual(l.participants, layoutOf(cfg).participants);
    t.deepEqual(l.participants, rankAddresses(cfg.participants).map((p) => formatEndpoint(p.address)));
  }
});
