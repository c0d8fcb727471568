import test from 'ava';
import { combineEncoded, decode, encode, type SessionCmd } from '../../src/kv/kv-command.js';
import { applyStrChange, parseInt64, parseStrChange, strChangeTuple, type StrChange } from '../../src/kv/str-command.js';
import { KvStateMachine } from '../../src/participant/kv-state-machine.js';
import { parseForwardRequest, wireForwardRequest } from '../../src/rpc/forward-protocol.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const str = (seq: number, key: string, change: StrChange): SessionCmd => ({ op: 'str', clientId: 'c1', seq, key: b(key), change });

test('every str change survives encode and decode, alone and in a batch', (t) => {
  const changes: StrChange[] = [
    { kind: 'incr', by: '-9223372036854775808' },
    { kind: 'append', value: b('\x00\xff') },
    { kind: 'getdel' },
    { kind: 'set', value: b('v'), cond: 'nx', get: true },
    { kind: 'set', value: b(''), cond: 'any', get: false },
  ];
  changes.forEach((c, i) => {
    const cmd = str(i + 1, 'k', c);
    t.deepEqual(decode(encode(cmd)), cmd);
  });
  const batch = decode(combineEncoded(changes.map((c, i) => encode(str(i + 1, 'k', c)))));
  t.is(batch.op, 'batch');
});

test('a malformed str change is named, never applied', (t) => {
  t.is(parseStrChange(['incr', '01']), 'bad incr');
  t.is(parseStrChange(['incr', '9223372036854775808']), 'bad incr');
  t.is(parseStrChange(['set', b('v'), 'maybe', false]), 'bad conditional set');
  t.is(parseStrChange(['explode']), 'unknown str change "explode"');
  t.throws(() => decode(encode({ op: 'set', clientId: 'c', seq: 1, key: b('k'), values: [b('v')] }).subarray(0, 3)));
});

test('a forwarded str write crosses the wire as a tuple and is parsed back whole', (t) => {
  const change: StrChange = { kind: 'set', value: b('v'), cond: 'xx', get: true };
  const cmd = str(7, 'k', change);
  const wire = wireForwardRequest({ t: 'write', cmd, g: 2 }) as { cmd: { change: unknown } };
  t.deepEqual(wire.cmd.change, strChangeTuple(change));
  t.deepEqual(parseForwardRequest(wire), { t: 'write', cmd, hops: 0, g: 2 });
  t.is(parseForwardRequest({ t: 'write', cmd: { op: 'str', clientId: 'c', seq: 1, key: b('k'), change: ['incr', 'x'] } }), 'bad str: bad incr');
});

test('INCRBY from nothing, on an integer, on text, and past 64 bits', (t) => {
  t.deepEqual(applyStrChange(undefined, { kind: 'incr', by: '5' }), { next: '5', result: { kind: 'int', n: '5' } });
  t.deepEqual(applyStrChange('-3', { kind: 'incr', by: '1' }).result, { kind: 'int', n: '-2' });
  t.deepEqual(applyStrChange('abc', { kind: 'incr', by: '1' }), { next: 'unchanged', result: { kind: 'refused', code: 'NOT_INTEGER' } });
  t.deepEqual(applyStrChange(' 1', { kind: 'incr', by: '1' }).result, { kind: 'refused', code: 'NOT_INTEGER' });
  t.deepEqual(applyStrChange(['1', '2'], { kind: 'incr', by: '1' }).result, { kind: 'refused', code: 'NOT_INTEGER' }, 'a lab value of two words is "1 2"');
  t.deepEqual(applyStrChange('9223372036854775807', { kind: 'incr', by: '1' }), { next: 'unchanged', result: { kind: 'refused', code: 'OVERFLOW' } });
  t.deepEqual(applyStrChange('-9223372036854775808', { kind: 'incr', by: '-1' }).result, { kind: 'refused', code: 'OVERFLOW' });
  t.is(parseInt64('-0'), undefined);
});

test('APPEND joins a lab value with spaces first; GETDEL; SET NX / XX / GET decide on the value before', (t) => {
  t.deepEqual(applyStrChange(['a', 'b'], { kind: 'append', value: b('c') }), { next: 'a bc', result: { kind: 'len', n: 4 } });
  t.deepEqual(applyStrChange(undefined, { kind: 'getdel' }), { next: 'unchanged', result: { kind: 'value', value: null, applied: false } });
  t.deepEqual(applyStrChange('v', { kind: 'getdel' }), { next: undefined, result: { kind: 'value', value: b('v'), applied: true } });
  const set = (cond: 'nx' | 'xx' | 'any', get: boolean) => ({ kind: 'set', value: b('new'), cond, get }) as const;
  t.deepEqual(applyStrChange(undefined, set('nx', false)), { next: 'new', result: { kind: 'value', value: null, applied: true } });
  t.deepEqual(applyStrChange('old', set('nx', true)), { next: 'unchanged', result: { kind: 'value', value: b('old'), applied: false } });
  t.deepEqual(applyStrChange(undefined, set('xx', false)), { next: 'unchanged', result: { kind: 'value', value: null, applied: false } });
  t.deepEqual(applyStrChange('old', set('xx', true)), { next: 'new', result: { kind: 'value', value: b('old'), applied: true } });
  t.deepEqual(applyStrChange('old', set('any', true)).next, 'new');
});

test('the state machine applies str commands once per seq, and a snapshot carries their values', (t) => {
  const sm = new KvStateMachine();
  const apply = (cmd: SessionCmd) => sm.apply(sm.appliedIndex + 1, encode(cmd));
  t.deepEqual(apply(str(1, 'n', { kind: 'incr', by: '10' })), [{ type: 'str', r: { kind: 'int', n: '10' } }]);
  // The same seq again (a retry after a leader change): the cached answer, not a second increment.
  t.deepEqual(apply(str(1, 'n', { kind: 'incr', by: '10' })), [{ type: 'str', r: { kind: 'int', n: '10' } }]);
  t.deepEqual(apply(str(2, 'n', { kind: 'incr', by: '-3' })), [{ type: 'str', r: { kind: 'int', n: '7' } }]);
  apply(str(3, 's', { kind: 'append', value: b('ab') }));
  apply(str(4, 'g', { kind: 'set', value: b('x'), cond: 'nx', get: false }));
  t.deepEqual(apply(str(5, 'g', { kind: 'getdel' })), [{ type: 'str', r: { kind: 'value', value: b('x'), applied: true } }]);
  t.deepEqual(sm.get(b('n')), [b('7')]);
  const back = KvStateMachine.restore(sm.snapshot());
  t.deepEqual(back.get(b('n')), [b('7')]);
  t.deepEqual(back.get(b('s')), [b('ab')]);
  t.false(back.has(b('g')));
  back.checkInvariants();
});
