import test from 'ava';
import type { KvAnswer, KvOp, KvSession } from '../../src/server/kv-service.js';
import { orderedSession } from '../../src/server/ordered-session.js';

/** A store whose writes take longer than its reads, as a replicated write does. */
function slowWrites(): { session: KvSession; log: string[]; overlap: { now: number; max: number } } {
  const data = new Map<string, string>();
  const log: string[] = [];
  const overlap = { now: 0, max: 0 };
  const later = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  return {
    log,
    overlap,
    session: {
      execute: async (op: KvOp): Promise<KvAnswer> => {
        if (op.type === 'get') {
          // A read answers within the turn, a write after a timer: without the ordering a read always overtakes.
          await Promise.resolve();
          const v = data.get(op.key.toString());
          log.push(`get ${op.key.toString()}=${v ?? 'nil'}`);
          return { type: 'values', values: v === undefined ? undefined : [Buffer.from(v)] };
        }
        overlap.max = Math.max(overlap.max, ++overlap.now);
        await later(10);
        overlap.now--;
        if (op.type === 'set') data.set(op.key.toString(), op.values[0]!.toString());
        else if (op.type === 'del') for (const k of op.keys) data.delete(k.toString());
        log.push(`${op.type} done`);
        return { type: 'ok' };
      },
      close: () => {},
    },
  };
}

const set = (k: string, v: string): KvOp => ({ type: 'set', key: Buffer.from(k), values: [Buffer.from(v)] });
const get = (k: string): KvOp => ({ type: 'get', key: Buffer.from(k) });

test('a pipelined GET sees the SET sent before it on the same connection, and not the one sent after it', async (t) => {
  const { session, log } = slowWrites();
  const s = orderedSession(session);
  const replies = await Promise.all([s.execute(set('a', '1')), s.execute(get('a')), s.execute(set('a', '2')), s.execute(get('a'))]);
  t.deepEqual(replies[1], { type: 'values', values: [Buffer.from('1')] });
  t.deepEqual(replies[3], { type: 'values', values: [Buffer.from('2')] });
  t.deepEqual(log, ['set done', 'get a=1', 'set done', 'get a=2']);
});

test('commands of one kind still run concurrently', async (t) => {
  const { session, log, overlap } = slowWrites();
  const s = orderedSession(session);
  await Promise.all([set('a', '1'), set('b', '2'), set('c', '3')].map((op) => s.execute(op)));
  // Counted, not timed: a loaded machine must not fail it.
  t.is(overlap.max, 3, 'three writes overlapped');
  t.is(log.length, 3);
});

test('without the ordering a pipelined GET can overtake the SET before it (what this guards against)', async (t) => {
  const { session } = slowWrites();
  const [, got] = await Promise.all([session.execute(set('a', '1')), session.execute(get('a'))]);
  t.deepEqual(got, { type: 'values', values: undefined });
});
