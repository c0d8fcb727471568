import test from 'ava';
import type { BenchResult } from '../../src/bench/run-bench.js';
import { SYSTEM_NAMES } from './bench-systems.js';
import type { Measured } from './suite-table.js';
import { checkTargets, formatTargets } from './targets.js';

/** A result with just the figures the targets read. */
const result = (opsPerSec: number, p50: number): BenchResult => ({ opsPerSec, latencyUs: { p50, p99: p50, p999: p50, max: p50, mean: p50 }, cpu: null }) as unknown as BenchResult;
const m = (row: string, system: string, opsPerSec: number, p50: number): Measured => ({ row, system, result: result(opsPerSec, p50) });
const find = (checks: ReturnType<typeof checkTargets>, prefix: string) => checks.find((c) => c.target.startsWith(prefix))!;

test('the multi-raft targets compare the 3-group coordinator with groups 1 and with the floor, medians of the rounds', (t) => {
  const measured = [
    ...[900, 1000, 5000].map((ops) => m('SET c=128', SYSTEM_NAMES.coordinator, ops, 0)),
    ...[1000, 1000, 1].map((ops) => m('SET c=128', SYSTEM_NAMES.coordinatorOneGroup, ops, 0)),
    m('SET c=1', SYSTEM_NAMES.coordinator, 0, 1300),
    m('SET c=1', SYSTEM_NAMES.floor, 0, 1000),
  ];
  const checks = checkTargets(measured, undefined);
  const sharding = find(checks, 'SET c=128 through the coordinator: 3 groups');
  t.is(sharding.measured, '1.00×');
  t.true(sharding.met);
  const floor = find(checks, 'SET c=1 p50 through the coordinator <= 1.2 × floor');
  t.is(floor.measured, '1.30×');
  t.false(floor.met);
  t.is(find(checks, 'SET c=128 through the coordinator >= 0.20 × redis').met, undefined, 'no redis: not measured');
});

test('targets print under their issue, with the count of met, missed and not measured', (t) => {
  const text = formatTargets(checkTargets([m('SET c=1', SYSTEM_NAMES.coordinator, 0, 1300), m('SET c=1', SYSTEM_NAMES.floor, 0, 1000)], undefined));
  t.regex(text, /^targets \(issue 7\):$/m);
  t.regex(text, /^targets \(multi-raft\):\n.*\n +MISS +SET c=1 p50 through the coordinator <= 1\.2 × floor/m);
  t.regex(text, /participant with 1M keys over 3 groups restarts/);
  t.regex(text, /0 of 12 met, 1 missed, 11 not measured$/);
});

test('the 2PC targets compare cross-group MSET with SET, and one-group MSET with a SET of the same bytes, on the coordinator', (t) => {
  const C = SYSTEM_NAMES.coordinator;
  const checks = checkTargets(
    [
      m('SET c=128', C, 10_000, 0),
      m('MSET 2 keys 2 groups c=128', C, 3_400, 0),
      m('SET c=1', C, 0, 1_000),
      m('MSET 2 keys 2 groups c=1', C, 0, 2_400),
      m('MSET 2 keys 1 group c=128', C, 9_600, 0),
      m('SET 200 B c=128', C, 10_000, 0),
      m('MSET 2 keys 2 groups c=128', SYSTEM_NAMES.redis, 99_999, 0),
    ],
    undefined,
  );
  const cross = find(checks, 'MSET of 2 keys in 2 groups c=128');
  t.is(cross.measured, '0.34×');
  t.false(cross.met);
  const c1 = find(checks, 'MSET of 2 keys in 2 groups c=1 p50');
  t.is(c1.measured, '2.40×');
  t.true(c1.met);
  const one = find(checks, 'MSET of 2 keys in 1 group');
  t.is(one.measured, '0.96×');
  t.true(one.met);
  t.is(find(checks, 'MSET of 2 keys').issue, '2pc');
});

test('a round with error replies is not a measurement (a system answering -ERROR fast must not meet a target)', (t) => {
  const C = SYSTEM_NAMES.coordinator;
  const failing = { ...result(50_000, 10), ops: 1000, okReplies: 0 } as unknown as BenchResult;
  const checks = checkTargets([m('SET c=128', C, 10_000, 0), { row: 'MSET 2 keys 2 groups c=128', system: C, result: failing }], undefined);
  t.is(find(checks, 'MSET of 2 keys in 2 groups c=128').met, undefined);
});
