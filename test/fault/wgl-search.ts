import { assert } from '../../raft/assert.js';
import type { ModelOp, RegisterState } from './register-model.js';
import { step, UNREAD } from './register-model.js';

/**
 * Wing & Gong's linearizability search with Lowe's just-in-time improvements
 * and memoization, as Porcupine and Knossos do it: walk the history's call
 * and return events in time order; at a call, try to linearize that op now
 * (its model step must accept its result); at a return whose op is not yet
 * linearized, undo the last choice. A (set of linearized ops, state) pair
 * already explored is never explored again.
 */
export type SearchResult =
  | { readonly kind: 'linearizable' }
  | { readonly kind: 'violation'; readonly deepest: number }
  | { readonly kind: 'inconclusive'; readonly steps: number };

/** Default bound on search steps for one key: beyond it we say inconclusive, never loop unbounded. */
export const SEARCH_STEPS_MAX = 20_000_000;
/** Bound on memoized configurations (each holds a copy of the bitset): memory stays bounded. */
export const SEARCH_MEMO_ENTRIES_MAX = 400_000;

interface Entry {
  readonly op: number;
  readonly isCall: boolean;
  readonly time: number;
  /** Call entries: their return. */
  match: Entry | null;
  prev: Entry | null;
  next: Entry | null;
}

function buildList(ops: readonly ModelOp[]): Entry {
  const events: Entry[] = [];
  ops.forEach((op, i) => {
    assert(op.completeMs >= op.invokeMs, `op ${op.id} completes before its call`);
    const call: Entry = { op: i, isCall: true, time: op.invokeMs, match: null, prev: null, next: null };
    const ret: Entry = { op: i, isCall: false, time: op.completeMs, match: null, prev: null, next: null };
    call.match = ret;
    events.push(call, ret);
  });
  // Equal times: calls first, so touching intervals count as concurrent (never a false alarm).
  events.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? a.op - b.op : a.isCall ? -1 : 1));
  const head: Entry = { op: -1, isCall: false, time: -Infinity, match: null, prev: null, next: null };
  let last = head;
  for (const e of events) {
    last.next = e;
    e.prev = last;
    last = e;
  }
  return head;
}

function lift(call: Entry): void {
  call.prev!.next = call.next;
  if (call.next !== null) call.next.prev = call.prev;
  const ret = call.match!;
  ret.prev!.next = ret.next;
  if (ret.next !== null) ret.next.prev = ret.prev;
}

function unlift(call: Entry): void {
  const ret = call.match!;
  ret.prev!.next = ret;
  if (ret.next !== null) ret.next.prev = ret;
  call.prev!.next = call;
  if (call.next !== null) call.next.prev = call;
}

/** A bitset of linearized ops with a cheap hash, for the memo. */
class Bits {
  readonly words: Uint32Array;
  constructor(n: number) {
    this.words = new Uint32Array(Math.ceil(n / 32) + 1);
  }
  set(i: number): void {
    this.words[i >>> 5]! |= 1 << (i & 31);
  }
  clear(i: number): void {
    this.words[i >>> 5]! &= ~(1 << (i & 31));
  }
  key(state: RegisterState): string {
    // Exact (not a hash): the words as text plus the state. Collisions would hide violations.
    let s = '';
    for (const w of this.words) s += `${w.toString(36)},`;
    return `${s}|${state === null ? '\u0000' : state}`;
  }
}

/** 0 for ops that must be tried one by one; else a bit naming their interchangeable class. */
function infoClass(op: ModelOp): number {
  if (!op.info) return 0;
  if (op.kind === 'del') return 1;
  // An unknown SET reaching the search sets a value no read returned (see toModelOps).
  assert(op.kind === 'set' && op.value === UNREAD, 'unknown op of an unexpected kind reached the search');
  return 2;
}

/** A choice on the DFS path, with what is needed to resume the scan it interrupted. */
interface Frame {
  readonly call: Entry;
  readonly state: RegisterState;
  /** Deferred unknown ops: resume at this return entry; ok ops resume after their call. */
  readonly resume: Entry | null;
  readonly deferred: Entry[];
  readonly tried: number;
}

export function searchLinearization(ops: readonly ModelOp[], init: RegisterState, stepsMax = SEARCH_STEPS_MAX): SearchResult {
  const okTotal = ops.filter((o) => !o.info).length;
  if (okTotal === 0) return { kind: 'linearizable' };
  const head = buildList(ops);
  const bits = new Bits(ops.length);
  // Memo: (linearized ok ops, state) -> how many unknown DELs / SETs were
  // applied on the way, for every configuration explored. Unknown ops of a
  // class are always applied in call order (see `tried`), so fewer applied
  // means a superset still available: a configuration is pruned when one
  // explored before had the same key and no more of either class applied.
  const seen = new Map<string, Array<[number, number]>>();
  let seenSize = 0;
  const applied: [number, number] = [0, 0];
  const stack: Frame[] = [];
  let state = init;
  let okLeft = okTotal;
  let deepest = 0;
  let steps = 0;
  // The scan: ok calls are tried where met; unknown ones are deferred until the
  // scan reaches a return it must satisfy, so plain orders are explored before
  // ones that spend unknown ops (which makes the memo's pruning bite).
  let pos = head.next;
  let deferred: Entry[] = [];
  // Info ops of one class (unknown SETs of unread values; unknown DELs) set the
  // same state whatever it was, and once called they are interchangeable: so a
  // scan tries only the first of each class it meets (exchange argument).
  let tried = 0;

  /** Linearizes the op of `call` now if its result fits and the configuration is new. */
  const attempt = (call: Entry, resume: Entry | null): boolean => {
    const op = ops[call.op]!;
    const next = step(state, op);
    if (next === undefined) return false;
    const cls = infoClass(op);
    if (cls === 0) bits.set(call.op);
    else applied[cls - 1]!++;
    const k = bits.key(next);
    const frontier = seen.get(k) ?? [];
    if (frontier.some(([d, u]) => d <= applied[0] && u <= applied[1])) {
      if (cls === 0) bits.clear(call.op);
      else applied[cls - 1]!--;
      return false;
    }
    frontier.push([applied[0], applied[1]]);
    seen.set(k, frontier);
    seenSize++;
    stack.push({ call, state, resume, deferred, tried });
    state = next;
    if (cls === 0) okLeft--;
    deepest = Math.max(deepest, okTotal - okLeft);
    lift(call);
    pos = head.next;
    deferred = [];
    tried = 0;
    return true;
  };

  while (okLeft > 0) {
    if (++steps > stepsMax || seenSize >= SEARCH_MEMO_ENTRIES_MAX) return { kind: 'inconclusive', steps };
    assert(pos !== null, 'search ran off the end with ok ops left');
    if (pos.isCall) {
      const cls = infoClass(ops[pos.op]!);
      if (cls !== 0) {
        if ((tried & cls) === 0) {
          tried |= cls;
          deferred = [...deferred, pos];
        }
        pos = pos.next;
      } else if (!attempt(pos, null)) {
        pos = pos.next;
      }
      continue;
    }
    // A return whose op is not linearized: spend a deferred unknown op, or undo the last choice.
    const d = deferred[0];
    if (d !== undefined) {
      deferred = deferred.slice(1);
      attempt(d, pos);
      continue;
    }
    const top = stack.pop();
    if (top === undefined) return { kind: 'violation', deepest };
    state = top.state;
    const cls = infoClass(ops[top.call.op]!);
    if (cls === 0) {
      bits.clear(top.call.op);
      okLeft++;
    } else {
      applied[cls - 1]!--;
    }
    unlift(top.call);
    pos = top.resume ?? top.call.next;
    deferred = top.deferred;
    tried = top.tried;
  }
  return { kind: 'linearizable' };
}
