import { assert } from './assert.js';
import type { AppMsg, HeartbeatMsg, SnapMsg } from './messages.js';
import type { Raft } from './raft.js';

/** AppendEntries receiver (Raft Figure 2), answering with a backtracking hint on mismatch. */
export function handleAppend(r: Raft, m: AppMsg): void {
  if (m.prevLogIndex < r.log.committed) {
    // Everything through our commit already matches the leader.
    r.send({ type: 'appResp', to: m.from, index: r.log.committed, reject: false, hintIndex: 0, hintTerm: 0 });
    return;
  }
  const lastNew = r.log.maybeAppend(m.prevLogIndex, m.prevLogTerm, m.commit, m.entries);
  if (lastNew !== undefined) {
    r.send({ type: 'appResp', to: m.from, index: lastNew, reject: false, hintIndex: 0, hintTerm: 0 });
    return;
  }
  // Fast backtracking: point the leader at the last entry whose term is <= prevLogTerm,
  // skipping a whole term of conflicting entries per round trip.
  const probe = Math.min(m.prevLogIndex, r.log.lastIndex());
  const hintIndex = r.log.findConflictByTerm(probe, m.prevLogTerm);
  const hintTerm = r.log.term(hintIndex) ?? 0;
  r.send({ type: 'appResp', to: m.from, index: m.prevLogIndex, reject: true, hintIndex, hintTerm });
}

export function handleHeartbeat(r: Raft, m: HeartbeatMsg): void {
  // The leader sends at most what it knows we acknowledged: a commit past our
  // log means we lost acknowledged entries (a wiped or rolled-back data dir).
  assert(
    m.commit <= r.log.lastIndex(),
    () =>
      `n${r.id}: leader n${m.from} says entries through ${m.commit} are committed here, but this log ends with entry ${r.log.lastIndex()}: ` +
      'this node lost entries it had acknowledged (was its data dir wiped or restored from an older copy?). ' +
      'Remove it from the cluster and add it back with an empty data dir.',
  );
  r.log.commitTo(m.commit);
  r.send({ type: 'heartbeatResp', to: m.from, readRound: m.readRound });
}

/** InstallSnapshot receiver (Raft §7). */
export function handleSnapshot(r: Raft, m: SnapMsg): void {
  const { meta } = m.snapshot;
  if (meta.index <= r.log.committed) {
    r.send({ type: 'appResp', to: m.from, index: r.log.committed, reject: false, hintIndex: 0, hintTerm: 0 });
    return;
  }
  if (r.log.matchTerm(meta.index, meta.term)) {
    // We already hold the snapshot's last entry: keep our log (entries after it
    // may still conflict), just commit through it.
    r.log.commitTo(meta.index);
  } else {
    r.log.restore(m.snapshot);
    r.conf = meta.conf;
  }
  r.send({ type: 'appResp', to: m.from, index: r.log.committed, reject: false, hintIndex: 0, hintTerm: 0 });
}
