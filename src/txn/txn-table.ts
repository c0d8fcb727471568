/**
 * One group's transaction state, part of its replicated state machine (and
 * so of its snapshot): the locks and prepared records of transactions that
 * touch this group, and, when it is their primary, their decisions.
 *
 * Pure and deterministic: it changes only by applying committed commands,
 * in log order, so every replica holds the same table.
 *
 * Invariants (checkInvariants):
 *   - a key's write lock and read locks name prepared records that list the
 *     key, and every prepared record's keys are locked by it;
 *   - a key has a write lock or read locks, never both, and one writer;
 *   - a group lock (a prepared FLUSHALL) is held alone: no key lock beside it;
 *   - a decision, once recorded, never changes until it is forgotten.
 */
import { assert } from '../../raft/assert.js';
import { txnFailpoints } from './txn-failpoints.js';
import type { DecideCmd, PrepareCmd, ResolveCmd, TxnAge, TxnCmd, TxnId, TxnResult } from './txn-command.js';
import { parseStrResult, type StrResult } from '../kv/str-command.js';
import { isFlush, runProgram, type Program } from './txn-program.js';
import { keySlotOfLatin1 } from '../sharding/slot.js';
import { DeferredForgets } from './deferred-forgets.js';

/** A key's stored value as the KV state machine keeps it (latin1 strings). */
export type StoredValue = string | string[];

/** The KV data a transaction changes and reads, by latin1 key string. */
export interface TxnData {
  get(key: string): StoredValue | undefined;
  /** The key's absolute expiry (ms), undefined when it has none. */
  expiry(key: string): number | undefined;
  /** Sets the value and its expiry (undefined: none, as SET clears it). */
  set(key: string, value: StoredValue, atMs?: number): void;
  delete(key: string): boolean;
  /** FLUSHALL's commit in this group: every key and expiry goes. */
  clear(): void;
}

/**
 * One key of a prepared record: the value it leaves (null: deleted; false:
 * only locked, unchanged: a key a program read, watched or left as it was)
 * and, for a value, its absolute expiry.
 */
export type PreparedWrite = readonly [key: string, value: StoredValue | null | false, atMs?: number];

export interface PreparedTxn {
  readonly txn: TxnId;
  readonly primary: number;
  readonly groups: readonly number[];
  readonly readOnly: boolean;
  /** Log index the record was made at: names this incarnation of it. */
  readonly index: number;
  /** [key, value or null for delete/read (false: lock only), expiry], in the PREPARE's order. */
  readonly writes: readonly PreparedWrite[];
  /** A program's results, one per op: answered by the PREPARE (and by any copy of it while the record lives). */
  readonly outs?: readonly StrResult[];
  /** FLUSHALL's share: the record locks the whole group and its commit empties it. */
  readonly flush?: true;
  /** The writer's age (wait-die: who may wait for this record's locks). */
  readonly age?: TxnAge;
}

export interface TxnDecision {
  readonly commit: boolean;
  readonly groups: readonly number[];
  readonly indexes: readonly (readonly [number, number])[];
  /** Log index the decision was recorded at. */
  readonly index: number;
  /** A COMMIT recorded by the primary's own PREPARE (commitWith): its share's answer, for a copy of that PREPARE. */
  readonly present?: number;
  readonly outs?: readonly StrResult[];
  /**
   * Group time until which the decision must be kept (a one-phase COMMIT's
   * notAfter; an ABORT's time + ABORT_HOLD_MS): a copy of the primary's
   * PREPARE applied later is refused, so a FORGET before then is deferred.
   */
  readonly notAfter?: number;
}

interface KeyLock {
  writer: TxnId | undefined;
  readers: TxnId[];
}

/** Snapshot form: [prepared records, decisions as [txn, commit, groups, indexes, index]]. */
/** Snapshot form: [prepared, decisions, group time, deferred forgets in order]; older snapshots end after decisions. */
export type TxnTableTuple = [PreparedTxn[], DecisionTuple[]] | [PreparedTxn[], DecisionTuple[], number, TxnId[]];

/** [txn, commit, groups, indexes, index] and, if kept past FORGET or a one-phase COMMIT, its hold and answer. */
type DecisionTuple = [TxnId, boolean, number[], [number, number][], number] | [TxnId, boolean, number[], [number, number][], number, DecisionExtra];
type DecisionExtra = { notAfter: number; present: number | null; outs: StrResult[] | null };

/**
 * How long (group time) an ABORT is kept past FORGET: longer than any
 * transaction's budget plus the front doors' clock lead over the groups',
 * so a copy of the primary's PREPARE delayed past it is already expired.
 */
export const ABORT_HOLD_MS = 60_000;

export class TxnTable {
  readonly #locks = new Map<string, KeyLock>();
  readonly #prepared = new Map<TxnId, PreparedTxn>();
  readonly #decisions = new Map<TxnId, TxnDecision>();
  /** The prepared FLUSHALL that holds every key of the group, if any. */
  #groupLock: TxnId | undefined;
  /**
   * Group time: the highest leader stamp applied (PREPARE with commitWith,
   * FORGET). It only grows in log order, whichever leader's clock stamped
   * an entry, so "applied after the FORGET" implies "later than notAfter".
   */
  #clockMs = 0;
  /** Decisions FORGET asked to drop before their notAfter: dropped as group time passes it. */
  readonly #dueForget = new DeferredForgets();

  get preparedCount(): number {
    return this.#prepared.size;
  }

  /** Decisions not forgotten yet (those whose FORGET is deferred are not counted: they are done). */
  get decisionCount(): number {
    return this.#decisions.size - this.#dueForget.size;
  }

  /** Decisions FORGET asked to drop, held until group time passes their notAfter. */
  get deferredForgets(): number {
    return this.#dueForget.size;
  }

  /** The deferred forget due first (the head of its kind's FIFO), with the group time it waits to pass. */
  firstDeferred(): [TxnId, number] | undefined {
    return this.#dueForget.first();
  }

  get lockedKeys(): number {
    return this.#locks.size;
  }

  /** Whether any lock is held (a key's or the whole group's). */
  get locked(): boolean {
    return this.#locks.size > 0 || this.#groupLock !== undefined;
  }

  prepared(txn: TxnId): PreparedTxn | undefined {
    return this.#prepared.get(txn);
  }

  decision(txn: TxnId): TxnDecision | undefined {
    return this.#decisions.get(txn);
  }

  allPrepared(): IterableIterator<PreparedTxn> {
    return this.#prepared.values();
  }

  /** Decisions not forgotten yet (see decisionCount). */
  *allDecisions(): IterableIterator<[TxnId, TxnDecision]> {
    for (const e of this.#decisions) if (!this.#dueForget.has(e[0])) yield e;
  }

  /** A transaction holding some lock in the group (the group lock first), if any. */
  anyHolder(): TxnId | undefined {
    if (this.#groupLock !== undefined) return this.#groupLock;
    const first = this.#locks.values().next();
    return first.done ? undefined : (first.value.writer ?? first.value.readers[0]);
  }

  /** The transaction whose lock stops a 1PC write of this key (any lock), or a read (a write lock only). */
  lockHolder(key: string, forWrite: boolean): TxnId | undefined {
    if (this.#groupLock !== undefined) return this.#groupLock;
    const l = this.#locks.get(key);
    if (l === undefined) return undefined;
    if (l.writer !== undefined) return l.writer;
    return forWrite ? l.readers[0] : undefined;
  }

  /**
   * The transaction whose lock stops a scan of slots [fromSlot, toSlot): the
   * group lock, or a write lock on a key there (its commit may create or
   * delete the key; a read lock changes nothing a scan sees).
   */
  scanBlocker(fromSlot: number, toSlot: number): TxnId | undefined {
    if (this.#groupLock !== undefined) return this.#groupLock;
    for (const [key, l] of this.#locks) {
      if (l.writer === undefined) continue;
      const slot = keySlotOfLatin1(key);
      if (slot >= fromSlot && slot < toSlot) return l.writer;
    }
    return undefined;
  }

  apply(index: number, cmd: TxnCmd, data: TxnData): TxnResult {
    switch (cmd.op) {
      case 'tprepare':
        return cmd.commitWith !== undefined ? this.#prepareAndCommit(index, cmd, data) : this.#prepare(index, cmd, data);
      case 'tdecide':
        return this.#decide(index, cmd, data);
      case 'tresolve':
        return this.#resolve(cmd, data);
      case 'tspread':
        return { type: 'spread', results: cmd.steps.map((step) => this.apply(index, step, data)) };
      case 'tforget': {
        this.#advance(cmd.stampMs);
        const d = this.#decisions.get(cmd.txn);
        if (d?.notAfter !== undefined && this.#clockMs <= d.notAfter && !txnFailpoints.forgetIgnoresHold) {
          if (!this.#dueForget.has(cmd.txn)) this.#dueForget.add(cmd.txn, d.commit, d.notAfter);
        } else {
          this.#decisions.delete(cmd.txn);
          this.#dueForget.delete(cmd.txn);
        }
        return { type: 'forgotten' };
      }
    }
  }

  #prepare(index: number, cmd: PrepareCmd, data: TxnData): TxnResult {
    const known = this.#prepared.get(cmd.txn);
    if (known !== undefined) return this.#preparedAnswer(known, data);
    const d = this.#decisions.get(cmd.txn);
    if (d !== undefined) return decidedAnswer(d);
    let writes: PreparedWrite[] = cmd.writes.map((w) => [
      w.key.toString('latin1'),
      w.values === null ? null : w.values.length === 1 ? w.values[0]!.toString('latin1') : w.values.map((v) => v.toString('latin1')),
    ]);
    if (this.#groupLock !== undefined) return { type: 'conflict', holder: this.#groupLock };
    for (const [k] of writes) {
      const l = this.#locks.get(k);
      if (l === undefined) continue;
      if (l.writer !== undefined) return { type: 'conflict', holder: l.writer };
      if (!cmd.readOnly && l.readers.length > 0) return { type: 'conflict', holder: l.readers[0]! };
    }
    if (isFlush(cmd.program)) {
      // The whole group: only once no key is locked (a lock's holder is the one to wait for).
      const first = this.#locks.values().next();
      if (!first.done) {
        const l = first.value;
        return { type: 'conflict', holder: l.writer ?? l.readers[0]! };
      }
      const p: PreparedTxn = { txn: cmd.txn, primary: cmd.primary, groups: [...cmd.groups], readOnly: false, index, writes: [], outs: [{ kind: 'int', n: '1' }], flush: true, ...ageOf(cmd) };
      this.#install(p);
      return this.#preparedAnswer(p, data);
    }
    let outs: StrResult[] | undefined;
    if (cmd.program !== undefined) {
      const ran = this.#run(cmd.program, writes, data);
      if (ran === undefined) return { type: 'unmet' };
      [writes, outs] = ran;
    }
    const p: PreparedTxn = { txn: cmd.txn, primary: cmd.primary, groups: [...cmd.groups], readOnly: cmd.readOnly, index, writes, ...(outs !== undefined ? { outs } : {}), ...ageOf(cmd) };
    this.#install(p);
    return this.#preparedAnswer(p, data);
  }

  /**
   * The primary's PREPARE, the last one: prepared, it commits at once (the
   * decision names every prepare index, its own this entry's), so the
   * primary's keys are never left locked. A copy of it finds the decision
   * and answers it, with the share's answer kept there.
   */
  /**
   * Moves group time to a leader's stamp (never back: a new leader's clock
   * may lag) and drops the deferred decisions it has passed (FIFO per kind,
   * see deferred-forgets: they go later, never early).
   */
  #advance(stampMs: number): void {
    if (stampMs <= this.#clockMs) return;
    this.#clockMs = stampMs;
    for (const txn of this.#dueForget.takeDue(this.#clockMs)) this.#decisions.delete(txn);
  }

  #prepareAndCommit(index: number, cmd: PrepareCmd, data: TxnData): TxnResult {
    assert(cmd.notAfter !== undefined && cmd.stampMs !== undefined, () => `txn-table: ${cmd.txn} commits at the primary without notAfter and stamp`);
    this.#advance(cmd.stampMs);
    const known = this.#decisions.get(cmd.txn);
    if (known !== undefined) return decidedAnswer(known);
    // Too late: FORGET may have dropped the decision a first copy recorded. Nothing is recorded: no later copy can
    // take effect either (group time only grows), and a decision here would contradict a forgotten first one.
    if (this.#clockMs > cmd.notAfter && !txnFailpoints.primaryCommitsLateCopy) return { type: 'expired' };
    const r = this.#prepare(index, cmd, data);
    if (r.type === 'conflict' || r.type === 'unmet') return this.#refuse(index, cmd, r, data);
    if (r.type !== 'prepared') return r;
    // A record of an earlier plain PREPARE would be another incarnation: the driver never sends both to a primary.
    assert(r.index === index, () => `txn-table: ${cmd.txn} commits with a record of index ${r.index}, not this entry's ${index}`);
    const indexes = [...cmd.commitWith!, [cmd.primary, index] as const].sort((a, b) => a[0] - b[0]);
    const decided = this.#decide(index, { op: 'tdecide', txn: cmd.txn, commit: true, groups: cmd.groups, indexes, at: index }, data);
    assert(decided.type === 'decided' && decided.commit, () => `txn-table: ${cmd.txn} prepared at the primary and still not committed`);
    const d: TxnDecision = { ...this.#decisions.get(cmd.txn)!, present: r.present, ...(r.outs !== undefined ? { outs: r.outs } : {}), notAfter: cmd.notAfter };
    this.#decisions.set(cmd.txn, d);
    return decidedAnswer(d);
  }

  /**
   * A refused primary PREPARE is the ABORT decision, in the same entry: a
   * copy of it applied later (a retry, after the lock it met is gone) finds
   * ABORT instead of committing behind the refusal its front door acts on.
   */
  #refuse(index: number, cmd: PrepareCmd, refusal: TxnResult, data: TxnData): TxnResult {
    const d = this.#decide(index, { op: 'tdecide', txn: cmd.txn, commit: false, groups: cmd.groups, indexes: [], at: 0 }, data);
    assert(d.type === 'decided' && !d.commit, () => `txn-table: ${cmd.txn} refused at the primary, yet decided ${d.type}`);
    return refusal;
  }

  /** A program's final state per key (lock-only where unchanged) and its results; undefined when a check failed. */
  #run(program: Program, keys: readonly PreparedWrite[], data: TxnData): [PreparedWrite[], StrResult[]] | undefined {
    const ran = runProgram(program, (i) => {
      const k = keys[i]![0];
      return { value: data.get(k), atMs: data.expiry(k) };
    });
    if (ran.type === 'unmet') return undefined;
    const writes = keys.map(([k], i): PreparedWrite => {
      const f = ran.finals.get(i);
      if (f === undefined) return [k, false];
      if (f.value === undefined) return [k, null];
      const v: StoredValue = typeof f.value === 'string' ? f.value : [...f.value];
      return f.atMs === undefined ? [k, v] : [k, v, f.atMs];
    });
    return [writes, ran.outs];
  }

  #preparedAnswer(p: PreparedTxn, data: TxnData): TxnResult {
    let present = 0;
    const seen = new Set<string>();
    for (const [k] of p.writes) {
      if (seen.has(k)) continue;
      seen.add(k);
      if (data.get(k) !== undefined) present++;
    }
    if (p.outs !== undefined) return { type: 'prepared', index: p.index, present, outs: p.outs };
    if (!p.readOnly) return { type: 'prepared', index: p.index, present };
    const values = p.writes.map(([k]) => {
      const v = data.get(k);
      return v === undefined ? null : typeof v === 'string' ? [Buffer.from(v, 'latin1')] : v.map((s) => Buffer.from(s, 'latin1'));
    });
    return { type: 'prepared', index: p.index, present, values };
  }

  #decide(index: number, cmd: DecideCmd, data: TxnData): TxnResult {
    this.#advance(cmd.stampMs ?? 0);
    const known = this.#decisions.get(cmd.txn);
    const p = this.#prepared.get(cmd.txn);
    if (known !== undefined && !txnFailpoints.laterDecisionWins) {
      // First decision wins. A record still prepared here is a later copy of the PREPARE: only released.
      if (p !== undefined) this.#release(p);
      return decidedAnswer(known);
    }
    const commit = cmd.commit && p !== undefined && !p.readOnly && p.index === cmd.at;
    if (p !== undefined) {
      if (commit) this.#applyWrites(p, data);
      this.#release(p);
    }
    // An ABORT may be recorded before the primary's PREPARE arrives (a resolver's): kept while a copy could still apply.
    const hold = commit ? {} : { notAfter: this.#clockMs + ABORT_HOLD_MS };
    const d: TxnDecision = { commit, groups: [...cmd.groups], indexes: commit ? cmd.indexes.map(([g, i]) => [g, i] as const) : [], index, ...hold };
    this.#decisions.set(cmd.txn, d);
    return { type: 'decided', commit, indexes: d.indexes };
  }

  #resolve(cmd: ResolveCmd, data: TxnData): TxnResult {
    assert(!cmd.apply || cmd.index >= 1, 'txn-table: applying a record needs its exact prepare index');
    const p = this.#prepared.get(cmd.txn);
    if (p === undefined || (cmd.index !== 0 && p.index !== cmd.index && !txnFailpoints.resolveIgnoresIndex)) return { type: 'resolved', applied: false, released: false };
    assert(!(cmd.apply && p.readOnly), () => `txn-table: ${cmd.txn} is read-only and has nothing to apply`);
    if (cmd.apply) this.#applyWrites(p, data);
    this.#release(p);
    return { type: 'resolved', applied: cmd.apply, released: true };
  }

  #applyWrites(p: PreparedTxn, data: TxnData): void {
    if (p.flush === true) data.clear();
    for (const [k, v, at] of p.writes) {
      if (v === false) continue;
      if (v === null) data.delete(k);
      else data.set(k, v, at);
    }
  }

  #install(p: PreparedTxn): void {
    this.#prepared.set(p.txn, p);
    if (p.flush === true) {
      assert(this.#groupLock === undefined && this.#locks.size === 0, () => `txn-table: ${p.txn} locks the group beside other locks`);
      this.#groupLock = p.txn;
    }
    for (const [k] of p.writes) {
      let l = this.#locks.get(k);
      if (l === undefined) {
        l = { writer: undefined, readers: [] };
        this.#locks.set(k, l);
      }
      if (p.readOnly) {
        if (!l.readers.includes(p.txn)) l.readers.push(p.txn);
      } else {
        assert(l.writer === undefined || l.writer === p.txn, () => `txn-table: ${p.txn} locks ${JSON.stringify(k)} held by ${String(l.writer)}`);
        assert(l.readers.length === 0, () => `txn-table: ${p.txn} write-locks a read-locked key`);
        l.writer = p.txn;
      }
    }
  }

  #release(p: PreparedTxn): void {
    assert(this.#prepared.get(p.txn) === p, () => `txn-table: releasing ${p.txn}, which is not the record held`);
    this.#prepared.delete(p.txn);
    if (this.#groupLock === p.txn) this.#groupLock = undefined;
    for (const [k] of p.writes) {
      const l = this.#locks.get(k);
      if (l === undefined) continue; // a key named twice is released at its first mention
      if (l.writer === p.txn) l.writer = undefined;
      const r = l.readers.indexOf(p.txn);
      if (r >= 0) l.readers.splice(r, 1);
      if (l.writer === undefined && l.readers.length === 0) this.#locks.delete(k);
    }
  }

  // ---- snapshots ----

  toTuple(): TxnTableTuple {
    return [
      [...this.#prepared.values()].map((p) => ({ ...p, groups: [...p.groups], writes: p.writes.map((w) => [...w] as unknown as PreparedWrite) })),
      [...this.#decisions].map(([txn, d]): DecisionTuple => {
        const base: [TxnId, boolean, number[], [number, number][], number] = [txn, d.commit, [...d.groups], d.indexes.map(([g, i]) => [g, i] as [number, number]), d.index];
        return d.notAfter === undefined ? base : [...base, { notAfter: d.notAfter, present: d.present ?? null, outs: d.outs !== undefined ? [...d.outs] : null }];
      }),
      this.#clockMs,
      [...this.#dueForget.entries()].map(([txn]) => txn),
    ];
  }

  static fromTuple(raw: unknown): TxnTable {
    const t = new TxnTable();
    assert(Array.isArray(raw) && (raw.length === 2 || raw.length === 4) && Array.isArray(raw[0]) && Array.isArray(raw[1]), 'kv-snapshot: txns chunk is [prepared, decisions, clock?, due?]');
    if (raw.length === 4) {
      assert(Number.isSafeInteger(raw[2]) && (raw[2] as number) >= 0 && Array.isArray(raw[3]), 'kv-snapshot: bad txn clock or deferred forgets');
      t.#clockMs = raw[2] as number;
    }
    for (const p of raw[0] as PreparedTxn[]) {
      assert(typeof p === 'object' && p !== null && typeof p.txn === 'string' && Number.isSafeInteger(p.index) && Array.isArray(p.writes), 'kv-snapshot: bad prepared record');
      assert(!t.#prepared.has(p.txn), 'kv-snapshot: a transaction prepared twice');
      for (const w of p.writes) assert(Array.isArray(w) && typeof w[0] === 'string' && (w.length === 2 || (w.length === 3 && Number.isSafeInteger(w[2]))), 'kv-snapshot: bad prepared write');
      const outs = restoredOuts(p.outs);
      t.#install({
        txn: p.txn,
        primary: p.primary,
        groups: p.groups,
        readOnly: p.readOnly === true,
        index: p.index,
        writes: p.writes,
        ...(outs !== undefined ? { outs } : {}),
        ...(p.flush === true ? { flush: true as const } : {}),
        ...(Array.isArray(p.age) && p.age.length === 2 ? { age: [p.age[0], p.age[1]] as const } : {}),
      });
    }
    for (const d of raw[1] as unknown[]) {
      assert(Array.isArray(d) && (d.length === 5 || d.length === 6) && typeof d[0] === 'string' && typeof d[1] === 'boolean', 'kv-snapshot: bad decision');
      const answer: { present?: number; outs?: StrResult[]; notAfter?: number } = {};
      if (d.length === 6) {
        const x = d[5] as DecisionExtra;
        assert(typeof x === 'object' && x !== null && Number.isSafeInteger(x.notAfter) && (x.present === null || (Number.isSafeInteger(x.present) && x.present >= 0)), 'kv-snapshot: bad decision hold');
        answer.notAfter = x.notAfter;
        if (x.present !== null) answer.present = x.present;
        const outs = restoredOuts(x.outs);
        if (outs !== undefined) answer.outs = outs;
      }
      t.#decisions.set(d[0] as string, { commit: d[1] as boolean, groups: d[2] as number[], indexes: d[3] as [number, number][], index: d[4] as number, ...answer });
    }
    if (raw.length === 4) {
      for (const txn of raw[3] as unknown[]) {
        const d = typeof txn === 'string' ? t.#decisions.get(txn) : undefined;
        assert(d?.notAfter !== undefined && !t.#dueForget.has(txn as string), 'kv-snapshot: a deferred forget of a decision not held');
        t.#dueForget.add(txn as string, d.commit, d.notAfter);
      }
    }
    t.checkInvariants();
    return t;
  }

  checkInvariants(): void {
    for (const [txn, notAfter] of this.#dueForget.entries()) assert(this.#decisions.get(txn)?.notAfter === notAfter, () => `txn-table: a deferred forget of ${txn}, whose decision is not held as deferred`);
    if (this.#groupLock !== undefined) {
      assert(this.#prepared.get(this.#groupLock)?.flush === true, () => `txn-table: group lock by ${String(this.#groupLock)}, which holds no flush record`);
      assert(this.#locks.size === 0, 'txn-table: a key lock beside the group lock');
    }
    for (const [k, l] of this.#locks) {
      assert(l.writer !== undefined || l.readers.length > 0, () => `txn-table: empty lock on ${JSON.stringify(k)}`);
      assert(l.writer === undefined || l.readers.length === 0, () => `txn-table: ${JSON.stringify(k)} is write- and read-locked`);
      for (const t of l.writer !== undefined ? [l.writer] : l.readers) {
        const p = this.#prepared.get(t);
        assert(p !== undefined && p.writes.some(([w]) => w === k), () => `txn-table: lock on ${JSON.stringify(k)} by ${t}, which holds no record of it`);
      }
    }
    for (const p of this.#prepared.values()) {
      for (const [k] of p.writes) {
        const l = this.#locks.get(k);
        assert(l !== undefined && (l.writer === p.txn || l.readers.includes(p.txn)), () => `txn-table: ${p.txn} prepared ${JSON.stringify(k)} without its lock`);
      }
    }
  }
}

/** A program's results kept in a snapshot (a bad one is a bug of ours). */
function restoredOuts(raw: unknown): StrResult[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  assert(Array.isArray(raw), 'kv-snapshot: outs must be a list');
  return raw.map((o) => {
    const r = parseStrResult(o);
    assert(typeof r !== 'string', () => `kv-snapshot: bad out: ${String(r)}`);
    return r;
  });
}

/** A decision as answered: a primary's one-phase COMMIT with its share's answer. */
function decidedAnswer(d: TxnDecision): TxnResult {
  return { type: 'decided', commit: d.commit, indexes: d.indexes, ...(d.present !== undefined ? { present: d.present } : {}), ...(d.outs !== undefined ? { outs: d.outs } : {}) };
}

const ageOf = (cmd: PrepareCmd): { age?: TxnAge } => (cmd.age !== undefined ? { age: cmd.age } : {});
