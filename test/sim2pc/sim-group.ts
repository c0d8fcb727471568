import { assert } from '../../raft/assert.js';
import { APPLY_ERROR_CODES, decode, encode, sessionCmdKeys, type ApplyResult, type EntryCmd, type SessionCmd } from '../../src/kv/kv-command.js';
import { KvStateMachine } from '../../src/participant/kv-state-machine.js';
import type { TxnCmd, TxnResult } from '../../src/txn/txn-command.js';
import type { TxnGroupClient } from '../../src/txn/txn-client.js';
import { TxnParticipant, type TxnParticipantOptions } from '../../src/txn/txn-participant.js';
import type { Sim2pcWorld } from './sim2pc-world.js';

/** What a front door (or another group) asks a group's leader. */
export type GroupRequest =
  | { readonly kind: 'txn'; readonly cmd: TxnCmd }
  | { readonly kind: 'status'; readonly txn: string; readonly groups: readonly number[] }
  | { readonly kind: 'read'; readonly keys: readonly Buffer[] }
  | { readonly kind: 'write1'; readonly cmd: SessionCmd };

export type GroupReply = TxnResult | { readonly type: 'values'; readonly values: (Buffer | null)[] } | ApplyResult;

/** Observes every applied entry of every group (the checker's way in): `before` sees the state it applies to. */
export interface ApplyObserver {
  before(group: SimGroup, index: number, cmd: EntryCmd): unknown;
  after(group: SimGroup, index: number, cmd: EntryCmd, result: ApplyResult, ctx: unknown): void;
}

export class GroupDown extends Error {
  constructor(g: number) {
    super(`group ${g} has no leader`);
  }
}

interface Proposal {
  readonly data: Uint8Array;
  readonly epoch: number;
  readonly resolve: (r: ApplyResult[]) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * A Raft group as the 2PC protocol sees it: a replicated log stand-in with
 * the real KV state machine (and so the real transaction table) applying
 * entries in order, and a leader that fails over. A failover drops the
 * leader's pending proposals' answers; each such entry is still committed
 * later or never (chosen by the seed), as in Raft. The leader runs the
 * shipped TxnParticipant; a new leader gets a fresh one (fresh lock clocks).
 * The log itself is durable: Raft's own simulator proves that part.
 */
export class SimGroup {
  readonly sm = new KvStateMachine();
  #epoch = 1;
  #downUntil = 0;
  #lastCommitAt = 0;
  #appliedWaiters: (() => void)[] = [];
  participant: TxnParticipant;
  failovers = 0;

  constructor(
    readonly id: number,
    private readonly world: Sim2pcWorld,
    private readonly clientFor: (from: SimGroup) => TxnGroupClient,
    private readonly opts: TxnParticipantOptions,
    private readonly observe: ApplyObserver,
  ) {
    this.participant = this.#newParticipant();
  }

  get up(): boolean {
    return this.world.now >= this.#downUntil;
  }

  get epoch(): number {
    return this.#epoch;
  }

  #newParticipant(): TxnParticipant {
    const epoch = this.#epoch;
    const alive = (): boolean => this.#epoch === epoch;
    return new TxnParticipant(
      {
        groupId: this.id,
        table: () => this.sm.txns,
        propose: async (cmd, deadline) => {
          const results = await this.propose(encode(cmd), deadline);
          return results[0] as TxnResult;
        },
        isLeader: () => alive() && this.up,
        appliedOrAfter: (ms) =>
          new Promise<void>((resolve) => {
            this.#appliedWaiters.push(resolve);
            this.world.at(ms, resolve);
          }),
      },
      this.clientFor(this),
      this.world.env(alive),
      this.opts,
    );
  }

  /** The leader is lost: answers in flight are lost, no leader for `downMs`, then a new one. */
  failover(downMs: number): void {
    this.failovers++;
    this.#epoch++;
    this.#downUntil = this.world.now + downMs;
    this.participant = this.#newParticipant();
  }

  /** Replicates data; resolves with its results once applied, if the leader that took it still leads. */
  propose(data: Uint8Array, deadlineMs: number): Promise<ApplyResult[]> {
    if (!this.up) return Promise.reject(new GroupDown(this.id));
    return new Promise<ApplyResult[]>((resolve, reject) => {
      const p: Proposal = { data, epoch: this.#epoch, resolve, reject };
      const at = Math.max(this.#lastCommitAt, this.world.now + this.world.rng.intBetween(1, 6));
      this.#lastCommitAt = at;
      this.world.at(at - this.world.now, () => this.#commit(p));
      this.world.at(Math.max(0, deadlineMs - this.world.now), () => reject(new Error('proposal timed out')));
    });
  }

  #commit(p: Proposal): void {
    if (p.epoch !== this.#epoch) {
      p.reject(new GroupDown(this.id));
      // A lost leader's entry: committed by its successor, or overwritten.
      if (this.world.rng.chance(0.5)) return;
    }
    const index = this.sm.appliedIndex + 1;
    const cmd = decode(p.data);
    assert(cmd.op !== 'batch', 'sim group: no batches here');
    const ctx = this.observe.before(this, index, cmd);
    const results = this.sm.apply(index, p.data);
    this.observe.after(this, index, cmd, results[0]!, ctx);
    this.sm.checkInvariants();
    if (this.world.rng.chance(0.03)) {
      // Now and then the state goes through a snapshot and back (InstallSnapshot, restart): transactions must survive it.
      const counts = [this.sm.txns.preparedCount, this.sm.txns.decisionCount, this.sm.txns.lockedKeys, this.sm.size];
      this.sm.restore(this.sm.snapshot());
      const again = [this.sm.txns.preparedCount, this.sm.txns.decisionCount, this.sm.txns.lockedKeys, this.sm.size];
      assert(counts.join() === again.join(), () => `sim group ${this.id}: snapshot round trip changed ${counts.join()} to ${again.join()}`);
    }
    if (p.epoch === this.#epoch) p.resolve(results);
    const waiters = this.#appliedWaiters;
    this.#appliedWaiters = [];
    for (const w of waiters) w();
  }

  /** Serves a request at the leader (the network delivers it only while the group is up). */
  async handle(req: GroupRequest, deadlineMs: number): Promise<GroupReply> {
    const part = this.participant;
    switch (req.kind) {
      case 'txn':
        return part.serve(req.cmd, deadlineMs);
      case 'status':
        return part.status(req.txn, req.groups, deadlineMs);
      case 'read': {
        await part.waitUnlocked(req.keys, false, deadlineMs);
        if (!this.up) throw new GroupDown(this.id);
        return { type: 'values', values: req.keys.map((k) => this.sm.get(k)?.[0] ?? null) };
      }
      case 'write1': {
        const keys = sessionCmdKeys(req.cmd);
        for (;;) {
          await part.waitUnlocked(keys, true, deadlineMs);
          const [r] = await this.propose(encode(req.cmd), deadlineMs);
          if (r?.type === 'error' && r.code === APPLY_ERROR_CODES.locked) continue;
          return r!;
        }
      }
    }
  }

  sweep(): void {
    if (this.up) this.participant.sweep();
  }
}
