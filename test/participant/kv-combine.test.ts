import test from 'ava';
import { combineEncoded, decode, encode } from '../../src/kv/kv-command.js';
import type { SessionCmd } from '../../src/kv/kv-command.js';
import { KvStateMachine } from '../../src/participant/kv-state-machine.js';

const set = (seq: number, key: string, v: string): SessionCmd => ({ op: 'set', clientId: 'c1', seq, key: Buffer.from(key), values: [Buffer.from(v)] });
const del = (seq: number, ...keys: string[]): SessionCmd => ({ op: 'del', clientId: 'c1', seq, keys: keys.map((k) => Buffer.from(k)) });

test('combineEncoded packs encoded commands into one batch entry without decoding them', (t) => {
  for (const n of [2, 15, 16, 17, 300]) {
    const cmds = Array.from({ length: n }, (_, k) => (k % 3 === 2 ? del(k + 1, `k${k - 1}`) : set(k + 1, `k${k}`, `v${k}`)));
    const entry = combineEncoded(cmds.map(encode));
    const back = decode(entry);
    t.is(back.op, 'batch');
    if (back.op !== 'batch') return;
    t.deepEqual(back.cmds.map((c) => ('seq' in c ? c.seq : 0)), cmds.map((c) => c.seq), `n=${n}`);
    t.deepEqual(encode(back), encode({ op: 'batch', cmds }), `n=${n}: same bytes as encoding the batch directly`);
  }
});

test('a combined entry applies every command once, with one result each, in order', (t) => {
  const sm = new KvStateMachine();
  const results = sm.apply(1, combineEncoded([set(1, 'a', '1'), set(2, 'b', '2'), del(3, 'a', 'b', 'zz')].map(encode)));
  t.deepEqual(results, [{ type: 'ok' }, { type: 'ok' }, { type: 'count', n: 2 }]);
  t.is(sm.get(Buffer.from('a')), undefined);
});

test('combineEncoded refuses what is not an encoded single command', (t) => {
  t.throws(() => combineEncoded([]));
  t.throws(() => combineEncoded([encode({ op: 'batch', cmds: [set(1, 'a', 'b')] })]));
});
