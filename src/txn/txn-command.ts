/**
 * The replicated commands of a cross-group transaction (two-phase commit
 * over Raft groups) and what applying each one answers.
 *
 * They carry no at-most-once session: each is idempotent by itself.
 *   PREPARE  locks the keys in one group and records the intended change;
 *            a copy applied while the record exists answers as the first.
 *            The primary's PREPARE comes last, naming every other group's
 *            prepare index (`commitWith`): prepared there, it is also the
 *            COMMIT decision, in the same entry (the last-agent
 *            optimization: the primary's share is committed in one phase).
 *   DECIDE   records COMMIT or ABORT in the primary group; the first
 *            decision recorded wins, a later one answers the first.
 *   RESOLVE  applies or drops one group's prepared record, naming the log
 *            index it was prepared at: a record prepared again later (a
 *            delayed duplicate PREPARE, after the first was resolved) has
 *            another index and is never applied by a stale RESOLVE.
 *   FORGET   drops the primary's decision once every group has the outcome.
 *   SPREAD   several RESOLVEs and FORGETs (of any transactions) in one
 *            command, applied in order: a front door's outcomes leave in
 *            batches, one command instead of one per transaction.
 * A group's leader also answers STATUS (the primary's decision, recording
 * ABORT when there is none): that is a DECIDE(abort) proposed only when the
 * applied state holds no decision yet.
 */
import { assert } from '../../raft/assert.js';
import { parseStrResult, type StrResult } from '../kv/str-command.js';
import { isFlush, parseProgram, programTuple, type Program } from './txn-program.js';

/** Unique per attempt of a transaction: `<front door id>-<counter>`. */
export type TxnId = string;
export const txnIdCharsMax = 64;
/** Most keys one transaction may name (one PREPARE per group carries its share). */
export const txnKeysMax = 4096;

/** One key's intended change: the new value words, or null to delete it (or to read it, in a read-only PREPARE). */
export interface TxnWrite {
  readonly key: Buffer;
  readonly values: readonly Buffer[] | null;
}

export interface PrepareCmd {
  readonly op: 'tprepare';
  readonly txn: TxnId;
  /** The group whose log holds the decision. */
  readonly primary: number;
  /** Every group the transaction touches, primary included, ascending. */
  readonly groups: readonly number[];
  /** A read-only PREPARE takes shared locks and answers the values; it needs no decision. */
  readonly readOnly: boolean;
  readonly writes: readonly TxnWrite[];
  /**
   * A program (MULTI/EXEC, MSETNX): `writes` then only names the keys to
   * lock (values null), and the ops decide what changes (txn-program.ts).
   */
  readonly program?: Program;
  /**
   * The transaction's age (its first attempt's start, then the first
   * attempt's id to break ties), kept across its retries: a leader lets an
   * older writer wait for a younger one's lock and makes a younger one die
   * (wait-die), so conflicting writers neither deadlock nor abort each
   * other forever. Absent: the writer dies at any lock.
   */
  readonly age?: TxnAge;
  /**
   * At the primary only, sent once every other group answered prepared:
   * their prepare indexes. Prepared here, the entry also records COMMIT
   * (with these indexes and its own), answering 'decided'; refused, it
   * records nothing, as any PREPARE.
   */
  readonly commitWith?: readonly (readonly [number, number])[];
  /**
   * With commitWith: the front door's clock (ms) past which no copy of this
   * PREPARE may take effect. The primary refuses a copy applied later
   * (group time, below) and keeps the decision until then: a copy delayed
   * past FORGET can never commit a second time.
   */
  readonly notAfter?: number;
  /** With commitWith: the leader's clock when it proposed the entry (the group's time is the highest such stamp applied). */
  readonly stampMs?: number;
}

export type TxnAge = readonly [startMs: number, origin: TxnId];

/** Whether age a is older than b (a total order: ties broken by the origin id). */
export function olderThan(a: TxnAge, b: TxnAge): boolean {
  return a[0] !== b[0] ? a[0] < b[0] : a[1] < b[1];
}

export interface DecideCmd {
  readonly op: 'tdecide';
  readonly txn: TxnId;
  readonly commit: boolean;
  readonly groups: readonly number[];
  /** COMMIT only: the log index each group prepared at (group, index), the primary's included. */
  readonly indexes: readonly (readonly [number, number])[];
  /** COMMIT only: the primary's own prepare index, which must match its record. */
  readonly at: number;
  /** The leader's clock when it proposed the entry (0: none; see the group time in txn-table). */
  readonly stampMs?: number;
}

export interface ResolveCmd {
  readonly op: 'tresolve';
  readonly txn: TxnId;
  /** Apply the changes (COMMIT) or only release the locks. */
  readonly apply: boolean;
  /** The prepare index of the record meant; 0 = whatever record (only when not applying). */
  readonly index: number;
}

export interface ForgetCmd {
  readonly op: 'tforget';
  readonly txn: TxnId;
  /** The leader's clock when it proposed the entry (0: none): a decision is dropped once group time passes its notAfter. */
  readonly stampMs: number;
}

/** A step of spreading an outcome: what a SPREAD carries. */
export type SpreadStep = ResolveCmd | ForgetCmd;

export interface SpreadCmd {
  readonly op: 'tspread';
  /** Applied in order, each as if alone; each answers as it would alone. */
  readonly steps: readonly SpreadStep[];
}

/** Most steps one SPREAD carries (a front door sends more as several). */
export const spreadStepsMax = 1024;

export type TxnCmd = PrepareCmd | DecideCmd | ResolveCmd | ForgetCmd | SpreadCmd;

export type TxnResult =
  /** Locked and recorded at `index`. `present`: keys of the PREPARE that exist now (exact DEL counts); `values`: read-only answers, one per write. */
  | { readonly type: 'prepared'; readonly index: number; readonly present: number; readonly values?: readonly (readonly Buffer[] | null)[]; readonly outs?: readonly StrResult[] }
  /** A program's check failed (a WATCHed key changed, an MSETNX key exists): nothing was recorded. */
  | { readonly type: 'unmet' }
  /** Another transaction holds a lock on one of the keys: nothing was recorded. */
  | { readonly type: 'conflict'; readonly holder: TxnId }
  /**
   * This group holds a decision for the transaction: a late PREPARE at the
   * primary, or a primary's PREPARE with commitWith (then, for a COMMIT, with
   * the primary's share's `present` and `outs`, as a PREPARE answers them).
   */
  | { readonly type: 'decided'; readonly commit: boolean; readonly indexes: readonly (readonly [number, number])[]; readonly present?: number; readonly outs?: readonly StrResult[] }
  | { readonly type: 'resolved'; readonly applied: boolean; readonly released: boolean }
  | { readonly type: 'forgotten' }
  /** A primary's PREPARE (commitWith) applied past its notAfter: nothing was recorded. */
  | { readonly type: 'expired' }
  /** A SPREAD's answers, one per step in order. */
  | { readonly type: 'spread'; readonly results: readonly TxnResult[] };

export function isTxnCmd(cmd: { readonly op: string }): cmd is TxnCmd {
  return cmd.op === 'tprepare' || cmd.op === 'tdecide' || cmd.op === 'tresolve' || cmd.op === 'tforget' || cmd.op === 'tspread';
}

/**
 * Wire form: always a 3-tuple [tag, txn, body] (msgpack 0x93), so batches
 * can tell it from the session commands. A SPREAD names no transaction of
 * its own: [tag, '', step tuples].
 */
export function txnTuple(cmd: TxnCmd): unknown[] {
  switch (cmd.op) {
    case 'tspread':
      return [cmd.op, '', cmd.steps.map(txnTuple)];
    case 'tprepare':
      return [
        cmd.op,
        cmd.txn,
        [
          cmd.primary,
          cmd.groups,
          cmd.readOnly,
          cmd.writes.map((w) => (w.values === null ? [w.key] : [w.key, w.values])),
          ...(cmd.program !== undefined || cmd.age !== undefined || cmd.commitWith !== undefined ? [cmd.program !== undefined ? programTuple(cmd.program) : null] : []),
          ...(cmd.age !== undefined || cmd.commitWith !== undefined ? [cmd.age !== undefined ? [cmd.age[0], cmd.age[1]] : null] : []),
          ...(cmd.commitWith !== undefined ? [[cmd.commitWith.map(([g, i]) => [g, i]), cmd.notAfter ?? 0, cmd.stampMs ?? 0]] : []),
        ],
      ];
    case 'tdecide':
      return [cmd.op, cmd.txn, [cmd.commit, cmd.groups, cmd.indexes, cmd.at, ...(cmd.stampMs !== undefined ? [cmd.stampMs] : [])]];
    case 'tresolve':
      return [cmd.op, cmd.txn, [cmd.apply, cmd.index]];
    case 'tforget':
      return [cmd.op, cmd.txn, cmd.stampMs];
  }
}

const isGroupId = (g: unknown): g is number => typeof g === 'number' && Number.isInteger(g) && g >= 1 && g <= 0xffff_ffff;
const isIndex = (i: unknown): i is number => typeof i === 'number' && Number.isSafeInteger(i) && i >= 0;
const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;
const toBuffer = (v: Uint8Array): Buffer => (Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength));

/**
 * The command in a tuple, or why it is not one. Used both for log entries
 * (where a reason is an invariant failure) and for requests from the network
 * (where it is a refused request).
 */
export function parseTxnTuple(raw: unknown): TxnCmd | string {
  if (!Array.isArray(raw) || raw.length !== 3) return 'a txn command is a 3-tuple';
  const [op, txn, body] = raw as [unknown, unknown, unknown];
  if (op === 'tspread') return parseSpread(txn, body);
  if (typeof txn !== 'string' || txn.length < 1 || txn.length > txnIdCharsMax) return `txn id must be 1..${txnIdCharsMax} chars`;
  switch (op) {
    case 'tprepare':
      return parsePrepare(txn, body);
    case 'tdecide': {
      if (!Array.isArray(body) || body.length < 4 || body.length > 5) return 'decide body is [commit, groups, indexes, at, stampMs?]';
      const [commit, groups, indexes, at, stampMs] = body as unknown[];
      if (stampMs !== undefined && !isIndex(stampMs)) return 'bad decide stamp';
      if (typeof commit !== 'boolean') return 'commit must be a boolean';
      const g = parseGroups(groups);
      if (typeof g === 'string') return g;
      if (!isIndex(at)) return 'bad indexes';
      const ix = parseIndexes(indexes, g);
      if (typeof ix === 'string') return ix;
      if (commit && (ix.length !== g.length || at < 1)) return 'a COMMIT names every group prepare index';
      if (!commit && (ix.length !== 0 || at !== 0)) return 'an ABORT names no indexes';
      return { op, txn, commit, groups: g, indexes: ix, at, ...(stampMs !== undefined ? { stampMs: stampMs as number } : {}) };
    }
    case 'tresolve': {
      if (!Array.isArray(body) || body.length !== 2) return 'resolve body is [apply, index]';
      const [apply, index] = body as unknown[];
      if (typeof apply !== 'boolean' || !isIndex(index)) return 'bad resolve';
      if (apply && index < 1) return 'applying names the exact prepare index';
      return { op, txn, apply, index };
    }
    case 'tforget':
      return isIndex(body) ? { op, txn, stampMs: body } : 'forget body is its stamp (ms, 0: none)';
    default:
      return `unknown txn op ${JSON.stringify(op)}`;
  }
}

/** A PREPARE's body, checked field by field (see parseTxnTuple). */
function parsePrepare(txn: TxnId, body: unknown): PrepareCmd | string {
  const op = 'tprepare';
  if (!Array.isArray(body) || body.length < 4 || body.length > 7) return 'prepare body is [primary, groups, readOnly, writes, program?, age?, commitWith?]';
  const [primary, groups, readOnly, writes, rawProgram, rawAge, rawWith] = body as unknown[];
  const hasProgram = rawProgram !== undefined && rawProgram !== null;
  const age = parseAge(rawAge);
  if (typeof age === 'string') return age;
  const g = parseGroups(groups);
  if (typeof g === 'string') return g;
  if (!isGroupId(primary) || !g.includes(primary)) return 'the primary must be one of the groups';
  if (typeof readOnly !== 'boolean') return 'readOnly must be a boolean';
  let oneP: { commitWith: [number, number][]; notAfter: number; stampMs: number } | undefined;
  if (rawWith !== undefined) {
    if (!Array.isArray(rawWith) || rawWith.length !== 3 || !isIndex(rawWith[1]) || !isIndex(rawWith[2])) return 'a commit-with is [indexes, notAfter, stampMs]';
    const w = parseIndexes(rawWith[0], g);
    if (typeof w === 'string') return w;
    if (readOnly || w.length !== g.length - 1 || w.some(([x]) => x === primary)) return 'commitWith names the prepare index of every group but the primary, of a write';
    oneP = { commitWith: w, notAfter: rawWith[1] as number, stampMs: rawWith[2] as number };
  }
  const ws = parseWrites(writes, readOnly, hasProgram);
  if (typeof ws === 'string') return ws;
  const ageField = { ...(age !== undefined ? { age } : {}), ...(oneP ?? {}) };
  if (!hasProgram) return { op, txn, primary, groups: g, readOnly, writes: ws, ...ageField };
  const program = parseProgram(rawProgram, ws.length);
  if (typeof program === 'string') return program;
  if (readOnly || ws.some((w) => w.values !== null)) return 'a program prepare locks keys (no values) and is not read-only';
  if (ws.length === 0 && !isFlush(program)) return `a prepare names 1..${txnKeysMax} keys`;
  return { op, txn, primary, groups: g, readOnly, writes: ws, program, ...ageField };
}

/** A PREPARE's age: absent (null), or [startMs, origin id]. */
function parseAge(raw: unknown): TxnAge | undefined | string {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw) || raw.length !== 2 || typeof raw[0] !== 'number' || !Number.isSafeInteger(raw[0]) || typeof raw[1] !== 'string' || raw[1].length < 1 || raw[1].length > txnIdCharsMax) {
    return 'an age is [startMs, origin id]';
  }
  return [raw[0], raw[1]];
}

/** A PREPARE's writes: [key] or [key, value words]; only a program's flush (checked with its program) names no keys. */
function parseWrites(writes: unknown, readOnly: boolean, hasProgram: boolean): TxnWrite[] | string {
  if (!Array.isArray(writes) || writes.length < (hasProgram ? 0 : 1) || writes.length > txnKeysMax) return `a prepare names 1..${txnKeysMax} keys`;
  const ws: TxnWrite[] = [];
  for (const w of writes as unknown[]) {
    if (!Array.isArray(w) || w.length < 1 || w.length > 2 || !isBytes(w[0])) return 'a write is [key] or [key, values]';
    if (w.length === 1) {
      ws.push({ key: toBuffer(w[0]), values: null });
      continue;
    }
    const vs: unknown = w[1];
    if (readOnly || !Array.isArray(vs) || vs.length < 1 || !vs.every(isBytes)) return 'a set write has one or more value words; a read names only keys';
    ws.push({ key: toBuffer(w[0]), values: vs.map((v) => toBuffer(v as Uint8Array)) });
  }
  return ws;
}

function parseSpread(txn: unknown, body: unknown): SpreadCmd | string {
  if (txn !== '' || !Array.isArray(body) || body.length < 1 || body.length > spreadStepsMax) return `a spread is [tag, '', 1..${spreadStepsMax} steps]`;
  const steps: SpreadStep[] = [];
  for (const raw of body as unknown[]) {
    const step = parseTxnTuple(raw);
    if (typeof step === 'string') return `spread step: ${step}`;
    if (step.op !== 'tresolve' && step.op !== 'tforget') return 'a spread step is a RESOLVE or a FORGET';
    steps.push(step);
  }
  return { op: 'tspread', steps };
}

/** [group, index >= 1] pairs of named groups, each group once. */
function parseIndexes(raw: unknown, groups: readonly number[]): [number, number][] | string {
  if (!Array.isArray(raw) || raw.length > groups.length) return 'bad indexes';
  const ix: [number, number][] = [];
  for (const p of raw as unknown[]) {
    if (!Array.isArray(p) || p.length !== 2 || !isGroupId(p[0]) || !isIndex(p[1]) || p[1] < 1 || !groups.includes(p[0])) return 'an index is [group, index >= 1] of a named group';
    if (ix.some(([x]) => x === p[0])) return 'a group named twice in the indexes';
    ix.push([p[0], p[1]]);
  }
  return ix;
}

function parseGroups(groups: unknown): number[] | string {
  if (!Array.isArray(groups) || groups.length < 1 || groups.length > 1024) return 'groups must be a non-empty list';
  for (let i = 0; i < groups.length; i++) {
    const g: unknown = groups[i];
    if (!isGroupId(g)) return 'a group id is an integer >= 1';
    if (i > 0 && g <= (groups[i - 1] as number)) return 'groups must ascend without repeats';
  }
  return groups as number[];
}

/** Decode-side check for log entries: a bad entry is a bug of ours. */
export function txnFromTuple(raw: unknown, where: string): TxnCmd {
  const cmd = parseTxnTuple(raw);
  assert(typeof cmd !== 'string', () => `kv-command: ${where}: ${String(cmd)}`);
  return cmd;
}

/**
 * A result as it came back over the network, or why it is not one: the
 * front door trusts no peer's bytes, and a bad answer fails the attempt.
 */
export function parseTxnResult(raw: unknown): TxnResult | string {
  if (typeof raw !== 'object' || raw === null) return 'a txn result is an object';
  const r = raw as Record<string, unknown>;
  switch (r['type']) {
    case 'prepared': {
      const index = r['index'];
      const present = r['present'];
      if (!isIndex(index) || index < 1 || !isIndex(present)) return 'prepared: bad index or count';
      const outs = parseOuts(r['outs']);
      if (typeof outs === 'string') return `prepared: ${outs}`;
      if (outs !== undefined) return { type: 'prepared', index, present, outs };
      const vs = r['values'];
      if (vs === undefined || vs === null) return { type: 'prepared', index, present };
      if (!Array.isArray(vs)) return 'prepared: values must be a list';
      const values: (Buffer[] | null)[] = [];
      for (const v of vs as unknown[]) {
        if (v === null) values.push(null);
        else if (Array.isArray(v) && v.length >= 1 && v.every(isBytes)) values.push(v.map((x) => toBuffer(x as Uint8Array)));
        else return 'prepared: a value is null or a list of words';
      }
      return { type: 'prepared', index, present, values };
    }
    case 'conflict': {
      const holder = r['holder'];
      return typeof holder === 'string' && holder.length >= 1 && holder.length <= txnIdCharsMax ? { type: 'conflict', holder } : 'conflict: bad holder';
    }
    case 'decided': {
      const commit = r['commit'];
      const indexes = r['indexes'];
      if (typeof commit !== 'boolean' || !Array.isArray(indexes)) return 'decided: bad fields';
      const ix: [number, number][] = [];
      for (const p of indexes as unknown[]) {
        if (!Array.isArray(p) || p.length !== 2 || !isGroupId(p[0]) || !isIndex(p[1])) return 'decided: an index is [group, index]';
        ix.push([p[0], p[1]]);
      }
      const present = r['present'];
      if (present !== undefined && present !== null && !isIndex(present)) return 'decided: bad count';
      const outs = parseOuts(r['outs']);
      if (typeof outs === 'string') return `decided: ${outs}`;
      return { type: 'decided', commit, indexes: ix, ...(isIndex(present) ? { present } : {}), ...(outs !== undefined ? { outs } : {}) };
    }
    case 'resolved': {
      const applied = r['applied'];
      const released = r['released'];
      return typeof applied === 'boolean' && typeof released === 'boolean' ? { type: 'resolved', applied, released } : 'resolved: bad fields';
    }
    case 'forgotten':
      return { type: 'forgotten' };
    case 'unmet':
      return { type: 'unmet' };
    case 'expired':
      return { type: 'expired' };
    case 'spread': {
      const rs = r['results'];
      if (!Array.isArray(rs) || rs.length < 1 || rs.length > spreadStepsMax) return 'spread: bad results';
      const results: TxnResult[] = [];
      for (const x of rs as unknown[]) {
        const one = parseTxnResult(x);
        if (typeof one === 'string') return `spread: ${one}`;
        if (one.type !== 'resolved' && one.type !== 'forgotten') return 'spread: a step answers resolved or forgotten';
        results.push(one);
      }
      return { type: 'spread', results };
    }
    default:
      return `unknown txn result ${JSON.stringify(r['type'])}`;
  }
}

/** A program's results from the network: absent, or a list of results. */
function parseOuts(raw: unknown): StrResult[] | undefined | string {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw)) return 'outs must be a list';
  const outs: StrResult[] = [];
  for (const o of raw as unknown[]) {
    const x = parseStrResult(o);
    if (typeof x === 'string') return `bad out: ${x}`;
    outs.push(x);
  }
  return outs;
}
