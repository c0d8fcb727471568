/**
 * A transaction program: the commands of one group's share of a MULTI/EXEC
 * (or MSETNX), evaluated by the group's state machine when it applies the
 * PREPARE, under the locks that PREPARE takes. Each op names one key of
 * the PREPARE; the ops run in order, each seeing the ones before it, so a
 * group's share behaves as if run alone at the PREPARE's log position.
 * Keys of different groups never meet in one op, so the shares of several
 * groups compose to the whole program run at the commit point.
 *
 * Evaluation is pure (the value before, its expiry, the entry's `nowMs`):
 * every replica computes the same results and the same final state, which
 * the record keeps until RESOLVE applies or drops it.
 *
 * A check that fails (a WATCHed value changed, an MSETNX key exists) makes
 * the PREPARE record nothing and answer `unmet`: the transaction aborts
 * without retrying.
 *
 * Wire: [key index, kind, ...]
 *   [k, 'str', changeTuple]   a string command (str-command.ts)
 *   [k, 'get']                the value, as a GET inside the program sees it
 *   [k, 'watch', digest]      the value must still be what WATCH saw
 *   [k, 'absent']             the key must not exist (MSETNX)
 *   ['flush']                 every key of the group goes (FLUSHALL; the only op)
 */
import { createHash } from 'node:crypto';
import { assert, assertNever } from '../../raft/assert.js';
import { applyStrChange, parseStrChange, strChangeTuple, type StrChange, type StrResult } from '../kv/str-command.js';

export type ProgramOp =
  | { readonly k: number; readonly kind: 'str'; readonly change: StrChange }
  | { readonly k: number; readonly kind: 'get' }
  | { readonly k: number; readonly kind: 'watch'; readonly digest: Buffer }
  | { readonly k: number; readonly kind: 'absent' }
  /** FLUSHALL's share: every key of the group goes (the PREPARE names no keys and locks the whole group). */
  | { readonly kind: 'flush' };

export interface Program {
  /** The leader's clock when it proposed the PREPARE (0 until stamped). */
  readonly nowMs: number;
  readonly ops: readonly ProgramOp[];
}

/** Most ops one group's share may hold (a MULTI of many commands over few keys). */
export const programOpsMax = 16_384;
export const watchDigestBytes = 16;

/** What WATCH remembers of a key: a digest of its value as one Redis string, or of its absence. */
export function watchDigest(value: Buffer | undefined): Buffer {
  const h = createHash('sha256');
  if (value === undefined) h.update('-');
  else h.update('+').update(value);
  return h.digest().subarray(0, watchDigestBytes);
}

export function programTuple(p: Program): unknown[] {
  return [
    p.nowMs,
    p.ops.map((o) => {
      switch (o.kind) {
        case 'str':
          return [o.k, 'str', strChangeTuple(o.change)];
        case 'watch':
          return [o.k, 'watch', o.digest];
        case 'get':
        case 'absent':
          return [o.k, o.kind];
        case 'flush':
          return ['flush'];
        default:
          return assertNever(o, 'program op');
      }
    }),
  ];
}

/** The program in a tuple, or why it is none; `keys` is how many keys the PREPARE names. */
export function parseProgram(raw: unknown, keys: number): Program | string {
  if (!Array.isArray(raw) || raw.length !== 2) return 'a program is [nowMs, ops]';
  const [nowMs, ops] = raw as unknown[];
  if (typeof nowMs !== 'number' || !Number.isSafeInteger(nowMs) || nowMs < 0) return 'bad program nowMs';
  if (!Array.isArray(ops) || ops.length > programOpsMax) return `a program has 0..${programOpsMax} ops`;
  const out: ProgramOp[] = [];
  if (ops.length === 1 && Array.isArray(ops[0]) && ops[0].length === 1 && ops[0][0] === 'flush') {
    return keys === 0 ? { nowMs, ops: [{ kind: 'flush' }] } : 'a flush names no keys';
  }
  for (const o of ops as unknown[]) {
    if (!Array.isArray(o) || o.length < 2) return 'an op is [key index, kind, ...]';
    const [k, kind, arg] = o as unknown[];
    if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || k >= keys) return 'an op names a key of the prepare';
    if (kind === 'str' && o.length === 3) {
      const change = parseStrChange(arg);
      if (typeof change === 'string') return change;
      out.push({ k, kind, change });
    } else if (kind === 'watch' && o.length === 3 && arg instanceof Uint8Array && arg.length === watchDigestBytes) {
      out.push({ k, kind, digest: Buffer.from(arg) });
    } else if ((kind === 'get' || kind === 'absent') && o.length === 2) {
      out.push({ k, kind });
    } else return `bad program op ${JSON.stringify(kind)}`;
  }
  return { nowMs, ops: out };
}

/** A key's state as a program sees and leaves it: latin1 value (words joined), absolute expiry. */
export interface KeyState {
  readonly value: string | readonly string[] | undefined;
  readonly atMs: number | undefined;
}

/** The final state of one key the program changed: the value after (undefined: removed) and its expiry. */
export interface FinalState {
  readonly value: string | readonly string[] | undefined;
  readonly atMs: number | undefined;
}

export type ProgramOutcome =
  | { readonly type: 'ran'; readonly outs: StrResult[]; readonly finals: ReadonlyMap<number, FinalState> }
  | { readonly type: 'unmet' };

const OK_OUT: StrResult = Object.freeze({ kind: 'int', n: '1' });

/**
 * Runs the ops against `before(k)` (the stored state of key index k).
 * Finals: the keys whose state the program changed, by key index.
 */
export function runProgram(p: Program, before: (k: number) => KeyState): ProgramOutcome {
  assert(p.nowMs > 0, 'txn program: run before the leader stamped its time');
  const cur = new Map<number, KeyState>();
  const state = (k: number): KeyState => cur.get(k) ?? before(k);
  const finals = new Map<number, FinalState>();
  const outs: StrResult[] = [];
  for (const o of p.ops) {
    assert(o.kind !== 'flush', 'txn program: a flush is the table\'s to apply, never run per key');
    const s = state(o.k);
    const live = s.value !== undefined && (s.atMs === undefined || s.atMs > p.nowMs);
    const text = live ? (typeof s.value === 'string' ? s.value : (s.value as readonly string[]).join(' ')) : undefined;
    switch (o.kind) {
      case 'watch':
        if (!watchDigest(text === undefined ? undefined : Buffer.from(text, 'latin1')).equals(o.digest)) return { type: 'unmet' };
        outs.push(OK_OUT);
        break;
      case 'absent':
        if (live) return { type: 'unmet' };
        outs.push(OK_OUT);
        break;
      case 'get':
        outs.push({ kind: 'value', value: text === undefined ? null : Buffer.from(text, 'latin1'), applied: text !== undefined });
        break;
      case 'str': {
        const r = applyStrChange(s.value, s.atMs, o.change, p.nowMs);
        outs.push(r.result);
        if (r.next === 'unchanged') {
          if (r.atMs !== s.atMs) {
            const next: KeyState = { value: s.value, atMs: r.atMs };
            cur.set(o.k, next);
            finals.set(o.k, { value: s.value, atMs: r.atMs });
          }
        } else if (r.next !== undefined || s.value !== undefined) {
          cur.set(o.k, { value: r.next, atMs: r.atMs });
          finals.set(o.k, { value: r.next, atMs: r.next === undefined ? undefined : r.atMs });
        }
        break;
      }
      default:
        return assertNever(o as never, 'program op');
    }
  }
  return { type: 'ran', outs, finals };
}

/** Whether a program is FLUSHALL's share of its group. */
export const isFlush = (p: Program | undefined): boolean => p !== undefined && p.ops.length === 1 && p.ops[0]!.kind === 'flush';
