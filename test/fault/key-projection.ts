import { assert } from '../../raft/assert.js';
import type { HistoryOp } from './history.js';

/**
 * A history with multi-key ops, as one register history per key: what the
 * per-key linearizability search (P-compositionality) orders.
 *   MSET k1 k2 … = v  -> a SET of v on each key, with the MSET's interval and outcome;
 *   MGET k1 k2 …      -> a GET of each key, returning that key's entry;
 *   DEL k1 k2 …  = N  -> a DEL of each key whose own result is open (count null):
 *                        the total N is checked apart (del-counts.ts).
 * Each projected op keeps the original's id (unique within one key's list).
 *
 * Atomicity is folded in where a history can show it: an MSET takes effect on
 * all its keys at one instant, so an MSET of unknown outcome whose value any
 * read returned, on any of its keys, took effect on EVERY key before that read
 * completed. It is projected as an ok write with that deadline on every key;
 * a key where it is then missing fails its own search.
 */
export function projectByKey(ops: readonly HistoryOp[]): Map<string, HistoryOp[]> {
  const seenBy = earliestObservation(ops);
  const out = new Map<string, HistoryOp[]>();
  const add = (key: string, op: HistoryOp): void => {
    const list = out.get(key);
    if (list === undefined) out.set(key, [op]);
    else list.push(op);
  };
  for (const op of ops) {
    assert(op.keys.length >= 1 && op.keys[0] === op.key, () => `op #${op.id}: keys[0] must be its key`);
    assert(new Set(op.keys).size === op.keys.length, () => `op #${op.id}: names a key twice`);
    switch (op.kind) {
      case 'set':
      case 'get':
        add(op.key, op);
        break;
      case 'del':
        if (op.keys.length === 1) add(op.key, op);
        else for (const k of op.keys) add(k, part(op, k, { kind: 'del', count: null }));
        break;
      case 'mset': {
        const seen = op.outcome === 'info' ? Math.min(...op.keys.map((k) => seenBy.get(observation(k, op.value)) ?? Infinity)) : Infinity;
        const fields: Partial<HistoryOp> = seen === Infinity ? { kind: 'set' } : { kind: 'set', outcome: 'ok', completeMs: Math.max(seen, op.invokeMs) };
        for (const k of op.keys) add(k, part(op, k, fields));
        break;
      }
      case 'mget':
        op.keys.forEach((k, i) => add(k, part(op, k, { kind: 'get', read: op.reads?.[i] ?? null })));
        break;
    }
  }
  return out;
}

/** One key's share of a multi-key op. */
function part(op: HistoryOp, key: string, fields: Partial<HistoryOp>): HistoryOp {
  return { ...op, key, keys: [key], reads: null, ...fields };
}

const observation = (key: string, value: string | null): string => `${key}\u0000${value ?? ''}`;

/** (key, value) -> the earliest completion of an ok read (GET or an MGET entry) of that key that returned it. */
function earliestObservation(ops: readonly HistoryOp[]): Map<string, number> {
  const out = new Map<string, number>();
  const saw = (key: string, v: string | null, at: number): void => {
    if (v !== null) out.set(observation(key, v), Math.min(at, out.get(observation(key, v)) ?? Infinity));
  };
  for (const op of ops) {
    if (op.outcome !== 'ok' || op.completeMs === null) continue;
    if (op.kind === 'get') saw(op.key, op.read, op.completeMs);
    if (op.kind === 'mget') op.keys.forEach((k, i) => saw(k, op.reads?.[i] ?? null, op.completeMs!));
  }
  return out;
}
