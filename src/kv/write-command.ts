import type { KvAnswer, KvOp } from '../server/kv-service.js';
import type { ApplyResult, SessionCmd } from './kv-command.js';

type WriteOp = Extract<KvOp, { type: 'set' | 'del' | 'mset' | 'str' }>;

/** A client's write as the command a Raft entry carries, under its at-most-once identity. */
export function sessionCmdOf(op: WriteOp, clientId: string, seq: number): SessionCmd {
  switch (op.type) {
    case 'set':
      return { op: 'set', clientId, seq, key: op.key, values: [...op.values] };
    case 'del':
      return { op: 'del', clientId, seq, keys: [...op.keys] };
    case 'mset':
      return { op: 'mset', clientId, seq, pairs: op.pairs.map(([k, v]) => [k, v] as const) };
    case 'str':
      // Stamped with the leader's clock where it is proposed (stampLeaderTime).
      return { op: 'str', clientId, seq, key: op.key, change: op.change, nowMs: 0 };
  }
}

/** The client's answer for a write's apply result, or why there is none (the caller throws its own error). */
export function answerOfWrite(op: WriteOp['type'] | SessionCmd['op'], result: unknown): KvAnswer | string {
  const r = result as ApplyResult | undefined;
  if (r === undefined || typeof r !== 'object') return 'no result for a write';
  if (r.type === 'error') return `write refused: ${r.code}`;
  if (op === 'set' || op === 'mset') return { type: 'ok' };
  if (op === 'str') return r.type === 'str' ? { type: 'str', result: r.r } : `unexpected result ${r.type} for a str command`;
  if (r.type !== 'count') return `unexpected result ${r.type} for DEL`;
  return { type: 'count', n: r.n };
}
