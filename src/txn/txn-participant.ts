/**
 * A group leader's side of the transaction protocol: serves txn commands,
 * answers STATUS as the primary, makes reads and 1PC writes wait for the
 * locks on their keys, and resolves locks held past their bound.
 *
 * Lock ages are local: a leader notes when it first saw each record (so a
 * new leader starts every clock afresh, which only delays a resolution).
 * Nothing here is needed for safety, only for progress: safety is in the
 * replicated table (txn-table) and the order of the log.
 *
 * Resolution of a record held past `lockTimeoutMs`:
 *   read-only           -> RESOLVE(release) here;
 *   this group primary  -> DECIDE(abort) here (first decision wins);
 *   otherwise           -> STATUS at the primary (it records ABORT if it has
 *                          no decision), then RESOLVE here: apply only if the
 *                          decision is COMMIT with this record's own index.
 * A decision older than `decisionTimeoutMs` (its front door died before
 * spreading it) is spread from here and then forgotten.
 */
import { olderThan, type PrepareCmd, type TxnCmd, type TxnId, type TxnResult } from './txn-command.js';
import { isFlush } from './txn-program.js';
import { crashProcess, failLoudly, type TxnEnv, type TxnGroupClient } from './txn-client.js';
import { finishTxn } from './txn-driver.js';
import { txnFailpoints } from './txn-failpoints.js';
import type { PreparedTxn, TxnTable } from './txn-table.js';

export interface TxnParticipantHost {
  readonly groupId: number;
  /** The applied state's table (changes as entries apply). */
  table(): TxnTable;
  /** Replicates cmd in this group from its leader; resolves when applied here. */
  propose(cmd: TxnCmd, deadlineMs: number): Promise<TxnResult>;
  isLeader(): boolean;
  /** Resolves after the next entry applies here, or after ms. */
  appliedOrAfter(ms: number): Promise<void>;
}

export interface TxnParticipantOptions {
  /** A lock older than this (as seen by this leader) is resolved. */
  readonly lockTimeoutMs: number;
  /** A decision older than this is spread and forgotten from the primary. */
  readonly decisionTimeoutMs: number;
  /** A broken invariant in background work (default: crash the process). */
  readonly onFatal?: (err: unknown) => void;
}

export const DEFAULT_TXN_PARTICIPANT_OPTIONS: TxnParticipantOptions = { lockTimeoutMs: 800, decisionTimeoutMs: 3_000 };

export class LockedError extends Error {
  override readonly name = 'LockedError';
  readonly code = 'LOCKED';
  readonly retryable = true;
  constructor(readonly holder: TxnId) {
    super(`a key is locked by transaction ${holder} until its outcome is known`);
  }
}

export class TxnParticipant {
  /** Record or decision -> when this process first saw it. */
  readonly #firstSeen = new Map<string, number>();
  /** Resolutions in flight, so one record is resolved once at a time. */
  readonly #resolving = new Set<string>();
  #wasLeader = false;
  /** An idle group's FORGET that moves group time is in flight (one at a time). */
  #advancing = false;
  /** Totals, for INFO and tests. */
  resolvedLocks = 0;
  finishedDecisions = 0;
  /** Turns an older writer's PREPARE waited for a younger one's lock (wait-die). */
  waits = 0;

  constructor(
    private readonly host: TxnParticipantHost,
    private readonly client: TxnGroupClient,
    private readonly env: TxnEnv,
    private readonly opts: TxnParticipantOptions = DEFAULT_TXN_PARTICIPANT_OPTIONS,
  ) {}

  /** Runs a txn command sent to this group's leader. A read-only PREPARE first waits for the write locks on its keys. */
  async serve(cmd: TxnCmd, deadlineMs: number): Promise<TxnResult> {
    if (cmd.op === 'tprepare' && cmd.readOnly) await this.waitUnlocked(cmd.writes.map((w) => w.key), false, deadlineMs);
    if (cmd.op === 'tprepare' && !cmd.readOnly) await this.#waitIfOlder(cmd, deadlineMs);
    // The leader's time, written in the entry: a program's expiries are decided by it, the same on every replica;
    // the primary's PREPARE and FORGET move the group's time (txn-table), which bounds when a copy may commit.
    if (cmd.op === 'tforget' || cmd.op === 'tdecide') return this.host.propose({ ...cmd, stampMs: this.#stamp() }, deadlineMs);
    if (cmd.op === 'tspread') {
      const stampMs = this.#stamp();
      return this.host.propose({ op: 'tspread', steps: cmd.steps.map((s) => (s.op === 'tforget' ? { ...s, stampMs } : s)) }, deadlineMs);
    }
    if (cmd.op !== 'tprepare' || (cmd.program === undefined && cmd.commitWith === undefined)) return this.host.propose(cmd, deadlineMs);
    const now = this.env.now();
    return this.host.propose({ ...cmd, ...(cmd.program !== undefined ? { program: { ...cmd.program, nowMs: now } } : {}), ...(cmd.commitWith !== undefined ? { stampMs: Math.floor(now) } : {}) }, deadlineMs);
  }

  /** STATUS, as the primary: the decision held, or ABORT recorded now. */
  async status(txn: TxnId, groups: readonly number[], deadlineMs: number): Promise<TxnResult> {
    const d = this.host.table().decision(txn);
    if (d !== undefined) return { type: 'decided', commit: d.commit, indexes: d.indexes };
    return this.host.propose({ op: 'tdecide', txn, commit: false, groups, indexes: [], at: 0, stampMs: this.#stamp() }, deadlineMs);
  }

  /**
   * Waits until no transaction holds a lock that stops this access to the
   * keys (any lock for a write, a write lock for a read), driving the
   * resolution of locks held past their bound. Throws LockedError at the
   * deadline.
   */
  waitUnlocked(keys: readonly Uint8Array[], forWrite: boolean, deadlineMs: number): Promise<void> {
    return this.#waitWhile(() => this.blocker(keys, forWrite), deadlineMs);
  }

  /** The transaction whose lock stops a scan of slots [fromSlot, toSlot) now, if any (see TxnTable.scanBlocker). */
  scanBlocker(fromSlot: number, toSlot: number): TxnId | undefined {
    if (txnFailpoints.readsIgnoreLocks) return undefined;
    const t = this.host.table();
    return t.locked ? t.scanBlocker(fromSlot, toSlot) : undefined;
  }

  /** Waits as waitUnlocked does, for a scan of slots [fromSlot, toSlot). */
  waitScanUnlocked(fromSlot: number, toSlot: number, deadlineMs: number): Promise<void> {
    return this.#waitWhile(() => this.scanBlocker(fromSlot, toSlot), deadlineMs);
  }

  async #waitWhile(blocker: () => TxnId | undefined, deadlineMs: number): Promise<void> {
    for (;;) {
      const holder = blocker();
      if (holder === undefined) return;
      const left = deadlineMs - this.env.now();
      if (left <= 0) throw new LockedError(holder);
      const p = this.host.table().prepared(holder);
      if (p !== undefined && this.#age(`p:${p.txn}:${p.index}`) >= this.opts.lockTimeoutMs) this.#resolve(p, deadlineMs);
      await this.host.appliedOrAfter(Math.min(left, 10));
    }
  }

  /**
   * Wait-die for a writer's PREPARE, before it is proposed: while a lock
   * stops it, an older writer waits for a younger writer's lock to go (its
   * resolution driven as for any wait); against an older writer, a reader,
   * a FLUSHALL or a writer of unknown age it goes on at once, and the table
   * decides when it applies: CONFLICT (it dies), unless an entry ahead of
   * it in the log released the lock (the RESOLVE a front door sends in the
   * same frame, txn-outbox; dying here would abort every back-to-back
   * transaction over the same keys). Waits only go from older to younger
   * writers, and a reader never holds what it waits for, so no cycle of
   * waits can form.
   */
  async #waitIfOlder(cmd: PrepareCmd, deadlineMs: number): Promise<void> {
    const keys = cmd.writes.map((w) => w.key);
    const flush = isFlush(cmd.program);
    for (;;) {
      const t = this.host.table();
      if (!t.locked) return;
      const holder = flush ? t.anyHolder() : this.blocker(keys, true);
      // Our own record (a retried PREPARE): the table answers as it did the first time.
      if (holder === undefined || holder === cmd.txn) return;
      const p = t.prepared(holder);
      if (cmd.age === undefined || flush || p === undefined || p.readOnly || p.flush === true || p.age === undefined || !olderThan(cmd.age, p.age)) return;
      const left = deadlineMs - this.env.now();
      if (left <= 0) return;
      if (this.#age(`p:${p.txn}:${p.index}`) >= this.opts.lockTimeoutMs) this.#resolve(p, deadlineMs);
      this.waits++;
      await this.host.appliedOrAfter(Math.min(left, 10));
    }
  }

  /** The transaction whose lock stops this access now (any lock for a write, a write lock for a read), if any. */
  blocker(keys: readonly Uint8Array[], forWrite: boolean): TxnId | undefined {
    if (txnFailpoints.readsIgnoreLocks && !forWrite) return undefined;
    const t = this.host.table();
    if (!t.locked) return undefined;
    for (const k of keys) {
      const h = t.lockHolder(Buffer.from(k.buffer, k.byteOffset, k.byteLength).toString('latin1'), forWrite);
      if (h !== undefined) return h;
    }
    return undefined;
  }

  /**
   * One pass of the resolver (the host calls it a few times per lock
   * timeout): notes new records, resolves those past their bound, spreads
   * old decisions. Only a leader resolves; a follower forgets its clocks.
   */
  sweep(): void {
    if (!this.host.isLeader()) {
      if (this.#wasLeader) this.#firstSeen.clear();
      this.#wasLeader = false;
      return;
    }
    this.#wasLeader = true;
    const t = this.host.table();
    const live = new Set<string>();
    const deadline = this.env.now() + Math.max(this.opts.lockTimeoutMs, 1_000);
    for (const p of t.allPrepared()) {
      const id = `p:${p.txn}:${p.index}`;
      live.add(id);
      if (this.#age(id) >= this.opts.lockTimeoutMs) this.#resolve(p, deadline);
    }
    for (const [txn, d] of t.allDecisions()) {
      const id = `d:${txn}`;
      live.add(id);
      if (this.#age(id) < this.opts.decisionTimeoutMs || this.#resolving.has(id)) continue;
      this.#resolving.add(id);
      finishTxn(this.client, txn, this.host.groupId, d.groups, d, deadline, false).then(
        () => {
          this.finishedDecisions++;
          this.#resolving.delete(id);
        },
        (err: unknown) => {
          this.#resolving.delete(id);
          failLoudly(err, this.opts.onFatal ?? crashProcess);
        },
      );
    }
    for (const id of this.#firstSeen.keys()) if (!live.has(id)) this.#firstSeen.delete(id);
    this.#advanceIdleTime(deadline);
  }

  /**
   * Deferred forgets go when group time passes their hold, and only a
   * stamped entry moves it: on a group with no transaction traffic, the
   * leader stamps one (the FIFO head's FORGET again) once that time came.
   */
  #advanceIdleTime(deadlineMs: number): void {
    const first = this.host.table().firstDeferred();
    const now = this.#stamp();
    if (first === undefined || now <= first[1] || this.#advancing) return;
    this.#advancing = true;
    this.host.propose({ op: 'tforget', txn: first[0], stampMs: now }, deadlineMs).then(
      () => (this.#advancing = false),
      () => (this.#advancing = false),
    );
  }

  /** The leader's time as a group stamp (whole ms: the log entry carries an integer). */
  #stamp(): number {
    return Math.floor(this.env.now());
  }

  #age(id: string): number {
    const now = this.env.now();
    const seen = this.#firstSeen.get(id);
    if (seen === undefined) {
      this.#firstSeen.set(id, now);
      return 0;
    }
    return now - seen;
  }

  #resolve(p: PreparedTxn, deadlineMs: number): void {
    const id = `p:${p.txn}:${p.index}`;
    if (this.#resolving.has(id)) return;
    this.#resolving.add(id);
    this.#resolution(p, deadlineMs).then(
      () => {
        this.resolvedLocks++;
        this.#resolving.delete(id);
      },
      (err: unknown) => {
        this.#resolving.delete(id);
        failLoudly(err, this.opts.onFatal ?? crashProcess);
      },
    );
  }

  async #resolution(p: PreparedTxn, deadlineMs: number): Promise<void> {
    const self = this.host.groupId;
    if (p.readOnly) {
      await this.host.propose({ op: 'tresolve', txn: p.txn, apply: false, index: p.index }, deadlineMs);
      return;
    }
    if (p.primary === self) {
      await this.host.propose({ op: 'tdecide', txn: p.txn, commit: false, groups: p.groups, indexes: [], at: 0, stampMs: this.#stamp() }, deadlineMs);
      return;
    }
    if (txnFailpoints.resolverCommitsWithoutPrimary) {
      await this.host.propose({ op: 'tresolve', txn: p.txn, apply: true, index: p.index }, deadlineMs);
      return;
    }
    const d = await this.client.status(p.primary, p.txn, p.groups, deadlineMs);
    if (d.type !== 'decided') throw new Error(`status of ${p.txn} answered ${d.type}`);
    // A COMMIT names the record it decided on; a record of another index is a later copy of the PREPARE, only released.
    const apply = d.commit && d.indexes.some(([g, i]) => g === self && i === p.index);
    await this.host.propose({ op: 'tresolve', txn: p.txn, apply, index: p.index }, deadlineMs);
  }
}
