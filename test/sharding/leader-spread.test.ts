import test from 'ava';
import fc from 'fast-check';
import { groupReplicas, makeLayout, type Layout } from '../../src/sharding/layout.js';
import { leaderTargets, spreadMoves } from '../../src/sharding/leader-spread.js';

function layoutOf(p: number, groups?: number, replicas?: number): Layout {
  return makeLayout(Array.from({ length: p }, (_, i) => `127.0.0.1:${9001 + i}`), { groups, replicas });
}

function ids(from: number, to: number): Set<number> {
  return new Set(Array.from({ length: to - from + 1 }, (_, i) => from + i));
}

/** Groups led by each participant once the targets are reached; index = id. */
function loads(layout: Layout, alive: ReadonlySet<number>): number[] {
  const out = new Array<number>(layout.participants.length + 1).fill(0);
  for (const to of leaderTargets(layout, alive).values()) out[to]! += 1;
  return out;
}

test('3 participants x 3 groups, all alive: each participant leads one group, its own', (t) => {
  const l = layoutOf(3);
  t.deepEqual([...leaderTargets(l, ids(1, 3))], [[1, 1], [2, 2], [3, 3]]);
  // Everything led by participant 1 (e.g. after it alone survived a while): two transfers.
  t.deepEqual(spreadMoves(l, ids(1, 3), new Map([[1, 1], [2, 1], [3, 1]])), [
    { group: 2, from: 1, to: 2 },
    { group: 3, from: 1, to: 3 },
  ]);
  t.deepEqual(spreadMoves(l, ids(1, 3), new Map([[1, 1], [2, 2], [3, 3]])), [], 'already spread: nothing moves');
});

test('3 x 3 with participant 3 dead: its group goes to a live replica and nothing moves to 3', (t) => {
  const l = layoutOf(3);
  const alive = new Set([1, 2]);
  const targets = leaderTargets(l, alive);
  t.is(targets.get(1), 1);
  t.is(targets.get(2), 2);
  t.true(targets.get(3) === 1 || targets.get(3) === 2);
  t.is(targets.get(3), 1, 'a tie goes to the earliest in ring order (3, 1, 2)');
  // Group 3 elected 2 after 3 died; group 1 is led by 2 too.
  const moves = spreadMoves(l, alive, new Map([[1, 2], [2, 2], [3, 2]]));
  t.deepEqual(moves, [{ group: 1, from: 2, to: 1 }, { group: 3, from: 2, to: 1 }]);
  t.false(moves.some((m) => m.to === 3));
  // A leader still reported on the dead participant cannot hand over.
  t.deepEqual(spreadMoves(l, alive, new Map([[3, 3]])), []);
});

test('3 x 3: when the dead participant comes back, its group moves back to it', (t) => {
  const l = layoutOf(3);
  t.deepEqual(spreadMoves(l, ids(1, 3), new Map([[1, 1], [2, 2], [3, 1]])), [{ group: 3, from: 1, to: 3 }]);
});

test('N=8, P=3: leads are 3, 3, 2; with one dead the other two lead 4 each', (t) => {
  const l = layoutOf(3, 8);
  t.deepEqual(loads(l, ids(1, 3)).slice(1), [3, 3, 2]);
  t.deepEqual([...leaderTargets(l, ids(1, 3)).values()], [1, 2, 3, 1, 2, 3, 1, 2]);
  for (const dead of [1, 2, 3]) {
    const alive = new Set([1, 2, 3].filter((p) => p !== dead));
    const load = loads(l, alive);
    t.is(load[dead], 0, `nothing targets dead ${dead}`);
    t.deepEqual(alive.size, 2);
    t.deepEqual([...alive].map((p) => load[p]), [4, 4], `dead ${dead}`);
  }
  // From "all on 1" with 2 dead, every move goes from 1 to 3 and leaves 4 each.
  const all1 = new Map(Array.from({ length: 8 }, (_, i) => [i + 1, 1] as const));
  const moves = spreadMoves(l, new Set([1, 3]), all1);
  t.true(moves.every((m) => m.from === 1 && m.to === 3));
  t.is(moves.length, 4);
});

test('R < P: an orphan only goes to its own replicas; a group with no live replica has no target', (t) => {
  const l = layoutOf(5, 5, 2); // group g on g, g+1
  const alive = new Set([1, 2, 4]);
  const targets = leaderTargets(l, alive);
  t.is(targets.get(3), 4, 'group 3 is on 3 and 4');
  t.is(targets.get(5), 1, 'group 5 is on 5 and 1');
  const none = leaderTargets(l, new Set([1]));
  t.deepEqual([...none.keys()], [1, 5], 'groups 2, 3, 4 have no live replica');
  t.deepEqual(leaderTargets(l, new Set()).size, 0);
});

test('a leader outside its group, or an unknown group or participant, is a programmer error', (t) => {
  const l = layoutOf(5, 5, 2);
  t.throws(() => spreadMoves(l, ids(1, 5), new Map([[1, 3]])), { message: 'leader 3 of group 1 is not one of its replicas' });
  t.throws(() => spreadMoves(l, ids(1, 5), new Map([[6, 1]])), { message: 'leader given for group 6, not in 1..5' });
  t.throws(() => leaderTargets(l, new Set([6])), { message: 'alive participant 6 is not in 1..5' });
});

const scenario = fc
  .record({ p: fc.integer({ min: 1, max: 9 }), n: fc.integer({ min: 1, max: 40 }), r: fc.nat(), aliveBits: fc.nat(), leaderSeeds: fc.array(fc.nat(), { minLength: 40, maxLength: 40 }) })
  .map(({ p, n, r, aliveBits, leaderSeeds }) => {
    const layout = layoutOf(p, n, (r % p) + 1);
    const alive = new Set([...ids(1, p)].filter((id) => (aliveBits >> (id - 1)) & 1));
    // Each group led by some replica, or by nobody known.
    const leaders = new Map<number, number>();
    for (let g = 1; g <= n; g++) {
      const reps = groupReplicas(layout, g);
      const seed = leaderSeeds[g - 1]!;
      if (seed % (reps.length + 1) !== reps.length) leaders.set(g, reps[seed % (reps.length + 1)]!);
    }
    return { layout, alive, leaders };
  });

test('property: moves go from the live current leader to a live replica, and applying them leaves nothing to move', (t) => {
  fc.assert(
    fc.property(scenario, ({ layout, alive, leaders }) => {
      const moves = spreadMoves(layout, alive, leaders);
      for (const m of moves) {
        if (!alive.has(m.to) || !alive.has(m.from) || m.from === m.to) return false;
        if (leaders.get(m.group) !== m.from || !groupReplicas(layout, m.group).includes(m.to)) return false;
      }
      const after = new Map(leaders);
      for (const m of moves) after.set(m.group, m.to);
      return spreadMoves(layout, alive, after).length === 0;
    }),
  );
  t.pass();
});

test('property: a group whose preferred leader is alive always targets it', (t) => {
  fc.assert(
    fc.property(scenario, ({ layout, alive }) => {
      const targets = leaderTargets(layout, alive);
      for (let g = 1; g <= layout.groups; g++) {
        const preferred = groupReplicas(layout, g)[0]!;
        if (alive.has(preferred) && targets.get(g) !== preferred) return false;
        const anyAlive = groupReplicas(layout, g).some((id) => alive.has(id));
        if (anyAlive !== targets.has(g)) return false;
      }
      return true;
    }),
  );
  t.pass();
});

test('property: with every group on every participant, live participants lead within one group of each other', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 60 }), fc.nat(), (p, n, bits) => {
      const layout = layoutOf(p, n, p);
      const alive = new Set([...ids(1, p)].filter((id) => (bits >> (id - 1)) & 1));
      if (alive.size === 0) return leaderTargets(layout, alive).size === 0;
      const load = loads(layout, alive);
      const live = [...alive].map((id) => load[id]!);
      const dead = [...ids(1, p)].filter((id) => !alive.has(id)).map((id) => load[id]!);
      return Math.max(...live) - Math.min(...live) <= 1 && dead.every((x) => x === 0) && live.reduce((a, b) => a + b, 0) === n;
    }),
  );
  t.pass();
});
