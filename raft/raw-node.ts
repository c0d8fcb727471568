import { assert } from './assert.js';
import type { RaftConfig } from './config.js';
import type { LogStorage } from './log-storage.js';
import type { Message } from './messages.js';
import { Raft } from './raft.js';
import type { PeerStatus, ProposeResult, RaftStatus, Ready } from './ready.js';
import type { ConfChange, ConfState, HardState, NodeId, SoftState } from './types.js';

function sameHard(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

/**
 * The host's handle on the core (the shape of etcd's RawNode, raft-rs's
 * RawNode). The host owns the loop: feed inputs, then while hasReady():
 * ready() -> persist / send / apply -> advance(). Between ready() and
 * advance() nothing else may be fed in.
 */
/** Leader-only messages: they promise nothing about the sender's disk (raft-rs `messages` vs `persisted_messages`). */
const SEND_BEFORE_PERSIST: ReadonlySet<Message['type']> = new Set(['app', 'heartbeat', 'snap', 'timeoutNow']);

export class RawNode {
  private readonly raft: Raft;
  private prevHard: HardState;
  private prevSoft: SoftState;
  /** The Ready handed out and not yet advanced. */
  private inFlight: Ready | undefined;

  constructor(config: RaftConfig, storage: LogStorage) {
    this.raft = new Raft(config, storage);
    this.prevHard = storage.hardState();
    this.prevSoft = this.softState();
  }

  private idle(what: string): void {
    assert(this.inFlight === undefined, () => `raw node: ${what} between ready() and advance()`);
  }

  private hardState(): HardState {
    return { term: this.raft.term, vote: this.raft.vote, commit: this.raft.log.committed };
  }

  private softState(): SoftState {
    return { leaderId: this.raft.leaderId, role: this.raft.role };
  }

  tick(): void {
    this.idle('tick');
    this.raft.tick();
  }

  step(m: Message): void {
    this.idle('step');
    this.raft.step(m);
  }

  propose(data: Uint8Array): ProposeResult {
    this.idle('propose');
    return this.raft.propose([data]);
  }

  /** Many commands as consecutive entries, replicated together. */
  proposeBatch(datas: readonly Uint8Array[]): ProposeResult {
    this.idle('propose');
    return this.raft.propose(datas);
  }

  proposeConfChange(change: ConfChange): ProposeResult {
    this.idle('proposeConfChange');
    return this.raft.proposeConfChange(change);
  }

  /** Starts a linearizable read named ctx; false if this node cannot serve it (not leader). */
  readIndex(ctx: number): boolean {
    this.idle('readIndex');
    return this.raft.requestRead(ctx);
  }

  transferLeader(to: NodeId): void {
    this.idle('transferLeader');
    this.raft.transferLeader(to);
  }

  /** Campaign now (tests and operators); ignored by non-voters. */
  campaign(): void {
    this.idle('campaign');
    if (this.raft.role !== 'leader') this.raft.campaign(this.raft.cfg.preVote ? 'preElection' : 'election');
  }

  reportUnreachable(id: NodeId): void {
    this.idle('reportUnreachable');
    this.raft.reportUnreachable(id);
  }

  reportSnapshot(id: NodeId, ok: boolean): void {
    this.idle('reportSnapshot');
    this.raft.reportSnapshot(id, ok);
  }

  hasReady(): boolean {
    const r = this.raft;
    const soft = this.softState();
    return (
      r.msgs.length > 0 ||
      r.readStates.length > 0 ||
      r.droppedReads.length > 0 ||
      r.log.unstable.hasEntriesToPersist() ||
      r.log.unstable.snapshot !== undefined ||
      r.log.hasNextCommittedEntries() ||
      !sameHard(this.hardState(), this.prevHard) ||
      soft.role !== this.prevSoft.role ||
      soft.leaderId !== this.prevSoft.leaderId
    );
  }

  ready(): Ready {
    this.idle('ready');
    const r = this.raft;
    const hard = this.hardState();
    const soft = this.softState();
    const hardChanged = !sameHard(hard, this.prevHard);
    const entries = r.log.unstable.entriesToPersist();
    r.log.unstable.acceptInProgress();
    const snapshot = r.log.unstable.snapshot;
    const early: Message[] = [];
    const late: Message[] = [];
    for (const m of r.msgs) (SEND_BEFORE_PERSIST.has(m.type) ? early : late).push(m);
    const rd: Ready = {
      ...(soft.role !== this.prevSoft.role || soft.leaderId !== this.prevSoft.leaderId ? { softState: soft } : {}),
      ...(hardChanged ? { hardState: hard } : {}),
      entries,
      ...(snapshot !== undefined ? { snapshot } : {}),
      messages: early,
      persistedMessages: late,
      committedEntries: r.log.nextCommittedEntries(r.cfg.maxApplyBytes),
      readStates: r.readStates,
      droppedReads: r.droppedReads,
      mustSync:
        entries.length > 0 || snapshot !== undefined || hard.term !== this.prevHard.term || hard.vote !== this.prevHard.vote,
    };
    r.msgs = [];
    r.readStates = [];
    r.droppedReads = [];
    this.inFlight = rd;
    return rd;
  }

  /**
   * The host has sent and applied `rd`, and persisted it unless
   * `entriesPersisted` is false: then it reports the entries with
   * persistedTo() once they are durable (a leader only; anything else in
   * rd that needs the disk, hard state or snapshot, must be persisted now).
   */
  advance(rd: Ready, opts: { entriesPersisted?: boolean } = {}): void {
    assert(this.inFlight === rd, 'raw node: advance() without the matching ready()');
    this.inFlight = undefined;
    const r = this.raft;
    if (rd.hardState !== undefined) this.prevHard = rd.hardState;
    if (rd.softState !== undefined) this.prevSoft = rd.softState;
    if (rd.snapshot !== undefined) {
      r.log.unstable.stableSnapTo(rd.snapshot.meta.index);
      r.log.appliedTo(rd.snapshot.meta.index);
    }
    const last = rd.entries[rd.entries.length - 1];
    if (last !== undefined && opts.entriesPersisted !== false) this.entriesDurable(last.index, last.term);
    for (const e of rd.committedEntries) {
      r.log.appliedTo(e.index);
      if (e.type === 'conf') r.applyConfChange(e.change);
    }
  }

  /**
   * Entries through (index, term) handed out by an earlier ready() are now
   * durable. Reports must come in the order the Readies were handed out.
   */
  persistedTo(index: number, term: number): void {
    this.idle('persistedTo');
    this.entriesDurable(index, term);
  }

  private entriesDurable(index: number, term: number): void {
    const r = this.raft;
    r.log.unstable.stableTo(index, term);
    r.onPersisted(index, term);
  }

  /** Membership as of the applied index: what a snapshot taken now must record. */
  confState(): ConfState {
    return this.raft.conf;
  }

  status(): RaftStatus {
    const r = this.raft;
    const peers: PeerStatus[] = [...r.progress.entries()]
      .sort(([a], [b]) => a - b)
      .map(([id, pr]) => ({ id, learner: pr.learner, match: pr.match, next: pr.next, state: pr.state, recentActive: pr.recentActive }));
    return {
      id: r.id,
      role: r.role,
      term: r.term,
      vote: r.vote,
      leaderId: r.leaderId,
      commit: r.log.committed,
      applied: r.log.applied,
      firstIndex: r.log.firstIndex(),
      lastIndex: r.log.lastIndex(),
      snapshotIndex: r.log.snapshot().meta.index,
      conf: r.conf,
      peers,
      leadTransferee: r.leadTransferee,
      electionsStarted: r.electionsStarted,
    };
  }

  checkInvariants(): void {
    this.raft.checkInvariants();
  }
}
