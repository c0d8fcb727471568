import test from 'ava';
import { H } from './history-builder.js';
import { isTxnWrite, MID_TXN_DELAY_MS_DEFAULT, parseNemeses, txnLatencyMs } from './nemesis.js';

test('kill-coordinator aims at transactions: MSETs and DELs of several keys, not reads nor single-key writes', (t) => {
  const h = new H().mset(1, ['a', 'b'], 'v', 0, 1).mdel(1, ['a', 'b'], 2, 2, 3).mget(1, ['a', 'b'], ['v', 'v'], 4, 5).set(1, 'w', 6, 7).del(1, 1, 8, 9);
  t.deepEqual(h.ops.map(isTxnWrite), [true, true, false, false, false]);
});

test('the kill delay follows the median latency of acknowledged transactions', (t) => {
  t.is(txnLatencyMs([]), MID_TXN_DELAY_MS_DEFAULT, 'none yet: the default');
  const h = new H().mset(1, ['a', 'b'], 'v1', 0, 10).mset(1, ['a', 'b'], 'v2', 20, 50).mset(1, ['a', 'b'], 'v3', 60, 80).mset(1, ['a', 'b'], 'v4', 90, null).get(1, 'v3', 90, 900);
  t.is(txnLatencyMs(h.ops), 20, 'median of 10, 30, 20; unknown outcomes and reads do not count');
});

test('nemesis names: kill-coordinator is one of them; unknown names are refused', (t) => {
  t.deepEqual(parseNemeses('kill, kill-coordinator'), ['kill', 'kill-coordinator']);
  t.throws(() => parseNemeses('kill,coordinator'), { message: /unknown nemesis "coordinator"/ });
});
