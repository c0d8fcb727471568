/**
 * The coordinator's side of two-phase commit over Raft groups. It keeps
 * nothing durable: every fact lives in a group's log, so a front door killed
 * at any step leaves a transaction the groups finish by themselves (a lock
 * held past its bound makes its group ask the primary, which records ABORT
 * when it has no decision; see txn-resolver).
 *
 *   write: PREPARE in every group but the primary at once (locks, wait-die)
 *          all prepared -> PREPARE in the primary naming their indexes: it
 *                          prepares and records COMMIT in one entry (the
 *                          commit point; the client is answered here)
 *                       -> RESOLVE(apply) in the others, FORGET in the primary
 *                          (off the critical path, batched over transactions:
 *                          txn-outbox)
 *          any conflict -> DECIDE(abort), RESOLVE(release) at once, retry with
 *                          a new id after a jittered backoff, until the deadline
 *          Two Raft rounds, each in groups that nothing else on the path
 *          writes to at that moment; a transaction over one group is one.
 *   read:  read-only PREPARE in every group (shared locks, values answered):
 *          all the values held at the instant the last lock was taken; then
 *          the locks are released.
 */
import { assert } from '../../raft/assert.js';
import type { PrepareCmd, TxnAge, TxnCmd, TxnId, TxnResult, TxnWrite } from './txn-command.js';
import type { StrResult } from '../kv/str-command.js';
import { isFlush, type ProgramOp } from './txn-program.js';
import { crashProcess, failLoudly, TxnError, type TxnEnv, type TxnGroupClient } from './txn-client.js';
import { txnFailpoints } from './txn-failpoints.js';
import { TxnOutbox } from './txn-outbox.js';

export interface TxnDriverOptions {
  readonly backoffMinMs: number;
  readonly backoffMaxMs: number;
  /** Observes every step, for tests and metrics: the simulator crashes the coordinator at these points. */
  readonly onStep?: (txn: TxnId, step: TxnStep) => void;
  /** A broken invariant in background work (default: crash the process). */
  readonly onFatal?: (err: unknown) => void;
  /** How long an outcome's spread may wait to leave with the next step to its group (0: at once; see txn-outbox). */
  readonly spreadLingerMs?: number;
  /**
   * Transactions this front door runs at once (absent: no bound); the rest
   * wait in arrival order, their time budget starting when they run. Under
   * a flood (redis-benchmark's 800 pipelined MSETs) fewer locks are held at
   * once, so fewer writers meet, and queueing is not counted against the
   * protocol's deadline.
   */
  readonly inFlightMax?: number;
  /** How long the primary's PREPARE may take effect after it is sent (its notAfter; the decision is kept as long). */
  readonly commitWindowMs?: number;
}

export const DEFAULT_COMMIT_WINDOW_MS = 1_000;

export type TxnStep = 'begin' | 'prepare-sent' | 'prepared' | 'decide-sent' | 'decided' | 'resolve-sent' | 'resolved' | 'forgotten' | 'aborting';

export const DEFAULT_TXN_DRIVER_OPTIONS: TxnDriverOptions = { backoffMinMs: 2, backoffMaxMs: 40, spreadLingerMs: 10, inFlightMax: 128 };

/** What a committed write transaction reports: keys of it that existed before (exact DEL counts). */
export interface WriteOutcome {
  readonly present: number;
  readonly txn: TxnId;
}

/** One group's share of a program: the keys it locks and the ops over them (ProgramOp.k indexes keys). */
export interface ProgramShare {
  readonly keys: readonly Buffer[];
  readonly ops: readonly ProgramOp[];
}

type PrepareBody = Pick<PrepareCmd, 'writes' | 'program' | 'age'>;

type Attempt =
  | { type: 'committed'; present: number; outs: ReadonlyMap<number, readonly StrResult[]> }
  | { type: 'aborted'; holder: TxnId | undefined; released: Promise<void> }
  | { type: 'unmet' }
  | { type: 'unknown' };

export class TxnDriver {
  #counter = 0;
  /** Transactions whose outcome is still being spread (off the critical path). */
  readonly #finishing = new Set<Promise<void>>();
  /** Spread steps wait here to leave with the next foreground step to their group. */
  readonly #outbox: TxnOutbox;
  #running = 0;
  /** Transactions waiting for a turn, in arrival order (each resolves when one ends). */
  readonly #queue: Array<() => void> = [];

  constructor(
    private readonly client: TxnGroupClient,
    private readonly env: TxnEnv,
    /** Unique per front door process (and incarnation): ids never repeat. */
    private readonly idPrefix: string,
    private readonly opts: TxnDriverOptions = DEFAULT_TXN_DRIVER_OPTIONS,
  ) {
    assert(idPrefix.length >= 1 && idPrefix.length <= 40, 'txn driver: id prefix must be 1..40 chars');
    this.#outbox = new TxnOutbox(client, env, opts.spreadLingerMs ?? 0);
  }

  /** A step on the critical path: spread steps held for g that unlock a key it locks leave with it, ahead of it. */
  #run(g: number, cmd: TxnCmd, deadlineMs: number): Promise<TxnResult> {
    if (cmd.op === 'tprepare') this.#outbox.flushFor(g, isFlush(cmd.program) ? 'all' : cmd.writes.map((w) => w.key));
    return this.client.run(g, cmd, deadlineMs);
  }

  /**
   * Sends the spread steps held for group g that unlock one of `keys` (any,
   * when absent: a command over the whole group) now: called before another
   * command to g leaves, so they share its frame, and a read of a key they
   * unlock does not wait out the linger.
   */
  flushSpread(g: number, keys?: readonly Uint8Array[]): void {
    this.#outbox.flushFor(g, keys ?? 'all');
  }

  /** Spread batches sent, and the steps in them (txn-outbox). */
  get spreadBatches(): { readonly batches: number; readonly steps: number } {
    return { batches: this.#outbox.batches, steps: this.#outbox.batchedSteps };
  }

  get finishing(): number {
    return this.#finishing.size;
  }

  /** Resolves once every outcome in flight has been spread (or failed to be). */
  async drain(): Promise<void> {
    while (this.#finishing.size > 0) await Promise.all([...this.#finishing]);
  }

  /** Atomically applies the writes of every group (at least two). */
  async write(parts: ReadonlyMap<number, readonly TxnWrite[]>, deadlineMs: number): Promise<WriteOutcome> {
    const r = await this.#admitted(deadlineMs, (d) => this.#commit(sortedGroups(parts), (g) => ({ writes: parts.get(g)! }), d));
    assert(r.type === 'committed', 'txn driver: a plain write has no checks to fail');
    return { present: r.present, txn: r.txn };
  }

  /**
   * Runs a program's shares (one group or several) as one transaction: the
   * results of each group's ops, in order; 'unmet' when a check failed (the
   * transaction aborted and changed nothing). Meeting another's lock, it
   * aborts and runs again from scratch: only the committed run's results count.
   */
  async program(parts: ReadonlyMap<number, ProgramShare>, deadlineMs: number): Promise<ReadonlyMap<number, readonly StrResult[]> | 'unmet'> {
    const body = (g: number): PrepareBody => {
      const share = parts.get(g)!;
      return { writes: share.keys.map((key) => ({ key, values: null })), program: { nowMs: 0, ops: share.ops } };
    };
    const r = await this.#admitted(deadlineMs, (d) => this.#commit(sortedGroups(parts), body, d));
    return r.type === 'unmet' ? 'unmet' : r.outs;
  }

  /** Transactions running now, and those waiting for a turn (inFlightMax). */
  get running(): number {
    return this.#running;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** Runs fn when fewer than inFlightMax run, with the caller's budget (deadline - now) from then on. */
  async #admitted<T>(deadlineMs: number, fn: (deadlineMs: number) => Promise<T>): Promise<T> {
    const budget = Math.max(1, deadlineMs - this.env.now());
    const max = this.opts.inFlightMax;
    if (max !== undefined && this.#running >= max) await new Promise<void>((r) => this.#queue.push(r));
    this.#running++;
    try {
      return await fn(this.env.now() + budget);
    } finally {
      this.#running--;
      this.#queue.shift()?.();
    }
  }

  async #commit(
    groups: readonly number[],
    body: (g: number) => PrepareBody,
    deadlineMs: number,
  ): Promise<{ type: 'unmet' } | { type: 'committed'; present: number; txn: TxnId; outs: ReadonlyMap<number, readonly StrResult[]> }> {
    let backoff = this.opts.backoffMinMs;
    let lastConflict: TxnId | undefined;
    // Kept across the attempts: a retried transaction grows older, until no lock makes it die (wait-die).
    let age: TxnAge | undefined;
    for (;;) {
      if (this.env.now() >= deadlineMs) {
        throw lastConflict !== undefined
          ? new TxnError('CONFLICT', `keys stayed locked by other transactions (last: ${lastConflict}) until the deadline`)
          : new TxnError('TIMEOUT', 'no answer from every group before the deadline');
      }
      const txn = this.#newId();
      const attemptAge: TxnAge = (age ??= [this.env.now(), txn]);
      // The primary: the group of the first key named, so a client's
      // transactions over the same keys meet their decisions in one place.
      const primary = groups[0]!;
      const outcome = await this.#tryWrite(txn, primary, groups, (g) => ({ ...body(g), age: attemptAge }), deadlineMs);
      if (outcome.type === 'committed') return { type: 'committed', present: outcome.present, txn, outs: outcome.outs };
      if (outcome.type === 'unmet') return outcome;
      if (outcome.type === 'unknown') throw new TxnError('UNKNOWN', `the decision of ${txn} was not learnt before the deadline; it may have committed`);
      lastConflict = outcome.holder ?? lastConflict;
      // The next attempt would only meet this one's own locks: wait until they are released.
      await outcome.released;
      await this.env.sleep(Math.min(backoff, Math.max(0, deadlineMs - this.env.now())) * (0.5 + this.env.random()));
      backoff = Math.min(this.opts.backoffMaxMs, backoff * 2);
    }
  }

  async #tryWrite(
    txn: TxnId,
    primary: number,
    groups: readonly number[],
    body: (g: number) => PrepareBody,
    deadlineMs: number,
  ): Promise<Attempt> {
    this.#step(txn, 'begin');
    const secondaries = groups.filter((g) => g !== primary);
    const prepares = secondaries.map((g) => {
      const cmd: PrepareCmd = { op: 'tprepare', txn, primary, groups, readOnly: false, ...body(g) };
      return this.#run(g, cmd, deadlineMs).catch(() => undefined);
    });
    this.#step(txn, 'prepare-sent');
    const results = await Promise.all(prepares);
    const indexes: [number, number][] = [];
    let present = 0;
    const outs = new Map<number, readonly StrResult[]>();
    const failed = (holder: TxnId | undefined, unmet: boolean): Attempt => {
      this.#step(txn, 'aborting');
      const released = this.#spread(txn, primary, groups, { commit: false, indexes: [] }, deadlineMs, false);
      // A failed check is an answer (EXEC's nil, MSETNX's 0), not a reason to try again.
      return unmet ? { type: 'unmet' } : { type: 'aborted', holder, released };
    };
    let holder: TxnId | undefined;
    let unmet = false;
    results.forEach((r, i) => {
      if (r?.type === 'prepared') {
        indexes.push([secondaries[i]!, r.index]);
        present += r.present;
        if (r.outs !== undefined) outs.set(secondaries[i]!, r.outs);
      } else if (r?.type === 'conflict') holder = r.holder;
      else if (r?.type === 'unmet') unmet = true;
    });
    if (indexes.length !== secondaries.length) return failed(holder, unmet);
    this.#step(txn, 'prepared');
    if (txnFailpoints.secondariesBeforeDecision) {
      for (const [g, index] of indexes) void this.client.run(g, { op: 'tresolve', txn, apply: true, index }, deadlineMs).catch(() => {});
    }
    // The commit point: the primary's share prepared and COMMIT recorded in one entry. No copy of it applies
    // past notAfter, so asking for it again past then is pointless: the decision, if any, is there to ask.
    const notAfter = Math.floor(Math.min(deadlineMs, this.env.now() + (this.opts.commitWindowMs ?? DEFAULT_COMMIT_WINDOW_MS)));
    const decide = this.#run(primary, { op: 'tprepare', txn, primary, groups, readOnly: false, ...body(primary), commitWith: indexes, notAfter, stampMs: 0 }, notAfter);
    this.#step(txn, 'decide-sent');
    let d: TxnResult;
    try {
      d = await decide;
    } catch {
      return { type: 'unknown' };
    }
    // Refused: the same entry recorded ABORT (a later copy finds it), so the answer is final.
    if (d.type === 'conflict' || d.type === 'unmet' || d.type === 'expired') return failed(d.type === 'conflict' ? d.holder : undefined, d.type === 'unmet');
    assert(d.type === 'decided', () => `txn driver: the primary's PREPARE answered ${d.type}`);
    this.#step(txn, 'decided');
    const released = this.#spread(txn, primary, groups, d, deadlineMs, false, (g) => body(g).writes.map((w) => w.key));
    // ABORT here: a lock timed out and a resolver decided first; the caller retries.
    if (!d.commit) return { type: 'aborted', holder: undefined, released };
    assert(d.present !== undefined, () => `txn driver: ${txn} committed without its primary share's answer`);
    if (d.outs !== undefined) outs.set(primary, d.outs);
    return { type: 'committed', present: present + d.present, outs };
  }

  /**
   * Reads keys of several groups as of one instant: a read-only PREPARE in
   * each group takes shared locks and answers the values. A group whose keys
   * another transaction write-locks is asked again (its leader waits for or
   * drives that lock's resolution) while the other groups' locks stay.
   * Then each lock is released by its exact prepare index, and the release
   * must find it still held: a lock a resolver released early (past its
   * bound) no longer guaranteed its values, and the read is tried again.
   * So every value held from its group's PREPARE to its release, and all of
   * them at the last PREPARE's instant.
   */
  read(parts: ReadonlyMap<number, readonly Buffer[]>, deadlineMs: number): Promise<Map<number, (readonly Buffer[] | null)[]>> {
    return this.#admitted(deadlineMs, (d) => this.#read(parts, d));
  }

  async #read(parts: ReadonlyMap<number, readonly Buffer[]>, deadlineMs: number): Promise<Map<number, (readonly Buffer[] | null)[]>> {
    const groups = sortedGroups(parts);
    let backoff = this.opts.backoffMinMs;
    for (;;) {
      const got = await this.#tryRead(groups, parts, deadlineMs);
      if (got !== undefined) return got;
      if (this.env.now() >= deadlineMs) throw new TxnError('TIMEOUT', 'a read lock was lost on every attempt before the deadline');
      await this.env.sleep(backoff * (0.5 + this.env.random()));
      backoff = Math.min(this.opts.backoffMaxMs, backoff * 2);
    }
  }

  async #tryRead(
    groups: readonly number[],
    parts: ReadonlyMap<number, readonly Buffer[]>,
    deadlineMs: number,
  ): Promise<Map<number, (readonly Buffer[] | null)[]> | undefined> {
    const txn = this.#newId();
    const primary = groups[0]!;
    const out = new Map<number, (readonly Buffer[] | null)[]>();
    const indexes = new Map<number, number>();
    this.#step(txn, 'begin');
    try {
      await Promise.all(
        groups.map(async (g) => {
          const writes = parts.get(g)!.map((key) => ({ key, values: null }));
          const cmd: PrepareCmd = { op: 'tprepare', txn, primary, groups, readOnly: true, writes };
          let backoff = this.opts.backoffMinMs;
          for (;;) {
            let r: TxnResult | undefined;
            try {
              r = await this.#run(g, cmd, deadlineMs);
            } catch {
              throw new TxnError('TIMEOUT', `group ${g} did not answer the read before the deadline`);
            }
            if (r.type === 'prepared') {
              assert(r.values !== undefined && r.values.length === writes.length, 'txn driver: a read-only PREPARE answers one value per key');
              indexes.set(g, r.index);
              out.set(g, [...r.values]);
              return;
            }
            assert(r.type === 'conflict', () => `txn driver: read-only PREPARE answered ${r.type}`);
            if (this.env.now() >= deadlineMs) throw new TxnError('CONFLICT', `keys of group ${g} stayed write-locked by ${r.holder} until the deadline`);
            await this.env.sleep(backoff * (0.5 + this.env.random()));
            backoff = Math.min(this.opts.backoffMaxMs, backoff * 2);
          }
        }),
      );
    } catch (err) {
      // Every group asked is released, answered or not: an unanswered PREPARE may still have been applied.
      this.#spread(txn, primary, groups, { commit: false, indexes: [] }, deadlineMs, true);
      throw err;
    }
    this.#step(txn, 'prepared');
    const released = await Promise.all(
      groups.map((g) =>
        this.#run(g, { op: 'tresolve', txn, apply: false, index: indexes.get(g)! }, deadlineMs).then(
          (r) => r.type === 'resolved' && r.released,
          () => false,
        ),
      ),
    );
    this.#step(txn, 'resolved');
    return released.every((x) => x) ? out : undefined;
  }

  /**
   * Spreads an outcome off the critical path: RESOLVE in every group (apply
   * with its own prepare index on COMMIT, release any record on ABORT),
   * then FORGET in the primary. An ABORT is recorded in the primary first,
   * so a record that is prepared after this (a delayed PREPARE) still finds
   * the decision when its lock times out. Read-only transactions have no
   * decision to record or forget.
   * A COMMIT's steps wait in the outbox to leave with other transactions'
   * (`keysOf(g)`: the keys its RESOLVE unlocks in g); an ABORT's go at once,
   * since the retry waits for its locks to go.
   */
  #spread(
    txn: TxnId,
    primary: number,
    groups: readonly number[],
    d: { readonly commit: boolean; readonly indexes: readonly (readonly [number, number])[] },
    deadlineMs: number,
    readOnly: boolean,
    keysOf?: (g: number) => readonly Uint8Array[],
  ): Promise<void> {
    const client = d.commit && keysOf !== undefined ? this.#outbox.spreading(keysOf) : this.client;
    const done = finishTxn(client, txn, primary, groups, d, Math.max(deadlineMs, this.env.now() + 1_000), readOnly, (s) => this.#step(txn, s));
    const p = done.then(
      () => {},
      (err: unknown) => failLoudly(err, this.opts.onFatal ?? crashProcess),
    );
    this.#finishing.add(p);
    void p.then(() => this.#finishing.delete(p));
    return p;
  }

  #newId(): TxnId {
    return `${this.idPrefix}-${++this.#counter}`;
  }

  #step(txn: TxnId, s: TxnStep): void {
    this.opts.onStep?.(txn, s);
  }
}

/**
 * Brings every group to the decided outcome and then drops the decision:
 * shared by the front door (after its own decision) and the primary's
 * resolver (for a decision whose front door died before this). Resolves
 * true once FORGET is applied; rejects if a group did not answer.
 */
export async function finishTxn(
  client: TxnGroupClient,
  txn: TxnId,
  primary: number,
  groups: readonly number[],
  d: { readonly commit: boolean; readonly indexes: readonly (readonly [number, number])[] },
  deadlineMs: number,
  readOnly: boolean,
  onStep: (s: TxnStep) => void = () => {},
): Promise<void> {
  if (!d.commit && !readOnly) {
    const r = await client.run(primary, { op: 'tdecide', txn, commit: false, groups, indexes: [], at: 0 }, deadlineMs);
    // Someone may have decided first; ABORT is asked only by whoever will never ask COMMIT, so it stays ABORT.
    assert(r.type === 'decided' && !r.commit, () => `txn finish: ${txn} asked ABORT, the primary holds ${r.type === 'decided' ? 'COMMIT' : r.type}`);
  }
  const others = groups.filter((g) => readOnly || g !== primary);
  onStep('resolve-sent');
  await Promise.all(
    others.map((g) => {
      const index = d.commit ? d.indexes.find(([x]) => x === g)?.[1] : 0;
      assert(index !== undefined, () => `txn finish: ${txn} committed without an index for group ${g}`);
      return client.run(g, { op: 'tresolve', txn, apply: d.commit, index }, deadlineMs);
    }),
  );
  onStep('resolved');
  if (readOnly) return;
  // The primary drops the decision once its time passes the decision's hold (txn-table), maybe later than this.
  await client.run(primary, { op: 'tforget', txn, stampMs: 0 }, deadlineMs);
  onStep('forgotten');
}

function sortedGroups(parts: ReadonlyMap<number, unknown>): number[] {
  const groups = [...parts.keys()].sort((a, b) => a - b);
  assert(groups.length >= 1, 'txn driver: a transaction touches at least one group');
  return groups;
}
