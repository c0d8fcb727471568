import test from 'ava';
import { runSchedule } from './helpers/random-schedule.js';

/** Steps per schedule: bounded so each seed takes a few milliseconds. */
const STEPS_MAX = 1500;
// RAFT_SAFETY_SEEDS widens the search by hand (e.g. 3000); the default keeps `npx ava` quick.
const SEEDS = Number(process.env['RAFT_SAFETY_SEEDS'] ?? 12);

test('Figure 3 properties (Election Safety, Log Matching, Leader Completeness, State Machine Safety) hold under random loss, reordering, duplication, crashes and compaction', (t) => {
  let leaders = 0;
  let commits = 0;
  let snapshots = 0;
  for (let seed = 1; seed <= SEEDS; seed++) {
    const r = runSchedule({ seed, steps: STEPS_MAX, extras: false });
    t.deepEqual(r.violations, [], `seed ${seed}`);
    leaders += r.leaders;
    commits += r.commits;
    snapshots += r.snapshots;
  }
  // The schedules did something: several leaderships and many committed entries.
  t.true(leaders >= SEEDS, `${leaders} leaderships`);
  t.true(commits >= 8 * SEEDS, `${commits} committed entries`);
  t.log(`${SEEDS} seeds: ${leaders} leaderships, ${commits} committed entries, ${snapshots} snapshots sent`);
});

test('the same properties, and linearizable ReadIndex reads, hold with reads, leadership transfers and learner/promote/remove membership changes mixed in', (t) => {
  const total = { leaders: 0, commits: 0, reads: 0, readsAnswered: 0, transfers: 0, confChanges: 0 };
  for (let seed = 1; seed <= SEEDS; seed++) {
    const r = runSchedule({ seed: 1000 + seed, steps: STEPS_MAX, extras: true });
    t.deepEqual(r.violations, [], `seed ${1000 + seed}`);
    total.leaders += r.leaders;
    total.commits += r.commits;
    total.reads += r.reads;
    total.readsAnswered += r.readsAnswered;
    total.transfers += r.transfers;
    total.confChanges += r.confChanges;
  }
  t.true(total.readsAnswered > 0 && total.confChanges > 0 && total.transfers > 0, JSON.stringify(total));
  t.log(`${SEEDS} seeds: ${JSON.stringify(total)}`);
});
