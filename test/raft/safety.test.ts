import test from 'ava';
import type { Message } from '../../raft/messages.js';
import { SeededRng } from '../../raft/rng.js';
import type { Entry } from '../../raft/types.js';
import { TestCluster, bytes } from './helpers/cluster.js';

/** Steps of one random schedule: bounded so the whole file stays well under a second per seed. */
const STEPS_MAX = 1500;

interface Violations {
  readonly list: string[];
  leaders: number;
  commits: number;
  snapshots: number;
}

const key = (e: Entry): string => `${e.term}:${e.type === 'normal' ? [...e.data].join('.') : JSON.stringify(e.change)}`;

/**
 * A random schedule (ticks, proposals, reordering, loss, duplication, crashes,
 * log compaction)
 * with the properties of Raft Figure 3 checked after every step.
 */
function runChecked(seed: number): Violations {
  const rng = new SeededRng(seed);
  const ids = [1, 2, 3, 4, 5];
  const c = new TestCluster(ids, { preVote: rng.chance(0.5), checkQuorum: rng.chance(0.5), maxInflightMsgs: 4, maxMsgBytes: 64 });
  const v: Violations = { list: [], leaders: 0, commits: 0, snapshots: 0 };
  const leaderOfTerm = new Map<number, number>();
  const committed = new Map<number, string>(); // index -> term:data, as applied anywhere
  const seenLeader = new Set<string>();
  const pending: Message[] = [];
  for (let step = 0; step < STEPS_MAX && v.list.length === 0; step++) {
    const roll = rng.next();
    if (roll < 0.35) {
      c.tick(rng.intBetween(1, 6));
    } else if (roll < 0.42) {
      const leader = c.leader();
      if (leader !== undefined) c.n(leader).node.propose(bytes(`${step}`));
    } else if (roll < 0.425 && c.down.size < 2) {
      const id = rng.intBetween(1, 6);
      if (!c.down.has(id)) c.crash(id);
    } else if (roll < 0.44 && c.down.size > 0) {
      c.restart([...c.down][0]!);
    } else if (roll < 0.46) {
      // Log compaction: snapshot what is applied, keep a few entries for slow followers.
      const id = rng.intBetween(1, 6);
      const s = c.n(id).status();
      if (!c.down.has(id) && s.applied > s.snapshotIndex + 3) {
        c.n(id).snapshotAt(s.applied);
        c.n(id).disk.compact(s.applied - rng.intBetween(0, 3));
      }
    } else if (pending.length > 0) {
      const [m] = pending.splice(rng.intBetween(0, pending.length), 1);
      if (m === undefined) continue;
      const lost = c.down.has(m.to) || rng.chance(0.05);
      if (!lost) {
        c.deliver(m);
        if (rng.chance(0.03)) pending.push(m); // duplicated
      }
      // The host's transport reports what became of a snapshot it streamed.
      if (m.type === 'snap' && !c.down.has(m.from)) {
        v.snapshots++;
        c.n(m.from).node.reportSnapshot(m.to, !lost);
      }
    }
    for (const [id, node] of c.nodes) {
      if (c.down.has(id)) continue;
      node.drain();
      pending.push(...node.outbox);
      node.outbox = [];
      // State Machine Safety: one entry per index, whoever applied it.
      for (const e of node.applied) {
        const k = key(e);
        const prior = committed.get(e.index);
        if (prior === undefined) {
          committed.set(e.index, k);
          v.commits++;
        } else if (prior !== k) v.list.push(`seed ${seed} step ${step}: n${id} applied ${k} at ${e.index}, others ${prior}`);
      }
      node.applied.length = 0;
      const s = node.status();
      if (s.role !== 'leader') continue;
      // Election Safety: at most one leader per term.
      const other = leaderOfTerm.get(s.term);
      if (other !== undefined && other !== id) v.list.push(`seed ${seed}: n${other} and n${id} both lead term ${s.term}`);
      leaderOfTerm.set(s.term, id);
      // Leader Completeness: a new leader holds every committed entry.
      if (!seenLeader.has(`${s.term}`)) {
        seenLeader.add(`${s.term}`);
        v.leaders++;
        for (const [index, k] of committed) {
          if (index < node.disk.firstIndex()) continue; // covered by its snapshot
          const term = node.disk.term(index);
          if (`${term}` !== k.split(':')[0]) v.list.push(`seed ${seed}: leader n${id} of term ${s.term} lacks committed ${index} (${k})`);
        }
      }
    }
  }
  // Log Matching: two logs with an entry of the same index and term agree on everything before it.
  for (const a of ids) {
    for (const b of ids) {
      if (a >= b) continue;
      const da = c.n(a).disk;
      const db = c.n(b).disk;
      const last = Math.min(da.lastIndex(), db.lastIndex());
      let agreeFrom = 0;
      for (let i = last; i >= Math.max(da.firstIndex(), db.firstIndex()); i--) {
        if (da.term(i) === db.term(i)) {
          agreeFrom = i;
          break;
        }
      }
      const first = Math.max(da.firstIndex(), db.firstIndex());
      for (let i = first; i <= agreeFrom; i++) {
        if (da.term(i) !== db.term(i)) v.list.push(`seed ${seed}: n${a} and n${b} match at ${agreeFrom} but differ at ${i}`);
      }
    }
  }
  return v;
}

test('Figure 3 properties (Election Safety, Log Matching, Leader Completeness, State Machine Safety) hold under random loss, reordering, duplication, crashes and compaction', (t) => {
  let leaders = 0;
  let commits = 0;
  let snapshots = 0;
  // RAFT_SAFETY_SEEDS widens the search by hand (e.g. 500); the default keeps `npx ava` quick.
  const seeds = Number(process.env['RAFT_SAFETY_SEEDS'] ?? 12);
  for (let seed = 1; seed <= seeds; seed++) {
    const v = runChecked(seed);
    t.deepEqual(v.list, [], `seed ${seed}`);
    leaders += v.leaders;
    commits += v.commits;
    snapshots += v.snapshots;
  }
  // The schedules did something: several leaderships and many committed entries.
  t.true(leaders >= 12, `${leaders} leaderships`);
  t.true(commits >= 100, `${commits} committed entries`);
  t.log(`${seeds} seeds: ${leaders} leaderships, ${commits} committed entries, ${snapshots} snapshots sent`);
});
