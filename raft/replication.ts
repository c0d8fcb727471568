import { assert, assertNever } from './assert.js';
import type { AppRespMsg, HeartbeatRespMsg, Message } from './messages.js';
import { isMember } from './conf-change.js';
import { quorumMatchIndex } from './quorum.js';
import type { Raft } from './raft.js';
import type { NodeId } from './types.js';

/**
 * The leader's half of log replication (Raft §5.3): AppendEntries,
 * snapshots for followers whose next entry is compacted, commit by counting
 * current-term entries only (§5.4.2), heartbeats that also confirm ReadIndex.
 */

/** Sends the follower what it lacks. Returns whether a message was sent. */
export function sendAppend(r: Raft, to: NodeId, sendIfEmpty = true): boolean {
  const pr = r.progress.get(to);
  assert(pr !== undefined, () => `raft: sendAppend to non-member ${to}`);
  if (pr.isPaused()) return false;
  const prevLogIndex = pr.next - 1;
  if (prevLogIndex === 0) {
    // The bootstrap membership lives in the snapshot at index 0, not in the
    // log: a follower replaying from index 1 learns it only from a snapshot.
    // Members of that bootstrap conf hold it already; a joiner must wait for one.
    const snap = r.log.snapshot();
    if (snap.meta.index > 0) return sendSnapshot(r, to);
    if (!isMember(snap.meta.conf, to)) return false;
  }
  const prevLogTerm = r.log.term(prevLogIndex);
  const entries = r.log.slice(pr.next, r.log.lastIndex() + 1, r.cfg.maxMsgBytes);
  if (prevLogTerm === undefined || entries === undefined) return sendSnapshot(r, to);
  if (entries.length === 0 && !sendIfEmpty) return false;
  r.send({ type: 'app', to, prevLogIndex, prevLogTerm, entries, commit: r.log.committed });
  const last = entries[entries.length - 1];
  switch (pr.state) {
    case 'replicate':
      if (last !== undefined) {
        pr.optimisticUpdate(last.index);
        pr.inflights.add(last.index);
      }
      break;
    case 'probe':
      pr.probeSent = true;
      break;
    case 'snapshot':
      assert(false, 'raft: append sent to a follower awaiting a snapshot');
      break;
    default:
      assertNever(pr.state, 'progress state');
  }
  return true;
}

function sendSnapshot(r: Raft, to: NodeId): boolean {
  const pr = r.progress.get(to)!;
  // A follower we have not heard from may be down: don't ship it a whole snapshot.
  if (!pr.recentActive) return false;
  const snapshot = r.log.snapshot();
  assert(snapshot.meta.index > 0, () => `raft: follower ${to} needs a snapshot but none exists`);
  r.send({ type: 'snap', to, snapshot });
  pr.becomeSnapshot(snapshot.meta.index);
  return true;
}

export function sendTimeoutNow(r: Raft, to: NodeId): void {
  r.send({ type: 'timeoutNow', to });
}

function peersOf(r: Raft): NodeId[] {
  return [...r.progress.keys()].filter((id) => id !== r.id).sort((a, b) => a - b);
}

export function bcastAppend(r: Raft): void {
  for (const id of peersOf(r)) sendAppend(r, id);
}

export function bcastHeartbeat(r: Raft): void {
  for (const id of peersOf(r)) {
    const pr = r.progress.get(id)!;
    // Never tell a follower to commit past what it is known to hold.
    const commit = Math.min(pr.match, r.log.committed);
    r.send({ type: 'heartbeat', to: id, commit, readRound: r.readIndex.round });
  }
}

/**
 * Advances commit to the highest index a quorum of voters holds, but only if
 * that entry is of the current term (Raft §5.4.2, Figure 8). Returns whether it moved.
 */
export function maybeCommit(r: Raft): boolean {
  const idx = quorumMatchIndex(r.conf.voters, (id) => r.progress.get(id)?.match ?? 0);
  if (idx <= r.log.committed || r.log.term(idx) !== r.term) return false;
  const firstOfTerm = r.log.term(r.log.committed) !== r.term;
  r.log.commitTo(idx);
  if (firstOfTerm) r.startWaitingReads();
  return true;
}

export function stepLeader(r: Raft, m: Message): void {
  switch (m.type) {
    case 'appResp':
      handleAppResp(r, m);
      return;
    case 'heartbeatResp':
      handleHeartbeatResp(r, m);
      return;
    case 'app':
    case 'heartbeat':
    case 'snap':
      assert(false, () => `raft: two leaders in term ${r.term}: n${r.id} and n${m.from}`);
      return;
    case 'voteResp':
    case 'preVoteResp':
    case 'timeoutNow':
    case 'preVote':
    case 'vote':
      return;
    default:
      assertNever(m, 'message');
  }
}

function handleAppResp(r: Raft, m: AppRespMsg): void {
  const pr = r.progress.get(m.from);
  if (pr === undefined) return;
  pr.recentActive = true;
  if (m.reject) {
    let hint = m.hintIndex;
    if (m.hintTerm > 0) hint = r.log.findConflictByTerm(m.hintIndex, m.hintTerm);
    if (pr.maybeDecrTo(m.index, hint)) {
      if (pr.state === 'replicate') pr.becomeProbe();
      sendAppend(r, m.from);
    }
    return;
  }
  const wasPaused = pr.isPaused();
  if (!pr.maybeUpdate(m.index)) return;
  if (pr.state === 'probe') {
    pr.becomeReplicate();
  } else if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) {
    pr.becomeReplicate();
  } else if (pr.state === 'replicate') {
    pr.inflights.freeLE(m.index);
  }
  if (maybeCommit(r)) {
    // Followers with entries to receive get the new commit with them; the
    // others learn it from the next append or heartbeat (one heartbeat
    // interval at most). An empty append per commit would double the
    // messages, socket writes and follower wake-ups of every write at low
    // load, and nothing a follower serves needs the commit index sooner:
    // reads and writes are served by the leader.
    for (const id of peersOf(r)) sendAppend(r, id, false);
  } else if (wasPaused) {
    sendAppend(r, m.from);
  }
  // Keep the pipeline full while the window allows.
  while (sendAppend(r, m.from, false)) {
    /* each call sends one more batch */
  }
  if (m.from === r.leadTransferee && pr.match === r.log.lastIndex()) sendTimeoutNow(r, m.from);
}

function handleHeartbeatResp(r: Raft, m: HeartbeatRespMsg): void {
  const pr = r.progress.get(m.from);
  if (pr === undefined) return;
  pr.recentActive = true;
  pr.probeSent = false;
  // The follower is alive but its acks may all have been lost: with a full
  // window nothing would ever be sent again. Free one slot so an append goes
  // out; a reject then sends us back to probing.
  if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirstOne();
  if (pr.match < r.log.lastIndex()) {
    if (pr.state !== 'replicate' || pr.next <= r.log.lastIndex()) {
      // A probe, or entries not sent yet (a window just freed).
      sendAppend(r, m.from);
    } else if (pr.resentInInterval !== r.heartbeatIntervals) {
      // Everything is in flight, but appends may have been lost: an append
      // (empty) draws a rejection or the acknowledgement we missed. Once per
      // heartbeat interval: heartbeats also confirm reads, many times a
      // second, and an empty append per answer costs a follower write and
      // wake-up each.
      pr.resentInInterval = r.heartbeatIntervals;
      sendAppend(r, m.from);
    }
  }
  if (!pr.learner && m.readRound > 0) {
    r.readIndex.ack(m.from, m.readRound);
    r.releaseReads();
  }
}
