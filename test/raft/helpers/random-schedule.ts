import type { Message } from '../../../raft/messages.js';
import { SeededRng } from '../../../raft/rng.js';
import type { ConfChange, Entry, NodeId } from '../../../raft/types.js';
import { TestCluster, bytes } from './cluster.js';

/**
 * A seeded random schedule over a TestCluster: ticks, proposals, message
 * reordering, loss and duplication, crashes and restarts, log compaction and
 * (optionally) ReadIndex reads, leadership transfers and membership changes.
 * The properties of Raft Figure 3, plus linearizable reads, are checked after
 * every step; the first violations end the run.
 */
export interface ScheduleOptions {
  readonly seed: number;
  readonly steps: number;
  /** Reads, transfers and membership changes (nodes 4 and 5 start outside the group). */
  readonly extras: boolean;
}

export interface ScheduleReport {
  readonly violations: string[];
  leaders: number;
  commits: number;
  snapshots: number;
  reads: number;
  readsAnswered: number;
  transfers: number;
  confChanges: number;
}

const entryKey = (e: Entry): string => `${e.term}:${e.type === 'normal' ? [...e.data].join('.') : JSON.stringify(e.change)}`;

export function runSchedule(opts: ScheduleOptions): ScheduleReport {
  const { seed } = opts;
  const rng = new SeededRng(seed);
  const all: NodeId[] = [1, 2, 3, 4, 5];
  const config = {
    preVote: rng.chance(0.5),
    checkQuorum: rng.chance(0.5),
    maxInflightMsgs: rng.intBetween(1, 5),
    maxMsgBytes: 64,
    electionTicks: rng.intBetween(2, 11),
    heartbeatTicks: 1,
    maxUncommittedEntries: rng.intBetween(3, 50),
  };
  const c = new TestCluster(opts.extras ? [1, 2, 3] : all, config);
  if (opts.extras) for (const id of [4, 5]) c.addNode(id);
  const rep: ScheduleReport = { violations: [], leaders: 0, commits: 0, snapshots: 0, reads: 0, readsAnswered: 0, transfers: 0, confChanges: 0 };
  const fail = (what: string): void => void rep.violations.push(`seed ${seed}: ${what}`);
  const leaderOfTerm = new Map<number, NodeId>();
  const committed = new Map<number, string>(); // index -> term:data, as applied anywhere
  // index -> term of the first node seen holding it as committed: an upper bound on the
  // term it was committed in (the committing leader's), since followers learn commit later.
  const commitTermOf = new Map<number, number>();
  let commitSeen = 0;
  const readFloor = new Map<number, number>(); // read ctx -> commit index known anywhere when it was asked
  const everRemoved = new Set<NodeId>();
  const pending: Message[] = [];
  const live = (id: NodeId): boolean => !c.down.has(id);
  const knownCommit = (): number => Math.max(...all.map((id) => (live(id) ? c.n(id).status().commit : c.n(id).disk.hardState().commit)));

  for (let step = 0; step < opts.steps && rep.violations.length === 0; step++) {
    const roll = rng.next();
    const leader = c.leader();
    if (roll < 0.35) {
      const id = rng.pick(all);
      if (live(id)) c.tick(id);
    } else if (roll < 0.42) {
      if (leader !== undefined) c.n(leader).node.propose(bytes(`${step}`));
    } else if (roll < 0.425 && c.down.size < 2) {
      const id = rng.pick(all);
      if (live(id)) {
        const how = rng.intBetween(0, 3);
        if (how === 0) {
          // Dies holding a Ready it never handled: the step's effects are lost whole.
          const k = pending.findIndex((m) => m.to === id);
          if (k >= 0) c.deliver(pending.splice(k, 1)[0]!);
        } else if (how === 1) {
          // Dies after persisting, before its messages leave.
          for (let k = pending.length - 1; k >= 0; k--) if (pending[k]!.from === id) pending.splice(k, 1);
        }
        c.crash(id);
      }
    } else if (roll < 0.44 && c.down.size > 0) {
      c.restart([...c.down][0]!);
    } else if (roll < 0.46) {
      // Log compaction: snapshot what is applied, keep a few entries for slow followers.
      const id = rng.pick(all);
      const s = c.n(id).status();
      if (live(id) && s.applied > s.snapshotIndex + 3) {
        c.n(id).snapshotAt(s.applied);
        c.n(id).disk.compact(s.applied - rng.intBetween(0, 3));
      }
    } else if (opts.extras && roll < 0.48) {
      if (leader !== undefined && c.n(leader).node.readIndex(step)) {
        readFloor.set(step, knownCommit());
        rep.reads++;
      }
    } else if (opts.extras && roll < 0.485) {
      if (leader !== undefined) {
        c.n(leader).node.transferLeader(rng.pick(all));
        rep.transfers++;
      }
    } else if (opts.extras && roll < 0.495) {
      if (leader !== undefined) {
        const conf = c.n(leader).status().conf;
        const outside = all.filter((id) => !conf.voters.includes(id) && !conf.learners.includes(id) && !everRemoved.has(id));
        let cc: ConfChange | undefined;
        if (conf.learners.length > 0) cc = { type: 'promote', nodeId: rng.pick(conf.learners) };
        else if (outside.length > 0) cc = { type: 'addLearner', nodeId: rng.pick(outside) };
        else if (conf.voters.length > 3) cc = { type: 'remove', nodeId: rng.pick(conf.voters) };
        if (cc !== undefined && c.n(leader).node.proposeConfChange(cc).ok) {
          rep.confChanges++;
          if (cc.type === 'remove') everRemoved.add(cc.nodeId);
        }
      }
    } else if (pending.length > 0) {
      const [m] = pending.splice(rng.intBetween(0, pending.length), 1);
      const lost = m === undefined || !live(m.to) || rng.chance(0.05);
      if (m !== undefined && !lost) {
        c.deliver(m);
        if (rng.chance(0.03)) pending.push(m); // duplicated
      }
      // The host's transport reports what became of a snapshot it streamed.
      if (m !== undefined && m.type === 'snap' && live(m.from)) {
        rep.snapshots++;
        c.n(m.from).node.reportSnapshot(m.to, !lost);
      }
    }
    for (const id of all) {
      if (!live(id)) continue;
      const node = c.n(id);
      node.drain();
      pending.push(...node.outbox);
      node.outbox = [];
      // State Machine Safety: one entry per index, whoever applied it.
      for (const e of node.applied) {
        const k = entryKey(e);
        const prior = committed.get(e.index);
        if (prior === undefined) {
          committed.set(e.index, k);
          rep.commits++;
        } else if (prior !== k) fail(`step ${step}: n${id} applied ${k} at ${e.index}, others ${prior}`);
      }
      node.applied.length = 0;
      // Linearizable reads: a read sees every write committed before it was asked.
      for (const rs of node.readStates) {
        const floor = readFloor.get(rs.ctx);
        if (floor === undefined) fail(`n${id} answered unknown read ${rs.ctx}`);
        else if (rs.index < floor) fail(`step ${step}: n${id} answered read ${rs.ctx} at ${rs.index} < ${floor} committed before it`);
        rep.readsAnswered++;
      }
      node.readStates.length = 0;
      const s = node.status();
      for (; commitSeen < s.commit; commitSeen++) commitTermOf.set(commitSeen + 1, s.term);
      if (s.role !== 'leader') continue;
      // Election Safety: at most one leader per term.
      const other = leaderOfTerm.get(s.term);
      if (other === undefined) {
        leaderOfTerm.set(s.term, id);
        rep.leaders++;
        // Leader Completeness: a leader holds every entry committed in an earlier term
        // (its snapshot covers the oldest). A leader of an older term, elected late, need not.
        for (const [index, k] of committed) {
          if (index < node.disk.firstIndex() || (commitTermOf.get(index) ?? Infinity) >= s.term) continue;
          if (`${node.disk.term(index)}` !== k.split(':')[0]) fail(`leader n${id} of term ${s.term} lacks committed ${index} (${k})`);
        }
      } else if (other !== id) fail(`n${other} and n${id} both lead term ${s.term}`);
    }
  }
  // Log Matching: two logs with an entry of the same index and term agree on all entries before it.
  for (const a of all) {
    for (const b of all) {
      if (a >= b) continue;
      const da = c.n(a).disk;
      const db = c.n(b).disk;
      const first = Math.max(da.firstIndex(), db.firstIndex());
      let agree = 0;
      for (let i = Math.min(da.lastIndex(), db.lastIndex()); i >= first; i--) {
        if (da.term(i) === db.term(i)) {
          agree = i;
          break;
        }
      }
      for (let i = first; i <= agree; i++) if (da.term(i) !== db.term(i)) fail(`n${a} and n${b} match at ${agree} but differ at ${i}`);
    }
  }
  return rep;
}
