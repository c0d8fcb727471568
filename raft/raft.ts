import { assert, assertNever } from './assert.js';
import { applyConfChange, confChangeProblem, isMember, isVoter } from './conf-change.js';
import { validateRaftConfig } from './config.js';
import type { RaftConfig } from './config.js';
import { handleAppend, handleHeartbeat, handleSnapshot } from './follower.js';
import type { LogStorage } from './log-storage.js';
import { RaftLog } from './log.js';
import type { Message, VoteMsg, PreVoteMsg } from './messages.js';
import { Progress } from './progress.js';
import { voteResult } from './quorum.js';
import { ReadIndexTracker } from './read-index.js';
import type { ProposeResult } from './ready.js';
import { bcastAppend, bcastHeartbeat, maybeCommit, sendAppend, sendTimeoutNow, stepLeader } from './replication.js';
import { NONE } from './types.js';
import type { ConfChange, ConfState, Entry, NodeId, ReadState, Role } from './types.js';

/** Pending ReadIndex requests one leader holds at most. */
const READS_PENDING_MAX = 1_000_000;

type CampaignKind = 'preElection' | 'election' | 'transfer';

/** Distributive Omit: keeps each member of a message union apart. */
type Unsent<M> = M extends Message ? Omit<M, 'from' | 'term'> & { term?: number } : never;

/**
 * The Raft state machine of one node (Raft Figure 2 and the dissertation's
 * extensions). Pure and synchronous: inputs are method calls, outputs pile up
 * in `msgs`, `readStates` and the log until the RawNode hands them out.
 */
export class Raft {
  readonly id: NodeId;
  readonly cfg: RaftConfig;
  /** Invariant: never decreases. */
  term = 0;
  /** Candidate voted for in `term`, or NONE. Invariant: a candidate or leader voted for itself. */
  vote: NodeId = NONE;
  leaderId: NodeId = NONE;
  role: Role = 'follower';
  readonly log: RaftLog;
  /** Membership as of log.applied (or of the snapshot being restored). */
  conf: ConfState;
  /** Leader only: one entry per member, self included. */
  readonly progress = new Map<NodeId, Progress>();
  /** Candidate / pre-candidate only: who granted (true) or refused (false). */
  readonly votes = new Map<NodeId, boolean>();
  msgs: Message[] = [];
  readStates: ReadState[] = [];
  droppedReads: number[] = [];
  /** Ticks since the last election timeout (leader) or since hearing from a leader / granting a vote. */
  electionElapsed = 0;
  heartbeatElapsed = 0;
  /** Heartbeat intervals elapsed (the leader's clock for rate limits). */
  heartbeatIntervals = 0;
  randomizedElectionTimeout = 0;
  /** Leader only: the member leadership is being handed to, or NONE. */
  leadTransferee: NodeId = NONE;
  /** Leader only: index of the last conf change proposed; no new one until it is applied. */
  pendingConfIndex = 0;
  readIndex: ReadIndexTracker = new ReadIndexTracker(READS_PENDING_MAX);
  /**
   * Elections this node started as a candidate (term bumped: timeouts and
   * transfers; a PreVote round that fails is not one). For the host's
   * metrics. Invariant: never decreases; not persisted (counts since start).
   */
  electionsStarted = 0;

  constructor(cfg: RaftConfig, storage: LogStorage) {
    validateRaftConfig(cfg);
    this.cfg = cfg;
    this.id = cfg.id;
    this.log = new RaftLog(storage, cfg.applied);
    const hs = storage.hardState();
    this.term = hs.term;
    this.vote = hs.vote;
    this.conf = storage.snapshot().meta.conf;
    this.replayConfChanges(storage.snapshot().meta.index, cfg.applied);
    this.becomeFollower(this.term, NONE);
  }

  /** Membership as of `applied`: the snapshot's, plus conf entries after it already applied. */
  private replayConfChanges(snapshotIndex: number, applied: number): void {
    if (applied <= snapshotIndex) return;
    const ents = this.log.slice(snapshotIndex + 1, applied + 1, Number.MAX_SAFE_INTEGER);
    assert(ents !== undefined, 'raft: entries after the snapshot are compacted');
    for (const e of ents) if (e.type === 'conf') this.conf = applyConfChange(this.conf, e.change);
  }

  // ---- outputs -------------------------------------------------------------

  send(m: Unsent<Message>): void {
    const msg = { ...m, from: this.id, term: m.term ?? this.term } as Message;
    assert(msg.to !== this.id, () => `raft: message to self: ${msg.type}`);
    this.msgs.push(msg);
  }

  // ---- role transitions ------------------------------------------------------

  private reset(term: number): void {
    if (term !== this.term) {
      assert(term > this.term, () => `raft: term going back from ${this.term} to ${term}`);
      this.term = term;
      this.vote = NONE;
    }
    if (this.role === 'leader') {
      for (const ctx of this.readIndex.drain()) this.droppedReads.push(ctx);
    }
    this.leaderId = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.cfg.rng.intBetween(this.cfg.electionTicks, 2 * this.cfg.electionTicks);
    this.leadTransferee = NONE;
    this.votes.clear();
    this.progress.clear();
    this.pendingConfIndex = 0;
  }

  becomeFollower(term: number, leaderId: NodeId): void {
    this.reset(term);
    this.role = 'follower';
    this.leaderId = leaderId;
  }

  /** PreVote (dissertation §9.6): changes neither term nor vote. */
  private becomePreCandidate(): void {
    assert(this.role !== 'leader', 'raft: leader cannot become pre-candidate');
    this.votes.clear();
    this.leaderId = NONE;
    this.role = 'preCandidate';
  }

  private becomeCandidate(): void {
    assert(this.role !== 'leader', 'raft: leader cannot become candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
    this.electionsStarted++;
  }

  private becomeLeader(): void {
    assert(this.role === 'candidate', () => `raft: ${this.role} cannot become leader`);
    this.reset(this.term);
    this.role = 'leader';
    this.leaderId = this.id;
    this.readIndex = new ReadIndexTracker(READS_PENDING_MAX);
    const last = this.log.lastIndex();
    for (const id of [...this.conf.voters, ...this.conf.learners]) {
      const pr = new Progress(last + 1, this.cfg.maxInflightMsgs, this.conf.learners.includes(id));
      if (id === this.id) {
        // Only what is on disk counts as our own acknowledgement.
        pr.match = this.log.persistedIndex();
        pr.recentActive = true;
      }
      this.progress.set(id, pr);
    }
    // Conf changes proposed by earlier leaders must be applied before we propose one.
    this.pendingConfIndex = last;
    // A no-op of our term lets us commit (and learn) entries of earlier terms (Raft §5.4.2, §8).
    this.appendEntries([{ type: 'normal', term: this.term, index: last + 1, data: new Uint8Array(0) }]);
    bcastAppend(this);
  }

  // ---- time ---------------------------------------------------------------

  tick(): void {
    if (this.role === 'leader') this.tickLeader();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.campaign(this.cfg.preVote ? 'preElection' : 'election');
    }
  }

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.cfg.electionTicks) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum && !this.quorumActive()) {
        this.becomeFollower(this.term, NONE);
        return;
      }
      // A transfer that did not finish within an election timeout is abandoned (dissertation §3.10).
      this.leadTransferee = NONE;
    }
    if (this.heartbeatElapsed >= this.cfg.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.heartbeatIntervals++;
      bcastHeartbeat(this);
    }
  }

  /** CheckQuorum: did a majority of voters talk to us this election timeout? Resets the marks. */
  private quorumActive(): boolean {
    let active = 0;
    for (const id of this.conf.voters) {
      const pr = this.progress.get(id);
      if (id === this.id || pr?.recentActive === true) active++;
    }
    for (const [id, pr] of this.progress) pr.recentActive = id === this.id;
    return active >= Math.floor(this.conf.voters.length / 2) + 1;
  }

  // ---- elections ------------------------------------------------------------

  /** May this node campaign? Only voters, and not while a membership change awaits application. */
  promotable(): boolean {
    if (!isVoter(this.conf, this.id)) return false;
    if (this.log.unstable.snapshot !== undefined) return false;
    if (this.log.committed > this.log.applied) {
      const pending = this.log.slice(this.log.applied + 1, this.log.committed + 1, Number.MAX_SAFE_INTEGER);
      if (pending === undefined || pending.some((e) => e.type === 'conf')) return false;
    }
    return true;
  }

  campaign(kind: CampaignKind): void {
    if (!this.promotable()) return;
    let term: number;
    if (kind === 'preElection') {
      this.becomePreCandidate();
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      term = this.term;
    }
    this.votes.set(this.id, true);
    if (voteResult(this.conf.voters, this.votes) === 'won') {
      this.wonVote();
      return;
    }
    const lastLogIndex = this.log.lastIndex();
    const lastLogTerm = this.log.lastTerm();
    for (const to of this.conf.voters) {
      if (to === this.id) continue;
      if (kind === 'preElection') this.send({ type: 'preVote', to, term, lastLogIndex, lastLogTerm });
      else this.send({ type: 'vote', to, term, lastLogIndex, lastLogTerm, transfer: kind === 'transfer' });
    }
  }

  private wonVote(): void {
    if (this.role === 'preCandidate') this.campaign('election');
    else this.becomeLeader();
  }

  /** RequestVote receiver (Raft §5.2, §5.4.1), for real and pre-votes. */
  private handleVoteRequest(m: VoteMsg | PreVoteMsg): void {
    const pre = m.type === 'preVote';
    const canVote =
      this.vote === m.from ||
      (this.vote === NONE && this.leaderId === NONE) ||
      (pre && m.term > this.term);
    const respType = pre ? 'preVoteResp' : 'voteResp';
    if (canVote && this.log.isUpToDate(m.lastLogIndex, m.lastLogTerm)) {
      this.send({ type: respType, to: m.from, term: m.term, reject: false });
      if (!pre) {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: respType, to: m.from, reject: true });
    }
  }

  // ---- messages ---------------------------------------------------------------

  step(m: Message): void {
    assert(m.to === this.id, () => `raft: message for ${m.to} stepped into ${this.id}`);
    if (m.term > this.term) {
      if (m.type === 'preVote' || m.type === 'vote') {
        const force = m.type === 'vote' && m.transfer;
        const inLease = this.cfg.checkQuorum && this.leaderId !== NONE && this.electionElapsed < this.cfg.electionTicks;
        // A voter that hears from a live leader ignores disruptive candidates (dissertation §4.2.3).
        if (!force && inLease) return;
      }
      if (m.type === 'preVote' || (m.type === 'preVoteResp' && !m.reject)) {
        // A pre-vote (or its grant) is about a future term: our term stays.
      } else if (m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NONE);
      }
    } else if (m.term < this.term) {
      if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === 'app' || m.type === 'heartbeat')) {
        // A stale leader (e.g. healed from a partition) learns our term and steps down.
        this.send({ type: 'appResp', to: m.from, index: 0, reject: false, hintIndex: 0, hintTerm: 0 });
      } else if (m.type === 'preVote') {
        this.send({ type: 'preVoteResp', to: m.from, reject: true });
      }
      return;
    }

    if (m.type === 'preVote' || m.type === 'vote') {
      this.handleVoteRequest(m);
      return;
    }
    switch (this.role) {
      case 'leader':
        stepLeader(this, m);
        return;
      case 'candidate':
      case 'preCandidate':
        this.stepCandidate(m);
        return;
      case 'follower':
        this.stepFollower(m);
        return;
      default:
        assertNever(this.role, 'role');
    }
  }

  private stepCandidate(m: Message): void {
    switch (m.type) {
      case 'app':
        this.becomeFollower(m.term, m.from);
        handleAppend(this, m);
        return;
      case 'heartbeat':
        this.becomeFollower(m.term, m.from);
        handleHeartbeat(this, m);
        return;
      case 'snap':
        this.becomeFollower(m.term, m.from);
        handleSnapshot(this, m);
        return;
      case 'voteResp':
      case 'preVoteResp': {
        const mine = this.role === 'preCandidate' ? 'preVoteResp' : 'voteResp';
        if (m.type !== mine) return;
        this.votes.set(m.from, !m.reject);
        const result = voteResult(this.conf.voters, this.votes);
        if (result === 'won') this.wonVote();
        else if (result === 'lost') this.becomeFollower(this.term, NONE);
        return;
      }
      case 'appResp':
      case 'heartbeatResp':
      case 'timeoutNow':
      case 'preVote':
      case 'vote':
        return;
      default:
        assertNever(m, 'message');
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'app':
        this.electionElapsed = 0;
        this.leaderId = m.from;
        handleAppend(this, m);
        return;
      case 'heartbeat':
        this.electionElapsed = 0;
        this.leaderId = m.from;
        handleHeartbeat(this, m);
        return;
      case 'snap':
        this.electionElapsed = 0;
        this.leaderId = m.from;
        handleSnapshot(this, m);
        return;
      case 'timeoutNow':
        // The leader hands over: campaign now, skipping PreVote (dissertation §3.10).
        this.campaign('transfer');
        return;
      case 'appResp':
      case 'heartbeatResp':
      case 'voteResp':
      case 'preVoteResp':
      case 'preVote':
      case 'vote':
        return;
      default:
        assertNever(m, 'message');
    }
  }

  // ---- proposals ---------------------------------------------------------------

  /**
   * Appends entries of the current term to the leader's log. They count
   * toward commit for the leader itself only once persisted (onPersisted):
   * a majority of followers may commit them first (Raft thesis §10.2.1).
   */
  appendEntries(ents: readonly Entry[]): void {
    assert(this.role === 'leader', 'raft: only a leader appends its own entries');
    this.log.append(ents);
  }

  /** The host has made the log durable through (index, term): the leader's own acknowledgement. */
  onPersisted(index: number, term: number): void {
    if (this.role !== 'leader' || this.log.term(index) !== term) return;
    const self = this.progress.get(this.id);
    if (self === undefined || !self.maybeUpdate(index)) return;
    if (maybeCommit(this)) {
      // Followers holding entries still to be sent get the new commit with them.
      for (const [id] of this.progress) if (id !== this.id) sendAppend(this, id, false);
    }
  }

  private refuse(code: 'notLeader' | 'transferring' | 'tooManyUncommitted' | 'confChangePending' | 'invalidConfChange'): ProposeResult {
    return { ok: false, code, leaderId: this.leaderId };
  }

  private proposalProblem(count: number): ProposeResult | undefined {
    if (this.role !== 'leader') return this.refuse('notLeader');
    if (this.leadTransferee !== NONE) return this.refuse('transferring');
    if (this.log.lastIndex() - this.log.committed + count > this.cfg.maxUncommittedEntries) {
      return this.refuse('tooManyUncommitted');
    }
    return undefined;
  }

  propose(datas: readonly Uint8Array[]): ProposeResult {
    assert(datas.length > 0, 'raft: empty proposal');
    const problem = this.proposalProblem(datas.length);
    if (problem !== undefined) return problem;
    const first = this.log.lastIndex() + 1;
    const ents: Entry[] = datas.map((data, k) => ({ type: 'normal', term: this.term, index: first + k, data }));
    this.appendEntries(ents);
    bcastAppend(this);
    return { ok: true, index: first, term: this.term };
  }

  proposeConfChange(change: ConfChange): ProposeResult {
    const problem = this.proposalProblem(1);
    if (problem !== undefined) return problem;
    if (this.pendingConfIndex > this.log.applied) return this.refuse('confChangePending');
    if (confChangeProblem(this.conf, change) !== undefined) return this.refuse('invalidConfChange');
    const index = this.log.lastIndex() + 1;
    this.appendEntries([{ type: 'conf', term: this.term, index, change }]);
    this.pendingConfIndex = index;
    bcastAppend(this);
    return { ok: true, index, term: this.term };
  }

  /** Applies a committed membership change as the host applies its entry. */
  applyConfChange(change: ConfChange): void {
    const before = this.conf;
    this.conf = applyConfChange(this.conf, change);
    if (this.role !== 'leader' || this.conf === before) return;
    const id = change.nodeId;
    switch (change.type) {
      case 'addLearner':
        if (!this.progress.has(id)) this.progress.set(id, new Progress(this.log.lastIndex() + 1, this.cfg.maxInflightMsgs, true));
        break;
      case 'promote': {
        const pr = this.progress.get(id);
        if (pr !== undefined) pr.learner = false;
        break;
      }
      case 'remove':
        this.progress.delete(id);
        if (this.leadTransferee === id) this.leadTransferee = NONE;
        break;
      default:
        assertNever(change, 'conf change');
    }
    if (!isMember(this.conf, this.id) || !isVoter(this.conf, this.id)) {
      // A removed (or demoted) leader tells followers the commit index, then steps down.
      bcastAppend(this);
      this.becomeFollower(this.term, NONE);
      return;
    }
    // The quorum changed: entries or reads may be confirmed now.
    if (maybeCommit(this)) bcastAppend(this);
    this.releaseReads();
  }

  // ---- reads and transfers ---------------------------------------------------------

  /** ReadIndex (dissertation §6.4). False if this node cannot take the read. */
  requestRead(ctx: number): boolean {
    if (this.role !== 'leader' || this.readIndex.full()) return false;
    if (this.log.term(this.log.committed) !== this.term) {
      // A new leader's commit index may lag until it commits an entry of its term.
      this.readIndex.waitingFirstCommit.push(ctx);
      return true;
    }
    if (this.conf.voters.length === 1 && this.conf.voters[0] === this.id) {
      // Sole voter, with an entry of its term committed: commit is current.
      this.readStates.push({ index: this.log.committed, ctx });
      return true;
    }
    this.readIndex.add(ctx, this.log.committed);
    bcastHeartbeat(this);
    return true;
  }

  /** Called when a leader first commits an entry of its term. */
  startWaitingReads(): void {
    const waiting = this.readIndex.waitingFirstCommit;
    if (waiting.length === 0) return;
    this.readIndex.waitingFirstCommit = [];
    for (const ctx of waiting) this.readIndex.add(ctx, this.log.committed);
    bcastHeartbeat(this);
    // A sole voter needs no one's acknowledgement.
    this.releaseReads();
  }

  releaseReads(): void {
    for (const rs of this.readIndex.release(this.conf.voters, this.id)) this.readStates.push(rs);
  }

  transferLeader(to: NodeId): void {
    if (this.role !== 'leader' || to === this.id || !isVoter(this.conf, to)) return;
    if (this.leadTransferee === to) return;
    this.leadTransferee = to;
    this.electionElapsed = 0;
    const pr = this.progress.get(to);
    assert(pr !== undefined, () => `raft: no progress for voter ${to}`);
    if (pr.match === this.log.lastIndex()) sendTimeoutNow(this, to);
    else sendAppend(this, to);
  }

  // ---- host reports ------------------------------------------------------------------

  reportUnreachable(id: NodeId): void {
    const pr = this.progress.get(id);
    if (this.role === 'leader' && pr !== undefined && pr.state === 'replicate') pr.becomeProbe();
  }

  reportSnapshot(id: NodeId, ok: boolean): void {
    const pr = this.progress.get(id);
    if (this.role !== 'leader' || pr === undefined || pr.state !== 'snapshot') return;
    if (!ok) pr.pendingSnapshot = 0;
    pr.becomeProbe();
    // Wait for the follower's answer (or a heartbeat response) before probing again.
    pr.probeSent = true;
  }

  // ---- invariants --------------------------------------------------------------------

  checkInvariants(): void {
    const log = this.log;
    assert(log.applied <= log.committed, () => `n${this.id}: applied ${log.applied} > commit ${log.committed}`);
    assert(log.committed <= log.lastIndex(), () => `n${this.id}: commit ${log.committed} > last ${log.lastIndex()}`);
    assert(log.firstIndex() - 1 <= log.lastIndex(), () => `n${this.id}: first ${log.firstIndex()} > last+1`);
    const voters = this.conf.voters;
    const learners = this.conf.learners;
    for (let k = 1; k < voters.length; k++) assert(voters[k - 1]! < voters[k]!, `n${this.id}: voters not sorted`);
    for (let k = 1; k < learners.length; k++) assert(learners[k - 1]! < learners[k]!, `n${this.id}: learners not sorted`);
    assert(!voters.some((v) => learners.includes(v)), `n${this.id}: a voter is also a learner`);
    switch (this.role) {
      case 'leader': {
        assert(this.vote === this.id, () => `n${this.id}: leader of term ${this.term} did not vote for itself`);
        assert(this.leaderId === this.id, `n${this.id}: leader does not name itself leader`);
        const self = this.progress.get(this.id);
        assert(self !== undefined && self.match <= log.lastIndex() && self.match >= log.persistedIndex(), () => `n${this.id}: leader's own match ${String(self?.match)} is not what it persisted (${log.persistedIndex()})`);
        for (const [id, pr] of this.progress) {
          assert(pr.match < pr.next, () => `n${this.id}: progress of ${id}: match ${pr.match} >= next ${pr.next}`);
          assert(pr.match <= log.lastIndex(), () => `n${this.id}: progress of ${id}: match beyond last index`);
          assert(isMember(this.conf, id), () => `n${this.id}: progress for non-member ${id}`);
        }
        break;
      }
      case 'candidate':
        assert(this.vote === this.id, `n${this.id}: candidate did not vote for itself`);
        assert(this.progress.size === 0, `n${this.id}: candidate tracks progress`);
        break;
      case 'preCandidate':
      case 'follower':
        assert(this.progress.size === 0, () => `n${this.id}: ${this.role} tracks progress`);
        break;
      default:
        assertNever(this.role, 'role');
    }
  }
}
