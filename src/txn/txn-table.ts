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
}

interface KeyLock {
  writer: TxnId | undefined;
  readers: TxnId[];
}

/** Snapshot form: [prepared records, decisions as [txn, commit, groups, indexes, index]]. */
export type TxnTableTuple = [PreparedTxn[], [TxnId, boolean, number[], [number, number][], number][]];

export class TxnTable {
  readonly #locks = new Map<string, KeyLock>();
  readonly #prepared = new Map<TxnId, PreparedTxn>();
  readonly #decisions = new Map<TxnId, TxnDecision>();
  /** The prepared FLUSHALL that holds every key of the group, if any. */
  #groupLock: TxnId | undefined;

  get preparedCount(): number {
    return this.#prepared.size;
  }

  get decisionCount(): number {
    return this.#decisions.size;
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

  allDecisions(): IterableIterator<[TxnId, TxnDecision]> {
    return this.#decisions.entries();
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
        return this.#prepare(index, cmd, data);
      case 'tdecide':
        return this.#decide(index, cmd, data);
      case 'tresolve':
        return this.#resolve(cmd, data);
      case 'tforget':
        this.#decisions.delete(cmd.txn);
        return { type: 'forgotten' };
    }
  }

  #prepare(index: number, cmd: PrepareCmd, data: TxnData): TxnResult {
    const known = this.#prepared.get(cmd.txn);
    if (known !== undefined) return this.#preparedAnswer(known, data);
    const d = this.#decisions.get(cmd.txn);
    if (d !== undefined) return { type: 'decided', commit: d.commit, indexes: d.indexes };
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
    const known = this.#decisions.get(cmd.txn);
    const p = this.#prepared.get(cmd.txn);
    if (known !== undefined && !txnFailpoints.laterDecisionWins) {
      // First decision wins. A record still prepared here is a later copy of the PREPARE: only released.
      if (p !== undefined) this.#release(p);
      return { type: 'decided', commit: known.commit, indexes: known.indexes };
    }
    const commit = cmd.commit && (txnFailpoints.decideIgnoresIndex || (p !== undefined && !p.readOnly && p.index === cmd.at));
    if (p !== undefined) {
      if (commit) this.#applyWrites(p, data);
      this.#release(p);
    }
    const d: TxnDecision = { commit, groups: [...cmd.groups], indexes: commit ? cmd.indexes.map(([g, i]) => [g, i] as const) : [], index };
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
      [...this.#decisions].map(([txn, d]) => [txn, d.commit, [...d.groups], d.indexes.map(([g, i]) => [g, i] as [number, number]), d.index]),
    ];
  }

  static fromTuple(raw: unknown): TxnTable {
    const t = new TxnTable();
    assert(Array.isArray(raw) && raw.length === 2 && Array.isArray(raw[0]) && Array.isArray(raw[1]), 'kv-snapshot: txns chunk is [prepared, decisions]');
    for (const p of raw[0] as PreparedTxn[]) {
      assert(typeof p === 'object' && p !== null && typeof p.txn === 'string' && Number.isSafeInteger(p.index) && Array.isArray(p.writes), 'kv-snapshot: bad prepared record');
      assert(!t.#prepared.has(p.txn), 'kv-snapshot: a transaction prepared twice');
      for (const w of p.writes) assert(Array.isArray(w) && typeof w[0] === 'string' && (w.length === 2 || (w.length === 3 && Number.isSafeInteger(w[2]))), 'kv-snapshot: bad prepared write');
      let outs: StrResult[] | undefined;
      if (p.outs !== undefined && p.outs !== null) {
        assert(Array.isArray(p.outs), 'kv-snapshot: prepared outs must be a list');
        outs = p.outs.map((o) => {
          const r = parseStrResult(o);
          assert(typeof r !== 'string', () => `kv-snapshot: bad prepared out: ${String(r)}`);
          return r;
        });
      }
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
      assert(Array.isArray(d) && d.length === 5 && typeof d[0] === 'string' && typeof d[1] === 'boolean', 'kv-snapshot: bad decision');
      t.#decisions.set(d[0] as string, { commit: d[1] as boolean, groups: d[2] as number[], indexes: d[3] as [number, number][], index: d[4] as number });
    }
    t.checkInvariants();
    return t;
  }

  checkInvariants(): void {
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

const ageOf = (cmd: PrepareCmd): { age?: TxnAge } => (cmd.age !== undefined ? { age: cmd.age } : {});
