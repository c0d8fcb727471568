/**
 * The KV command: what a Raft entry's `data` holds for the KV state machine,
 * and what applying it answers. Encoded with msgpackr as compact tuples.
 *
 * Only our own code writes entries, so a malformed entry is a programmer
 * error: `decode` asserts (InvariantError) with a message naming what is wrong.
 * Empty data is a leader's no-op entry (Raft §8) and is not a command: check
 * `isCommandData` before decoding.
 *
 * Extension: later commands (2PC prepare / decision / commit) join
 * `SessionCmd` as new `op`s; a new op needs a tuple tag below, an encode and a
 * decode case, and a case in the state machine's exhaustive switch.
 */
import { Packr } from 'msgpackr';
import { assert, assertNever } from '../../raft/assert.js';
import { isTxnCmd, txnFromTuple, txnTuple, type TxnCmd, type TxnResult } from '../txn/txn-command.js';
import { parseStrChange, strChangeTuple, type StrChange, type StrResult } from './str-command.js';

/** The one Packr for KV commands and KV snapshots. Records off: plain msgpack. */
export const kvPackr = new Packr({ useRecords: false });

const msgpackNil = Buffer.from([0xc0]);

/**
 * msgpackr keeps a module-level reference to the last buffer it decoded; after
 * decoding a large snapshot that would pin ~100 MB until the next unpack.
 * Decoding one nil byte drops the reference.
 */
export function releaseDecodeSource(): void {
  kvPackr.unpack(msgpackNil);
}

/** Longest accepted client id (the front door uses 32 hex chars). */
export const clientIdCharsMax = 64;
/** Most client commands one entry may carry (group commit at entry level). */
export const batchCmdsMax = 4096;

/**
 * At-most-once envelope (Raft dissertation §6.3). `clientId` is chosen once per
 * front door process (e.g. 16 random bytes in hex); `seq` starts at 1 and grows
 * by one per command that client issues.
 */
export interface Session {
  readonly clientId: string;
  readonly seq: number;
}

/** `SET key v1 [v2 ...]`. Invariant: values.length >= 1. */
export interface SetCmd extends Session {
  readonly op: 'set';
  readonly key: Buffer;
  readonly values: readonly Buffer[];
}

/** `DEL k1 [k2 ...]`. Invariant: keys.length >= 1; duplicates allowed. */
export interface DelCmd extends Session {
  readonly op: 'del';
  readonly keys: readonly Buffer[];
}

/** `MSET k1 v1 [k2 v2 ...]` within one group: one word per key. Invariant: pairs.length >= 1. */
export interface MsetCmd extends Session {
  readonly op: 'mset';
  readonly pairs: readonly (readonly [Buffer, Buffer])[];
}

/** A single-key string command that reads the value it changes (INCRBY, APPEND, GETDEL, SET NX/XX/GET): str-command.ts. */
export interface StrCmd extends Session {
  readonly op: 'str';
  readonly key: Buffer;
  readonly change: StrChange;
  /**
   * The leader's clock when it proposed the entry (ms since the epoch): the
   * command's "now" for expiry, the same on every replica. 0 until the
   * leader stamps it (stampLeaderTime); never 0 in the log.
   */
  readonly nowMs: number;
}

/** The command as the leader proposes it: a str command gets the leader's clock, once (a stamped one keeps its time). */
export function stampLeaderTime(cmd: SessionCmd, nowMs: number): SessionCmd {
  return cmd.op === 'str' && cmd.nowMs === 0 ? { ...cmd, nowMs } : cmd;
}

/** One client command with its own session envelope and its own result. */
export type SessionCmd = SetCmd | DelCmd | MsetCmd | StrCmd;

/** The keys a client command writes (and must find unlocked). */
export function sessionCmdKeys(cmd: SessionCmd): readonly Buffer[] {
  switch (cmd.op) {
    case 'set':
    case 'str':
      return [cmd.key];
    case 'del':
      return cmd.keys;
    case 'mset':
      return cmd.pairs.map(([k]) => k);
    default:
      return assertNever(cmd, 'kv command');
  }
}

/** What an entry carries as one item: a client's command, or a step of a cross-group transaction (no session: idempotent). */
export type EntryCmd = SessionCmd | TxnCmd;

/** Many client commands in one entry; applied in order, one result each. */
export interface BatchCmd {
  readonly op: 'batch';
  readonly cmds: readonly EntryCmd[];
}

export type KvCommand = EntryCmd | BatchCmd;

export const APPLY_ERROR_CODES = {
  /** seq is older than the client's result window: it may or may not have been applied. */
  staleSession: 'STALE_SESSION',
  /** Unknown client whose seq shows it had a session before (evicted). */
  sessionExpired: 'SESSION_EXPIRED',
  /**
   * A key is locked by a cross-group transaction: nothing was applied and
   * the seq is not recorded, so the same command may be retried.
   */
  locked: 'LOCKED',
} as const;
export type ApplyErrorCode = (typeof APPLY_ERROR_CODES)[keyof typeof APPLY_ERROR_CODES];

/** What one client command answers. Cached per session, so it is plain data. */
export type ApplyResult =
  | { readonly type: 'ok' }
  | { readonly type: 'count'; readonly n: number }
  | { readonly type: 'error'; readonly code: ApplyErrorCode }
  | { readonly type: 'str'; readonly r: StrResult }
  | TxnResult;

/** Shared answer for every successful SET (saves one object per cached result). */
export const OK_RESULT: ApplyResult = Object.freeze({ type: 'ok' });

/** A leader's no-op entry has empty data and carries no command. */
export function isCommandData(data: Uint8Array): boolean {
  return data.length > 0;
}

// Wire tuples: [tag, clientId, seq, key, values] | [tag, clientId, seq, keys] | [tag, cmds].
// Txn commands are [tag, txn, body] 3-tuples (txn-command.ts); mset is [tag, clientId, seq, [k, v, k, v, ...]].
// str is [tag, clientId, seq, key, change tuple] (str-command.ts).
const TAG = { set: 'set', del: 'del', mset: 'mset', str: 'str', batch: 'batch' } as const;

export function encode(cmd: KvCommand): Uint8Array {
  assertCommand(cmd);
  return kvPackr.pack(cmd.op === 'batch' ? [TAG.batch, cmd.cmds.map(toTuple)] : toTuple(cmd));
}

export function decode(data: Uint8Array): KvCommand {
  assert(isCommandData(data), 'kv-command: empty data is a no-op entry, not a command');
  // A Buffer source makes msgpackr hand out Buffer views (no copy); the state
  // machine copies what it keeps, so a large frame is not retained.
  const src = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let raw: unknown;
  try {
    raw = kvPackr.unpack(src);
  } catch (err) {
    assert(false, `kv-command: entry is not msgpack (${String(err)})`);
  }
  assert(Array.isArray(raw), 'kv-command: entry is not a tuple');
  if (raw[0] === TAG.batch) {
    assert(raw.length === 2 && Array.isArray(raw[1]), 'kv-command: batch must be [tag, cmds[]]');
    const cmds = (raw[1] as unknown[]).map((t, i) => fromTuple(t, `batch[${i}]`));
    assert(cmds.length >= 1 && cmds.length <= batchCmdsMax, `kv-command: batch size ${cmds.length} outside 1..${batchCmdsMax}`);
    return { op: 'batch', cmds };
  }
  return fromTuple(raw, 'entry');
}

function toTuple(cmd: EntryCmd): unknown[] {
  if (isTxnCmd(cmd)) return txnTuple(cmd);
  switch (cmd.op) {
    case 'set':
      return [TAG.set, cmd.clientId, cmd.seq, cmd.key, cmd.values];
    case 'del':
      return [TAG.del, cmd.clientId, cmd.seq, cmd.keys];
    case 'mset':
      return [TAG.mset, cmd.clientId, cmd.seq, cmd.pairs.flat()];
    case 'str':
      return [TAG.str, cmd.clientId, cmd.seq, cmd.key, [cmd.nowMs, strChangeTuple(cmd.change)]];
    default:
      return assertNever(cmd, 'kv command');
  }
}

function fromTuple(raw: unknown, where: string): EntryCmd {
  assert(Array.isArray(raw), `kv-command: ${where} is not a tuple`);
  const [tag, clientId, seq] = raw as unknown[];
  if (typeof tag === 'string' && tag.startsWith('t')) return txnFromTuple(raw, where);
  assert(tag === TAG.set || tag === TAG.del || tag === TAG.mset || tag === TAG.str, () => `kv-command: ${where} has unknown op ${JSON.stringify(tag)}`);
  assertSession(clientId, seq, where);
  assert(typeof seq === 'number', 'kv-command: seq is a number'); // narrowed above; restated for the type checker
  if (tag === TAG.set) {
    assert(raw.length === 5, `kv-command: ${where} set must have 5 fields, has ${raw.length}`);
    const key = raw[3] as unknown;
    const values = raw[4] as unknown;
    assert(Buffer.isBuffer(key), `kv-command: ${where} set key is not bytes`);
    assertBufferList(values, `${where} set values`);
    return { op: 'set', clientId, seq, key, values };
  }
  if (tag === TAG.str) {
    assert(raw.length === 5, `kv-command: ${where} str must have 5 fields, has ${raw.length}`);
    const key = raw[3] as unknown;
    assert(Buffer.isBuffer(key), `kv-command: ${where} str key is not bytes`);
    const timed = raw[4] as unknown;
    assert(Array.isArray(timed) && timed.length === 2, `kv-command: ${where} str must hold [nowMs, change]`);
    const nowMs = timed[0] as unknown;
    assert(typeof nowMs === 'number' && Number.isSafeInteger(nowMs) && nowMs > 0, `kv-command: ${where} str nowMs must be a positive safe integer`);
    const change = parseStrChange(timed[1]);
    assert(typeof change !== 'string', () => `kv-command: ${where} ${String(change)}`);
    return { op: 'str', clientId, seq, key, change, nowMs };
  }
  assert(raw.length === 4, `kv-command: ${where} ${String(tag)} must have 4 fields, has ${raw.length}`);
  if (tag === TAG.mset) {
    const flat = raw[3] as unknown;
    assertBufferList(flat, `${where} mset pairs`);
    assert(flat.length % 2 === 0, `kv-command: ${where} mset holds key/value pairs`);
    const pairs: [Buffer, Buffer][] = [];
    for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i]!, flat[i + 1]!]);
    return { op: 'mset', clientId, seq, pairs };
  }
  const keys = raw[3] as unknown;
  assertBufferList(keys, `${where} del keys`);
  return { op: 'del', clientId, seq, keys };
}

function assertSession(clientId: unknown, seq: unknown, where: string): asserts clientId is string {
  assert(
    typeof clientId === 'string' && clientId.length >= 1 && clientId.length <= clientIdCharsMax,
    `kv-command: ${where} clientId must be a string of 1..${clientIdCharsMax} chars`,
  );
  assert(
    typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 1,
    () => `kv-command: ${where} seq must be a positive safe integer, got ${String(seq)}`,
  );
}

function assertBufferList(list: unknown, where: string): asserts list is Buffer[] {
  assert(Array.isArray(list) && list.length >= 1, `kv-command: ${where} must be a non-empty list`);
  for (const b of list as unknown[]) assert(Buffer.isBuffer(b), `kv-command: ${where} holds a non-bytes item`);
}

/** Encode-side check: refuse to write what decode would refuse to read. */
function assertCommand(cmd: KvCommand): void {
  if (cmd.op === 'batch') {
    assert(cmd.cmds.length >= 1 && cmd.cmds.length <= batchCmdsMax, `kv-command: batch size ${cmd.cmds.length} outside 1..${batchCmdsMax}`);
    cmd.cmds.forEach((c, i) => assertSessionCmd(c, `batch[${i}]`));
    return;
  }
  assertSessionCmd(cmd, 'entry');
}

function assertSessionCmd(cmd: EntryCmd, where: string): void {
  assert((cmd.op as string) !== 'batch', `kv-command: ${where} nests a batch`);
  if (isTxnCmd(cmd)) {
    const back = txnFromTuple(txnTuple(cmd), where); // what decode will check
    assert(back.op === cmd.op, 'kv-command: txn command round trip');
    return;
  }
  assertSession(cmd.clientId, cmd.seq, where);
  switch (cmd.op) {
    case 'set':
      assert(cmd.key instanceof Uint8Array, `kv-command: ${where} set key is not bytes`);
      assert(cmd.values.length >= 1, `kv-command: ${where} set needs at least one value`);
      return;
    case 'del':
      assert(cmd.keys.length >= 1, `kv-command: ${where} del needs at least one key`);
      return;
    case 'mset':
      assert(cmd.pairs.length >= 1, `kv-command: ${where} mset needs at least one pair`);
      return;
    case 'str':
      assert(cmd.key instanceof Uint8Array, `kv-command: ${where} str key is not bytes`);
      assert(typeof parseStrChange(strChangeTuple(cmd.change)) !== 'string', `kv-command: ${where} str change round trip`);
      assert(Number.isSafeInteger(cmd.nowMs) && cmd.nowMs > 0, `kv-command: ${where} str command not stamped with the leader's time`);
      return;
    default:
      assertNever(cmd, 'kv command');
  }
}

const BATCH_HEAD = Buffer.from([0x92, 0xa0 | TAG.batch.length, ...Buffer.from(TAG.batch, 'latin1')]);

/**
 * One `batch` entry from already encoded single commands, without decoding
 * them: a batch is `[tag, [tuple, ...]]` and each encoded command is exactly
 * its tuple's msgpack, so the entry is a header followed by the bytes as they are.
 */
export function combineEncoded(datas: readonly Uint8Array[]): Uint8Array {
  const n = datas.length;
  assert(n >= 1 && n <= batchCmdsMax, () => `kv-command: batch of ${n} outside 1..${batchCmdsMax}`);
  // A single command is a 5-tuple (set), a 4-tuple (del, mset) or a 3-tuple (txn); a batch is a 2-tuple.
  for (const d of datas) assert(d[0] === 0x95 || d[0] === 0x94 || d[0] === 0x93, 'kv-command: combine takes encoded single commands (set, del, mset or txn tuples)');
  const len = n < 16 ? Buffer.from([0x90 | n]) : Buffer.from([0xdc, n >> 8, n & 0xff]);
  return Buffer.concat([BATCH_HEAD, len, ...datas]);
}
