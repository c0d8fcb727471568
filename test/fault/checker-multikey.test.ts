import test from 'ava';
import { SeededRng } from '../../raft/rng.js';
import { checkHistory, formatViolations } from './checker.js';
import type { CheckReport } from './checker.js';
import type { HistoryOp } from './history.js';
import { H } from './history-builder.js';

const AB = ['a', 'b'];
const why = (r: CheckReport): string => formatViolations(r).join('\n') || 'no violation';

test('an atomic MSET read whole by an MGET, before and after, is accepted', (t) => {
  const h = new H().mget(1, AB, [null, null], 0, 1).mset(2, AB, 'v', 2, 6).mget(1, AB, ['v', 'v'], 3, 4).mget(3, AB, ['v', 'v'], 7, 8).get(4, 'v', 9, 10, 'b');
  const r = checkHistory(h.ops);
  t.true(r.linearizable, why(r));
  t.deepEqual(r.fractured, []);
});

test('fractured read: an MGET sees an MSET on one key and, on the other, a value written before the MSET began', (t) => {
  // Each key on its own is fine (the MSET is concurrent with the MGET); together they are not.
  const h = new H().set(1, 'old', 0, 1, 'b').mset(2, AB, 'v', 2, 10).mget(3, AB, ['v', 'old'], 5, 6);
  const r = checkHistory(h.ops);
  t.false(r.linearizable);
  t.true(r.keys.every((k) => k.result === 'linearizable'), 'only the cross-key check can see it');
  t.is(r.fractured.length, 1, why(r));
  t.is(r.fractured[0]!.missKey, 'b');
  t.is(r.fractured[0]!.instead?.id, 0);
  t.is(r.fractured[0]!.reader.id, 2);
  t.regex(why(r), /fractured read/);
});

test('fractured read the other way round: the MSET seen on the second key only', (t) => {
  const h = new H().set(1, 'old', 0, 1, 'a').mset(2, AB, 'v', 2, 10).mget(3, AB, ['old', 'v'], 5, 6);
  const r = checkHistory(h.ops);
  t.is(r.fractured.length, 1, why(r));
  t.is(r.fractured[0]!.sawKey, 'b');
});

test('fractured across reads: once a GET saw the MSET on one key, a later GET of another key must see it too', (t) => {
  // The MSET is still unanswered; each key alone is fine; a half-visible MSET is not.
  const h = new H().set(1, 'old', 0, 1, 'a').mset(2, AB, 'v', 2, 100).get(3, 'v', 10, 11, 'b').get(4, 'old', 12, 13, 'a');
  const r = checkHistory(h.ops);
  t.true(r.keys.every((k) => k.result === 'linearizable'), why(r));
  t.is(r.fractured.length, 1, why(r));
  t.is(r.fractured[0]!.reader.id, 3);
  t.is(r.fractured[0]!.seenBy.id, 2);
  // Overlapping reads may fall either side of the MSET's instant.
  const overlapping = new H().set(1, 'old', 0, 1, 'a').mset(2, AB, 'v', 2, 100).get(3, 'v', 10, 13, 'b').get(4, 'old', 12, 14, 'a');
  t.true(checkHistory(overlapping.ops).linearizable);
});

test('not fractured: a later write replaced one key of the MSET', (t) => {
  const h = new H().mset(1, AB, 'v', 0, 3).set(2, 'w', 4, 5, 'b').mget(3, AB, ['v', 'w'], 6, 7);
  t.true(checkHistory(h.ops).linearizable);
  // A write concurrent with the MSET may be ordered after it: no verdict.
  const h2 = new H().set(2, 'w', 0, 8, 'b').mset(1, AB, 'v', 1, 10).mget(3, AB, ['v', 'w'], 11, 12);
  const r2 = checkHistory(h2.ops);
  t.true(r2.linearizable, why(r2));
});

test('fractured read shown by reads: the other key was seen holding the old value, then the new, so the old came first', (t) => {
  // w and the MSET overlap in real time, but a GET saw w completed before another GET of b saw v began.
  const h = new H()
    .set(1, 'w', 0, 8, 'b')
    .mset(2, AB, 'v', 1, 30)
    .get(3, 'w', 2, 3, 'b')
    .mget(4, AB, ['v', 'w'], 12, 13)
    .get(5, 'v', 20, 21, 'b');
  const r = checkHistory(h.ops);
  t.true(r.keys.every((k) => k.result === 'linearizable'), why(r));
  t.is(r.fractured.length, 1, why(r));
});

test('an MGET seeing an MSET on one key and nil on the other needs a DEL between them', (t) => {
  const torn = new H().mset(1, AB, 'v', 0, 10).mget(2, AB, ['v', null], 5, 6);
  t.is(checkHistory(torn.ops).fractured.length, 1);
  const deleted = new H().mset(1, AB, 'v', 0, 10).del(3, 1, 3, 4, 'b').mget(2, AB, ['v', null], 5, 6);
  const r = checkHistory(deleted.ops);
  t.true(r.linearizable, why(r));
  // A DEL that completed before the MSET began cannot explain it.
  const early = new H().set(3, 'x0', 0, 1, 'b').del(3, 1, 2, 3, 'b').mset(1, AB, 'v', 4, 10).mget(2, AB, ['v', null], 5, 6);
  t.is(checkHistory(early.ops).fractured.length, 1);
});

test('a lost acknowledged MSET is caught on the key that lost it', (t) => {
  const h = new H().mset(1, AB, 'v', 0, 1).get(-1, 'v', 10, 11, 'a').get(-1, null, 10, 11, 'b');
  const r = checkHistory(h.ops);
  t.false(r.linearizable);
  const bad = r.keys.filter((k) => k.result === 'violation').map((k) => k.key);
  t.deepEqual(bad, ['b']);
  t.true(r.keys.find((k) => k.key === 'b')!.window.some((o) => o.kind === 'mset'), 'the window shows the MSET itself');
});

test('an MSET of unknown outcome seen on one key took effect on all of them', (t) => {
  // Half applied: a saw v, b never did although nothing overwrote it.
  const half = new H().mset(1, AB, 'v', 0, null).get(2, 'v', 5, 6, 'a').get(3, null, 7, 8, 'b');
  const r = checkHistory(half.ops);
  t.false(r.linearizable, 'atomicity of an unknown MSET');
  t.is(r.keys.find((k) => k.key === 'b')!.result, 'violation');
  // Unseen anywhere: it may never have happened.
  const never = new H().mset(1, AB, 'v', 0, null).get(2, null, 5, 6, 'a').get(3, null, 7, 8, 'b');
  t.true(checkHistory(never.ops).linearizable);
  // Seen everywhere, late: fine.
  const late = new H().mset(1, AB, 'v', 0, null).get(2, null, 1, 2, 'a').get(2, 'v', 5, 6, 'a').get(3, 'v', 7, 8, 'b');
  t.true(checkHistory(late.ops).linearizable);
});

test('MGET entries are linearizable per key: a stale entry after a completed overwrite is caught', (t) => {
  const h = new H().mset(1, AB, 'v1', 0, 1).mset(1, AB, 'v2', 2, 3).mget(2, AB, ['v2', 'v1'], 4, 5);
  const r = checkHistory(h.ops);
  t.false(r.linearizable);
  t.is(r.keys.find((k) => k.key === 'b')!.result, 'violation', why(r));
});

test('failed MGETs and unanswered ones are ignored', (t) => {
  const h = new H().mset(1, AB, 'v', 0, 1).failedMget(2, AB, 2, 3).mget(3, AB, ['zz', 'zz'], 4, null).mget(3, AB, ['v', 'v'], 5, 6);
  t.true(checkHistory(h.ops).linearizable);
});

test('DEL of several keys: the count is exactly the keys present at its instant', (t) => {
  const both = (n: number): HistoryOp[] => new H().set(1, 'x', 0, 1, 'a').set(1, 'y', 0, 1, 'b').mdel(2, AB, n, 2, 3).get(3, null, 4, 5, 'a').ops;
  t.true(checkHistory(both(2)).linearizable);
  const one = checkHistory(both(1));
  t.false(one.linearizable);
  t.is(one.delCounts.violations.length, 1, why(one));
  t.regex(why(one), /wrong DEL count: answered 1, but 2 of its keys/);
  t.false(checkHistory(both(0)).linearizable);
  // One key present, one absent.
  t.true(checkHistory(new H().set(1, 'x', 0, 1, 'a').mdel(2, AB, 1, 2, 3).ops).linearizable);
  t.false(checkHistory(new H().set(1, 'x', 0, 1, 'a').mdel(2, AB, 2, 2, 3).ops).linearizable);
  // A SET of b concurrent with the DEL: 1 or 2, never 0.
  const racing = (n: number): HistoryOp[] => new H().set(1, 'x', 0, 1, 'a').set(3, 'y', 1.5, 4, 'b').mdel(2, AB, n, 2, 3).ops;
  t.true(checkHistory(racing(1)).linearizable);
  t.true(checkHistory(racing(2)).linearizable);
  t.false(checkHistory(racing(0)).linearizable);
});

test('DEL of several keys deletes all of them: a later read of one seeing its old value is caught', (t) => {
  const h = new H().mset(1, AB, 'v', 0, 1).mdel(2, AB, 2, 2, 3).get(3, 'v', 4, 5, 'b');
  const r = checkHistory(h.ops);
  t.false(r.linearizable);
  t.is(r.keys.find((k) => k.key === 'b')!.result, 'violation');
});

test('an unknown DEL of several keys is either done or not', (t) => {
  const base = (): H => new H().mset(1, AB, 'v', 0, 1).mdel(2, AB, null, 2, null);
  t.true(checkHistory(base().get(3, 'v', 10, 11, 'a').get(3, 'v', 10, 11, 'b').ops).linearizable);
  t.true(checkHistory(base().get(3, null, 10, 11, 'a').get(3, null, 10, 11, 'b').ops).linearizable);
});

/**
 * A history of a real atomic store: every op takes effect at one random
 * instant of its interval on all its keys; unknown writes take effect or not.
 * Four key slots, fresh keys every 200 ops (as the workload rotates them).
 */
function simulatedStore(seed: number, n: number): H {
  const rng = new SeededRng(seed);
  const pickKeys = (count: number, k: number): string[] => {
    const left = ['a', 'b', 'c', 'd'].map((s) => `${s}${Math.floor(k / 200)}`);
    const out: string[] = [];
    while (out.length < count) out.push(left.splice(rng.intBetween(0, left.length), 1)[0]!);
    return out;
  };
  type Planned = { k: number; kind: HistoryOp['kind']; keys: string[]; at: number; end: number; lin: number; unknown: boolean; applies: boolean };
  const planned: Planned[] = [];
  for (let k = 0; k < n; k++) {
    const at = k * 2;
    const end = at + rng.intBetween(1, 14);
    const kind = rng.pick(['set', 'get', 'del', 'mset', 'mset', 'mget', 'mget', 'mdel'] as const);
    const count = kind === 'mset' || kind === 'mget' ? rng.intBetween(2, 4) : kind === 'mdel' ? 2 : 1;
    const real = kind === 'mdel' ? 'del' : kind;
    const unknown = real !== 'get' && real !== 'mget' && rng.chance(0.15);
    planned.push({ k, kind: real, keys: pickKeys(count, k), at, end, lin: at + rng.next() * (end - at), unknown, applies: rng.chance(0.5) });
  }
  const state = new Map<string, string>();
  const reads = new Map<number, (string | null)[]>();
  const counts = new Map<number, number>();
  for (const p of [...planned].sort((x, y) => x.lin - y.lin)) {
    if (p.unknown && !p.applies) continue;
    if (p.kind === 'set' || p.kind === 'mset') for (const key of p.keys) state.set(key, `v${p.k}`);
    if (p.kind === 'get' || p.kind === 'mget') reads.set(p.k, p.keys.map((key) => state.get(key) ?? null));
    if (p.kind === 'del') {
      counts.set(p.k, p.keys.filter((key) => state.has(key)).length);
      for (const key of p.keys) state.delete(key);
    }
  }
  const h = new H();
  for (const p of planned) {
    const end = p.unknown ? null : p.end;
    const c = p.k % 5;
    if (p.kind === 'set') h.set(c, `v${p.k}`, p.at, end, p.keys[0]);
    if (p.kind === 'mset') h.mset(c, p.keys, `v${p.k}`, p.at, end);
    if (p.kind === 'get') h.get(c, reads.get(p.k)![0]!, p.at, end, p.keys[0]);
    if (p.kind === 'mget') h.mget(c, p.keys, reads.get(p.k)!, p.at, end);
    if (p.kind === 'del') h.mdel(c, p.keys, p.unknown ? null : counts.get(p.k)!, p.at, end);
  }
  return h;
}

test('histories of a real atomic multi-key store are accepted, in bounded time', (t) => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    const h = simulatedStore(seed, 1_500);
    const started = Date.now();
    const r = checkHistory(h.ops);
    const ms = Date.now() - started;
    t.true(r.linearizable, `seed ${seed}: ${why(r)}`);
    t.false(r.inconclusive);
    t.is(r.delCounts.unchecked, 0);
    t.true(r.delCounts.checked > 50, 'the generator makes DELs of several keys');
    t.true(ms < 20_000, `seed ${seed}: ${ms} ms`);
    t.log(`seed ${seed}: ${h.ops.length} ops (${r.delCounts.checked} multi-key DELs) checked in ${ms} ms`);
  }
});

test('no false alarm over many short generated histories (every check is sound)', (t) => {
  for (let seed = 100; seed < 160; seed++) {
    const r = checkHistory(simulatedStore(seed, 300).ops);
    t.true(r.linearizable && !r.inconclusive, `seed ${seed}: ${why(r)}`);
  }
});

test('teeth on generated histories: a torn MGET and a wrong DEL count are caught', (t) => {
  let torn = 0;
  let tornTried = 0;
  let counts = 0;
  let countsTried = 0;
  for (const seed of [11, 12, 13, 14, 15, 16, 17, 18]) {
    const ops = simulatedStore(seed, 600).ops;
    const isWrite = (o: HistoryOp): boolean => o.kind === 'set' || o.kind === 'mset' || o.kind === 'del';
    // Torn: an MGET that saw one MSET on its first two keys gets, on the second, a value written before that MSET began.
    for (const g of ops) {
      if (g.kind !== 'mget' || g.reads === null || g.reads[0] === null || g.reads[0] !== g.reads[1]) continue;
      const m = ops.find((o) => o.kind === 'mset' && o.value === g.reads![0])!;
      const older = ops.filter((w) => isWrite(w) && w.value !== null && w.keys.includes(g.keys[1]!) && w.outcome === 'ok' && w.completeMs! < m.invokeMs).pop();
      if (older === undefined) continue;
      tornTried++;
      const copy = ops.map((o) => (o.id === g.id ? { ...o, reads: [g.reads![0]!, older.value, ...g.reads!.slice(2)] } : o));
      if (checkHistory(copy).fractured.length > 0) torn++;
      break;
    }
    // A wrong count: a DEL of two keys whose keys' states are settled (no write overlaps it, and the last
    // write of each key before it overlaps no other) has one exact answer; off by one is caught.
    const overlap = (x: HistoryOp, y: HistoryOp): boolean => x.invokeMs <= (y.completeMs ?? Infinity) && y.invokeMs <= (x.completeMs ?? Infinity);
    const settled = (d: HistoryOp, k: string): boolean => {
      const earlier = ops.filter((w) => w !== d && isWrite(w) && w.keys.includes(k) && w.invokeMs <= d.completeMs!);
      if (earlier.some((w) => overlap(w, d))) return false;
      const last = earlier.sort((x, y) => x.completeMs! - y.completeMs!).pop();
      return last === undefined || !earlier.some((w) => overlap(w, last));
    };
    const quiet = ops.filter((d) => d.kind === 'del' && d.keys.length === 2 && d.outcome === 'ok' && d.keys.every((k) => settled(d, k)));
    for (const d of quiet.slice(0, 3)) {
      countsTried++;
      const copy = ops.map((o) => (o.id === d.id ? { ...o, count: o.count === 0 ? 1 : o.count! - 1 } : o));
      if (checkHistory(copy).delCounts.violations.length > 0) counts++;
    }
  }
  t.true(tornTried >= 3, `torn MGETs planted: ${tornTried}`);
  t.is(torn, tornTried, 'every torn MGET is caught by the fractured-read check');
  t.true(countsTried >= 3, `wrong DEL counts planted: ${countsTried}`);
  t.is(counts, countsTried, 'every wrong DEL count is caught');
});
