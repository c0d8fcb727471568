import type { HistoryOp } from './history.js';

/** A tiny DSL: one op per call, times in ms; `null` complete = unknown outcome. */
export class H {
  readonly ops: HistoryOp[] = [];
  private op(kind: HistoryOp['kind'], client: number, at: number, end: number | null, fields: Partial<HistoryOp>, key = 'x'): this {
    this.ops.push({
      id: this.ops.length,
      client,
      kind,
      key,
      keys: [key],
      value: null,
      invokeMs: at,
      completeMs: end,
      outcome: end === null ? 'info' : 'ok',
      read: null,
      reads: null,
      count: null,
      note: null,
      port: 0,
      ...fields,
    });
    return this;
  }
  set(c: number, v: string, at: number, end: number | null, key = 'x'): this {
    return this.op('set', c, at, end, { value: v }, key);
  }
  get(c: number, read: string | null, at: number, end: number | null, key = 'x'): this {
    return this.op('get', c, at, end, { read }, key);
  }
  del(c: number, n: number | null, at: number, end: number | null, key = 'x'): this {
    return this.op('del', c, at, end, { count: n }, key);
  }
  failedGet(c: number, at: number, end: number, key = 'x'): this {
    return this.op('get', c, at, end, { outcome: 'fail', read: 'garbage' }, key);
  }
  /** MSET of one value to every key. */
  mset(c: number, keys: readonly string[], v: string, at: number, end: number | null): this {
    return this.op('mset', c, at, end, { keys, value: v }, keys[0]);
  }
  /** MGET: `reads[i]` is the entry of `keys[i]`. */
  mget(c: number, keys: readonly string[], reads: readonly (string | null)[], at: number, end: number | null): this {
    return this.op('mget', c, at, end, { keys, reads: end === null ? null : [...reads] }, keys[0]);
  }
  /** DEL of several keys answering n (null: unknown outcome). */
  mdel(c: number, keys: readonly string[], n: number | null, at: number, end: number | null): this {
    return this.op('del', c, at, end, { keys, count: n }, keys[0]);
  }
  failedMget(c: number, keys: readonly string[], at: number, end: number): this {
    return this.op('mget', c, at, end, { keys, outcome: 'fail', reads: keys.map(() => 'garbage') }, keys[0]);
  }
}
