/**
 * The replicated KV state machine: applies committed entries in index order,
 * answers reads from memory, and turns itself into a snapshot and back.
 *
 * Representation (measured, see the KV helper report): keys and values are
 * kept as latin1 strings, one char per byte, so they are binary safe and 1:1
 * with the bytes. A V8 one-byte string costs about its length plus a small
 * header, far less than a Buffer object per value; 1M keys of 100-byte values
 * take ~290 MB RSS this way against ~430 MB with `Buffer[]`. A key with one
 * value (the common case) stores a bare string, several values a string[].
 * Converting to a string copies the bytes, so applied data never retains the
 * network or log buffer it was decoded from, and `get` hands out fresh
 * Buffers that nothing here mutates later.
 *
 * Snapshot format: a sequence of msgpackr values (chunks), concatenated by
 * `snapshot()` or handed out one by one by `snapshotChunks()`:
 *   header   {type:'header', version, appliedIndex, keys, sessions, sessionsMax, windowSeqs}
 *   sessions {type:'sessions', entries: SessionTuple[]}   (eviction order)
 *   txns     {type:'txns', table}                      (version >= 2)
 *   expires  {type:'expires', entries: [key, atMs, ...]} (version 3: absolute expiry of keys that have one)
 *   keys     {type:'keys', entries: [key, value, key, value, ...]}
 * Strings travel as msgpack str (UTF-8 of the latin1 chars; lossless, every
 * char is a valid code point; bytes >= 0x80 take two bytes on the wire).
 * Restore checks the counts in the header, so a truncated snapshot is caught.
 */
import { assert, assertNever } from '../../raft/assert.js';
import { ClientSessions, DEFAULT_SESSION_LIMITS, type SessionLimits, type SessionTuple } from './client-sessions.js';
import { APPLY_ERROR_CODES, OK_RESULT, decode, isCommandData, kvPackr, releaseDecodeSource, type ApplyResult, type EntryCmd, type SessionCmd } from '../kv/kv-command.js';
import { applyStrChange } from '../kv/str-command.js';
import { ExpiryIndex } from './expiry-index.js';
import { SlottedMap } from './slot-key-index.js';
import type { ScanPosition } from '../kv/scan-cursor.js';
import { globMatch, matchesEverything } from '../kv/glob-match.js';
import { isTxnCmd } from '../txn/txn-command.js';
import { TxnTable, type TxnData, type TxnTableTuple } from '../txn/txn-table.js';

/** Keys per snapshot chunk (~1-2 MB for 100-byte values). */
export const snapshotKeysPerChunk = 10_000;
/** Bytes SnapshotRestorer.pushBytes gathers before decoding (a chunk is ~1-2 MB). */
const pushBytesBatch = 8 << 20;
/** Sessions per snapshot chunk (each up to `windowSeqs` cached results). */
export const snapshotSessionsPerChunk = 1_000;
/** 3 adds the `expires` chunk; 2 the `txns` chunk (locks, prepared records, decisions); 2 and 1 are still read. */
export const snapshotFormatVersion = 3;

/** latin1 string per value: a bare string for one value, an array for several. */
type StoredValue = string | string[];

const LOCKED_RESULT: ApplyResult = Object.freeze({ type: 'error', code: APPLY_ERROR_CODES.locked });

type SnapshotChunk =
  | {
      type: 'header';
      version: number;
      appliedIndex: number;
      keys: number;
      sessions: number;
      sessionsMax: number;
      windowSeqs: number;
    }
  | { type: 'sessions'; entries: SessionTuple[] }
  | { type: 'txns'; table: TxnTableTuple }
  | { type: 'expires'; entries: (string | number)[] }
  | { type: 'keys'; entries: (string | string[])[] };

export class KvStateMachine {
  /** The keys and values; its slot index serves SCAN and KEYS. */
  #data = new SlottedMap<StoredValue>();
  #sessions: ClientSessions;
  #txns = new TxnTable();
  /** Absolute expiry (ms) of the keys that have one. Invariant: each is a key of #data. */
  #expires = new ExpiryIndex();
  /** The KV data as a transaction sees it (by latin1 key); a transaction's write sets the key's expiry it decided (none for MSET, DEL). */
  readonly #txnData: TxnData = {
    get: (k) => this.#data.get(k),
    expiry: (k) => this.#expires.get(k),
    set: (k, v, atMs) => {
      this.#data.set(k, v);
      this.#expires.set(k, atMs);
    },
    delete: (k) => {
      this.#expires.delete(k);
      return this.#data.delete(k);
    },
    clear: () => {
      this.#data.clear();
      this.#expires = new ExpiryIndex();
    },
  };
  /**
   * Index of the last entry applied.
   * Invariant: entries are applied exactly once each, in order: apply(i) needs i == appliedIndex + 1.
   */
  #appliedIndex = 0;

  constructor(limits: SessionLimits = DEFAULT_SESSION_LIMITS) {
    this.#sessions = new ClientSessions(limits);
  }

  get appliedIndex(): number {
    return this.#appliedIndex;
  }

  /** Number of keys. */
  get size(): number {
    return this.#data.size;
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  get limits(): SessionLimits {
    return this.#sessions.limits;
  }

  /** The transaction table of the applied state (locks, prepared records, decisions). */
  get txns(): TxnTable {
    return this.#txns;
  }

  /**
   * Applies the committed entry at `index`: one result per client command in
   * it. Empty data (a leader's no-op) only advances appliedIndex; the host
   * calls it that way for membership entries too, so indexes stay contiguous.
   */
  apply(index: number, data: Uint8Array): ApplyResult[] {
    assert(index === this.#appliedIndex + 1, () => `kv-state-machine: apply(${index}) after ${this.#appliedIndex}; entries must be applied in order, once`);
    const cmd = isCommandData(data) ? decode(data) : undefined; // decode first: a bad entry changes nothing
    this.#appliedIndex = index;
    if (cmd === undefined) return [];
    if (cmd.op === 'batch') return cmd.cmds.map((c) => this.#applyOne(index, c));
    return [this.#applyOne(index, cmd)];
  }

  /**
   * The stored values as fresh Buffers, or undefined for a missing key or
   * one expired at `nowMs` (the reader's clock: reads change nothing, so the
   * clock may enter here, never in apply).
   */
  get(key: Uint8Array, nowMs = Date.now()): Buffer[] | undefined {
    const k = keyString(key);
    const v = this.#data.get(k);
    if (v === undefined) return undefined;
    const at = this.#expires.get(k);
    if (at !== undefined && at <= nowMs) return undefined;
    return typeof v === 'string' ? [Buffer.from(v, 'latin1')] : v.map((s) => Buffer.from(s, 'latin1'));
  }

  /**
   * SCAN over this replica's keys from `from` to slot `toSlot` (slot-key-index.ts),
   * visiting about `budget` keys; keys expired at `nowMs` and keys `match`
   * does not match are left out. Reads only: the clock may enter here.
   */
  scan(from: ScanPosition, toSlot: number, budget: number, match: Uint8Array | undefined, nowMs = Date.now()): { keys: Buffer[]; next: ScanPosition | undefined; visited: number } {
    const everything = match === undefined || matchesEverything(match);
    const keep = (k: string): boolean => {
      const at = this.#expires.get(k);
      if (at !== undefined && at <= nowMs) return false;
      return everything || globMatch(match, Buffer.from(k, 'latin1'));
    };
    const { keys, next, visited } = this.#data.index.scan(from, toSlot, budget, keep);
    return { keys: keys.map((k) => Buffer.from(k, 'latin1')), next, visited };
  }

  has(key: Uint8Array): boolean {
    return this.#data.has(keyString(key));
  }

  /** The absolute expiry (ms) of a key, if it has one. */
  expiryOf(key: Uint8Array): number | undefined {
    return this.#expires.get(keyString(key));
  }

  /** Keys that have one expiry. */
  get expiringKeys(): number {
    return this.#expires.size;
  }

  /** Up to `max` keys expired at nowMs and not removed yet: what the leader's sweep deletes (by replicated commands). */
  expiredKeys(nowMs: number, max: number): Buffer[] {
    return this.#expires.expired(nowMs, max).map((k) => Buffer.from(k, 'latin1'));
  }

  #applyOne(index: number, cmd: EntryCmd): ApplyResult {
    if (isTxnCmd(cmd)) return this.#txns.apply(index, cmd, this.#txnData);
    return this.#sessions.run(cmd.clientId, cmd.seq, index, () => this.#execute(cmd));
  }

  /** A 1PC write may not change a key a transaction locks (its outcome would land on top). */
  #locked(cmd: SessionCmd): boolean {
    const t = this.#txns;
    if (!t.locked) return false;
    switch (cmd.op) {
      case 'set':
        return t.lockHolder(keyString(cmd.key), true) !== undefined;
      case 'del':
        return cmd.keys.some((k) => t.lockHolder(keyString(k), true) !== undefined);
      case 'mset':
        return cmd.pairs.some(([k]) => t.lockHolder(keyString(k), true) !== undefined);
      case 'str':
        return t.lockHolder(keyString(cmd.key), true) !== undefined;
      default:
        return assertNever(cmd, 'kv command');
    }
  }

  #execute(cmd: SessionCmd): ApplyResult {
    if (this.#locked(cmd)) return LOCKED_RESULT;
    switch (cmd.op) {
      case 'set': {
        const only = cmd.values.length === 1 ? cmd.values[0] : undefined;
        const key = keyString(cmd.key);
        this.#data.set(key, only !== undefined ? only.toString('latin1') : cmd.values.map((b) => b.toString('latin1')));
        // SET clears an expiry (as Redis), so does MSET; DEL removes it with the key.
        this.#expires.delete(key);
        return OK_RESULT;
      }
      case 'del': {
        // Counted as removed only if present now, so `DEL a a` removes 1.
        let n = 0;
        for (const k of cmd.keys) {
          const key = keyString(k);
          this.#expires.delete(key);
          if (this.#data.delete(key)) n++;
        }
        return { type: 'count', n };
      }
      case 'mset':
        for (const [k, v] of cmd.pairs) {
          const key = keyString(k);
          this.#data.set(key, v.toString('latin1'));
          this.#expires.delete(key);
        }
        return OK_RESULT;
      case 'str': {
        // The value after depends only on the value before and the command: the same on every replica.
        const key = keyString(cmd.key);
        const { next, atMs, result } = applyStrChange(this.#data.get(key), this.#expires.get(key), cmd.change, cmd.nowMs);
        if (next === undefined) {
          this.#data.delete(key);
          this.#expires.delete(key);
        } else {
          if (next !== 'unchanged') this.#data.set(key, next);
          this.#expires.set(key, atMs);
        }
        return { type: 'str', r: result };
      }
      default:
        return assertNever(cmd, 'kv command');
    }
  }

  // ---- snapshots ----

  /** The whole snapshot as one buffer: the chunks of `snapshotChunks()` concatenated. */
  snapshot(): Uint8Array {
    return Buffer.concat(Array.from(this.snapshotChunks()));
  }

  /** The snapshot as chunks, each one msgpackr value (of the state now: see freeze). */
  *snapshotChunks(): Generator<Uint8Array> {
    yield* this.freeze().chunks();
  }

  /**
   * Captures the state now for a snapshot encoded later, while applies go
   * on: arrays of the keys and values (sharing their strings, which are
   * immutable; a stored string[] is replaced on SET, never changed in place)
   * and a copy of the sessions. ~15 ms for 1M keys, where encoding takes ~750.
   */
  freeze(): FrozenKv {
    const header: HeaderChunk = {
      type: 'header',
      version: snapshotFormatVersion,
      appliedIndex: this.#appliedIndex,
      keys: this.#data.size,
      sessions: this.#sessions.size,
      sessionsMax: this.limits.sessionsMax,
      windowSeqs: this.limits.windowSeqs,
    };
    const expires: (string | number)[] = [];
    for (const [k, at] of this.#expires.entries()) expires.push(k, at);
    return new FrozenKv(header, Array.from(this.#sessions.tuples()), this.#txns.toTuple(), expires, [...this.#data.keys()], [...this.#data.values()]);
  }

  /** A state machine from `snapshot()` output (concatenated chunks). */
  static restore(data: Uint8Array, limits: SessionLimits = DEFAULT_SESSION_LIMITS): KvStateMachine {
    const r = new SnapshotRestorer(limits);
    kvPackr.unpackMultiple(toBuffer(data), (chunk: unknown) => {
      r.push(chunk);
    });
    return r.finish();
  }

  /** A state machine from the chunks of `snapshotChunks()`, in order. */
  static restoreChunks(chunks: Iterable<Uint8Array>, limits: SessionLimits = DEFAULT_SESSION_LIMITS): KvStateMachine {
    const r = new SnapshotRestorer(limits);
    for (const c of chunks) r.pushEncoded(c);
    return r.finish();
  }

  /** Replaces this state with a snapshot's (InstallSnapshot, Raft §7). */
  restore(data: Uint8Array): void {
    this.#adopt(KvStateMachine.restore(data, this.limits));
  }

  /** Like `restore`, from chunks. */
  restoreChunks(chunks: Iterable<Uint8Array>): void {
    this.#adopt(KvStateMachine.restoreChunks(chunks, this.limits));
  }

  #adopt(other: KvStateMachine): void {
    this.#data = other.#data;
    this.#sessions = other.#sessions;
    this.#txns = other.#txns;
    this.#expires = other.#expires;
    this.#appliedIndex = other.#appliedIndex;
  }

  /** @internal SnapshotRestorer's way in: parts already validated. */
  static fromParts(data: SlottedMap<StoredValue>, sessions: ClientSessions, txns: TxnTable, expires: ExpiryIndex, appliedIndex: number): KvStateMachine {
    const sm = new KvStateMachine(sessions.limits);
    sm.#data = data;
    sm.#expires = expires;
    sm.#sessions = sessions;
    sm.#txns = txns;
    sm.#appliedIndex = appliedIndex;
    return sm;
  }

  /** Checks invariants of the parts; for tests. */
  checkInvariants(): void {
    this.#sessions.checkInvariants();
    this.#txns.checkInvariants();
    this.#expires.checkInvariants((k) => this.#data.has(k));
    this.#data.index.checkInvariants(this.#data.keys());
    for (const v of this.#data.values()) {
      assert(typeof v === 'string' || (Array.isArray(v) && v.length >= 2), 'kv-state-machine: a multi-value key holds >= 2 values');
    }
  }
}

type HeaderChunk = SnapshotChunk & { type: 'header' };

/** A state machine's state at one applied index (KvStateMachine.freeze), encoded on demand. */
export class FrozenKv {
  constructor(
    private readonly header: HeaderChunk,
    private readonly sessions: readonly SessionTuple[],
    private readonly txns: TxnTableTuple,
    /** [key, atMs, key, atMs, ...]. */
    private readonly expires: readonly (string | number)[],
    private readonly keys: readonly string[],
    private readonly values: readonly StoredValue[],
  ) {
    assert(keys.length === values.length && keys.length === header.keys, 'frozen kv: keys and values differ in count');
  }

  get appliedIndex(): number {
    return this.header.appliedIndex;
  }

  /** The snapshot's chunks, in restore order. */
  *chunks(): Generator<Uint8Array> {
    yield kvPackr.pack(this.header);
    for (let i = 0; i < this.sessions.length; i += snapshotSessionsPerChunk) {
      yield kvPackr.pack({ type: 'sessions', entries: this.sessions.slice(i, i + snapshotSessionsPerChunk) } satisfies SnapshotChunk);
    }
    yield kvPackr.pack({ type: 'txns', table: this.txns } satisfies SnapshotChunk);
    yield kvPackr.pack({ type: 'expires', entries: [...this.expires] } satisfies SnapshotChunk);
    for (let i = 0; i < this.keys.length; i += snapshotKeysPerChunk) {
      const entries: StoredValue[] = [];
      const end = Math.min(this.keys.length, i + snapshotKeysPerChunk);
      for (let k = i; k < end; k++) entries.push(this.keys[k]!, this.values[k]!);
      yield kvPackr.pack({ type: 'keys', entries } satisfies SnapshotChunk);
    }
  }
}

/**
 * Push-based restore, so a host can feed chunks as it reads them from
 * storage or the network without holding them all.
 */
export class SnapshotRestorer {
  readonly #limits: SessionLimits;
  #header: (SnapshotChunk & { type: 'header' }) | undefined;
  readonly #data = new SlottedMap<StoredValue>();
  readonly #sessions: ClientSessions;
  #sessionsSeen = 0;
  #txns: TxnTable | undefined;
  #expires: ExpiryIndex | undefined;
  /** pushBytes input not decoded yet. Invariant: #pendingBytes = sum of their lengths. */
  #pending: Buffer[] = [];
  #pendingBytes = 0;

  /** @param bytesBatch pushBytes gathers this many bytes before decoding (small in tests, to cut chunks often). */
  constructor(
    limits: SessionLimits = DEFAULT_SESSION_LIMITS,
    private readonly bytesBatch = pushBytesBatch,
  ) {
    this.#limits = limits;
    this.#sessions = new ClientSessions(limits);
  }

  /** Adds one encoded chunk (one item of `snapshotChunks()`). */
  pushEncoded(chunk: Uint8Array): void {
    this.push(kvPackr.unpack(toBuffer(chunk)));
  }

  /**
   * Adds the next bytes of `snapshot()` output, cut anywhere (e.g. as read
   * from disk): bytes are gathered to about bytesBatch, then every
   * whole chunk in them is decoded and a cut one waits for the rest. So a
   * chunk is decoded more than once only where a batch ends inside it.
   */
  pushBytes(bytes: Uint8Array, end = false): void {
    if (bytes.length > 0) {
      this.#pending.push(toBuffer(bytes));
      this.#pendingBytes += bytes.length;
    }
    if (this.#pendingBytes === 0 || (!end && this.#pendingBytes < this.bytesBatch)) return;
    const buf = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    try {
      kvPackr.unpackMultiple(buf, (chunk: unknown) => {
        this.push(chunk);
      });
    } catch (err) {
      const e = err as { incomplete?: boolean; lastPosition?: number };
      if (e.incomplete !== true || e.lastPosition === undefined) throw err;
      assert(!end, 'kv-snapshot: truncated: the bytes end inside a chunk');
      // A copy: the rest must not keep the whole batch alive.
      const rest = Buffer.from(buf.subarray(e.lastPosition));
      this.#pending = [rest];
      this.#pendingBytes = rest.length;
    }
  }

  /** Adds one decoded chunk. */
  push(raw: unknown): void {
    assert(typeof raw === 'object' && raw !== null, 'kv-snapshot: chunk is not an object');
    const chunk = raw as SnapshotChunk;
    if (this.#header === undefined) {
      assert(chunk.type === 'header', 'kv-snapshot: first chunk must be the header');
    }
    switch (chunk.type) {
      case 'header':
        assert(this.#header === undefined, 'kv-snapshot: second header');
        assert(chunk.version === snapshotFormatVersion || chunk.version === 2 || chunk.version === 1, () => `kv-snapshot: unknown version ${String(chunk.version)}`);
        assert(Number.isSafeInteger(chunk.appliedIndex) && chunk.appliedIndex >= 0, 'kv-snapshot: bad appliedIndex');
        assert(Number.isSafeInteger(chunk.keys) && Number.isSafeInteger(chunk.sessions), 'kv-snapshot: bad counts');
        assert(
          chunk.sessionsMax === this.#limits.sessionsMax && chunk.windowSeqs === this.#limits.windowSeqs,
          () => `kv-snapshot: taken with session limits ${chunk.sessionsMax}/${chunk.windowSeqs}, this replica uses ${this.#limits.sessionsMax}/${this.#limits.windowSeqs}`,
        );
        this.#header = chunk;
        return;
      case 'sessions': {
        const h = this.#header;
        assert(h !== undefined, 'kv-snapshot: header first');
        assert(Array.isArray(chunk.entries), 'kv-snapshot: sessions chunk without entries');
        assert(this.#data.size === 0, 'kv-snapshot: sessions chunk after keys');
        this.#sessionsSeen += chunk.entries.length;
        assert(this.#sessionsSeen <= this.#limits.sessionsMax, 'kv-snapshot: more sessions than sessionsMax');
        for (const t of chunk.entries) {
          this.#sessions.restoreTuple(t);
          assert(t[2] <= h.appliedIndex, 'kv-snapshot: session touched after the snapshot index');
        }
        return;
      }
      case 'txns':
        assert((this.#header?.version ?? 0) >= 2 && this.#txns === undefined, 'kv-snapshot: a txns chunk only once, in a version 2 or 3 snapshot');
        assert(this.#data.size === 0, 'kv-snapshot: txns chunk after keys');
        this.#txns = TxnTable.fromTuple(chunk.table);
        return;
      case 'expires': {
        assert(this.#header?.version === 3 && this.#expires === undefined, 'kv-snapshot: an expires chunk only once, in a version 3 snapshot');
        assert(this.#data.size === 0, 'kv-snapshot: expires chunk after keys');
        const e: unknown[] = chunk.entries;
        assert(Array.isArray(e) && e.length % 2 === 0, 'kv-snapshot: expires chunk must hold key/atMs pairs');
        const expires = new ExpiryIndex();
        for (let i = 0; i < e.length; i += 2) {
          const k = e[i];
          const at = e[i + 1];
          assert(typeof k === 'string' && typeof at === 'number' && Number.isSafeInteger(at), 'kv-snapshot: bad expiry');
          assert(expires.get(k) === undefined, 'kv-snapshot: a key with two expiries');
          expires.set(k, at);
        }
        this.#expires = expires;
        return;
      }
      case 'keys': {
        const e: unknown[] = chunk.entries;
        assert(Array.isArray(e) && e.length % 2 === 0, 'kv-snapshot: keys chunk must hold key/value pairs');
        for (let i = 0; i < e.length; i += 2) {
          const k = e[i];
          const v = e[i + 1];
          assert(typeof k === 'string', 'kv-snapshot: key is not a string');
          assert(typeof v === 'string' || (Array.isArray(v) && v.length >= 2 && v.every((s) => typeof s === 'string')), 'kv-snapshot: bad value');
          const before = this.#data.size;
          this.#data.set(k, v as StoredValue);
          assert(this.#data.size === before + 1, 'kv-snapshot: duplicate key');
        }
        return;
      }
      default:
        assertNever(chunk, 'snapshot chunk');
    }
  }

  finish(): KvStateMachine {
    if (this.#pendingBytes > 0) this.pushBytes(new Uint8Array(0), true);
    releaseDecodeSource();
    const h = this.#header;
    assert(h !== undefined, 'kv-snapshot: empty snapshot (no header)');
    assert(this.#data.size === h.keys, () => `kv-snapshot: truncated: ${this.#data.size} of ${h.keys} keys`);
    assert(this.#sessionsSeen === h.sessions, () => `kv-snapshot: truncated: ${this.#sessionsSeen} of ${h.sessions} sessions`);
    assert(h.version === 1 || this.#txns !== undefined, 'kv-snapshot: truncated: a version 2 snapshot without its txns chunk');
    assert(h.version < 3 || this.#expires !== undefined, 'kv-snapshot: truncated: a version 3 snapshot without its expires chunk');
    const expires = this.#expires ?? new ExpiryIndex();
    for (const [k] of expires.entries()) assert(this.#data.has(k), 'kv-snapshot: an expiry for a key the snapshot does not hold');
    return KvStateMachine.fromParts(this.#data, this.#sessions, this.#txns ?? new TxnTable(), expires, h.appliedIndex);
  }
}

/** The Map key of a binary key: latin1 maps each byte to one char, so it is 1:1. */
function keyString(key: Uint8Array): string {
  return (Buffer.isBuffer(key) ? key : toBuffer(key)).toString('latin1');
}

function toBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
