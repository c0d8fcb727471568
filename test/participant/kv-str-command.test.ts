import test from 'ava';
import { combineEncoded, decode, encode, kvPackr, stampLeaderTime, type SessionCmd } from '../../src/kv/kv-command.js';
import { applyStrChange, parseInt64, parseStrChange, strChangeTuple, type StrChange } from '../../src/kv/str-command.js';
import { KvStateMachine } from '../../src/participant/kv-state-machine.js';
import { parseForwardRequest, wireForwardRequest } from '../../src/rpc/forward-protocol.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const T0 = 1_800_000_000_000;
const str = (seq: number, key: string, change: StrChange, nowMs = T0): SessionCmd => ({ op: 'str', clientId: 'c1', seq, key: b(key), change, nowMs });
const setc = (value: string, cond: 'nx' | 'xx' | 'any', get: boolean, ttl: Extract<StrChange, { kind: 'set' }>['ttl'] = { t: 'clear' }): StrChange => ({ kind: 'set', value: b(value), cond, get, ttl });
/** applyStrChange at T0. */
const at0 = (before: string | string[] | undefined, atMs: number | undefined, c: StrChange) => applyStrChange(before, atMs, c, T0);

test('every str change survives encode and decode with its time, alone and in a batch', (t) => {
  const changes: StrChange[] = [
    { kind: 'incr', by: '-9223372036854775808' },
    { kind: 'append', value: b('\x00\xff') },
    { kind: 'getdel' },
    setc('v', 'nx', true, { t: 'in', ms: 1500 }),
    setc('', 'any', false, { t: 'keep' }),
    { kind: 'expire', ttl: { t: 'at', ms: T0 + 5 }, cond: 'gt' },
    { kind: 'persist' },
    { kind: 'ttl' },
    { kind: 'delexpired' },
  ];
  changes.forEach((c, i) => {
    const cmd = str(i + 1, 'k', c);
    t.deepEqual(decode(encode(cmd)), cmd);
  });
  t.is(decode(combineEncoded(changes.map((c, i) => encode(str(i + 1, 'k', c))))).op, 'batch');
});

test('a str command is only written once the leader stamped its time; a stamp is never replaced', (t) => {
  const unstamped = str(1, 'k', { kind: 'ttl' }, 0);
  t.throws(() => encode(unstamped), { message: /not stamped/ });
  const stamped = stampLeaderTime(unstamped, T0);
  t.is((stamped as { nowMs: number }).nowMs, T0);
  t.is((stampLeaderTime(stamped, T0 + 99) as { nowMs: number }).nowMs, T0, 'a retry keeps the first time');
});

test('a malformed str change is named, never applied', (t) => {
  t.is(parseStrChange(['incr', '01']), 'bad incr');
  t.is(parseStrChange(['incr', '9223372036854775808']), 'bad incr');
  t.is(parseStrChange(['set', b('v'), 'maybe', false, ['clear']]), 'bad conditional set');
  t.is(parseStrChange(['set', b('v'), 'nx', false, ['in', 1.5]]), 'bad conditional set');
  t.is(parseStrChange(['expire', ['keep'], 'any']), 'bad expire');
  t.is(parseStrChange(['explode']), 'unknown str change "explode"');
});

test('a forwarded str write crosses the wire as a tuple with its time and is parsed back whole', (t) => {
  const change: StrChange = setc('v', 'xx', true, { t: 'in', ms: 10 });
  const cmd = str(7, 'k', change, 0);
  const wire = wireForwardRequest({ t: 'write', cmd, g: 2 }) as { cmd: { change: unknown } };
  t.deepEqual(wire.cmd.change, strChangeTuple(change));
  t.deepEqual(parseForwardRequest(wire), { t: 'write', cmd, hops: 0, g: 2 });
  t.is(parseForwardRequest({ t: 'write', cmd: { op: 'str', clientId: 'c', seq: 1, key: b('k'), change: ['incr', 'x'] } }), 'bad str: bad incr');
  t.is(parseForwardRequest({ t: 'write', cmd: { op: 'str', clientId: 'c', seq: 1, key: b('k'), change: ['ttl'], nowMs: -1 } }), 'bad str nowMs');
});

test('INCRBY from nothing, on an integer, on text, and past 64 bits', (t) => {
  t.deepEqual(at0(undefined, undefined, { kind: 'incr', by: '5' }), { next: '5', atMs: undefined, result: { kind: 'int', n: '5' } });
  t.deepEqual(at0('-3', undefined, { kind: 'incr', by: '1' }).result, { kind: 'int', n: '-2' });
  t.deepEqual(at0('abc', undefined, { kind: 'incr', by: '1' }), { next: 'unchanged', atMs: undefined, result: { kind: 'refused', code: 'NOT_INTEGER' } });
  t.deepEqual(at0(' 1', undefined, { kind: 'incr', by: '1' }).result, { kind: 'refused', code: 'NOT_INTEGER' });
  t.deepEqual(at0(['1', '2'], undefined, { kind: 'incr', by: '1' }).result, { kind: 'refused', code: 'NOT_INTEGER' }, 'a lab value of two words is "1 2"');
  t.deepEqual(at0('9223372036854775807', undefined, { kind: 'incr', by: '1' }).result, { kind: 'refused', code: 'OVERFLOW' });
  t.deepEqual(at0('-9223372036854775808', undefined, { kind: 'incr', by: '-1' }).result, { kind: 'refused', code: 'OVERFLOW' });
  t.is(parseInt64('-0'), undefined);
});

test('APPEND joins a lab value with spaces first; GETDEL; SET NX / XX / GET decide on the value before', (t) => {
  t.deepEqual(at0(['a', 'b'], undefined, { kind: 'append', value: b('c') }), { next: 'a bc', atMs: undefined, result: { kind: 'len', n: 4 } });
  t.deepEqual(at0(undefined, undefined, { kind: 'getdel' }).result, { kind: 'value', value: null, applied: false });
  t.deepEqual(at0('v', undefined, { kind: 'getdel' }), { next: undefined, atMs: undefined, result: { kind: 'value', value: b('v'), applied: true } });
  t.deepEqual(at0(undefined, undefined, setc('new', 'nx', false)), { next: 'new', atMs: undefined, result: { kind: 'value', value: null, applied: true } });
  t.deepEqual(at0('old', undefined, setc('new', 'nx', true)), { next: 'unchanged', atMs: undefined, result: { kind: 'value', value: b('old'), applied: false } });
  t.deepEqual(at0(undefined, undefined, setc('new', 'xx', false)).result, { kind: 'value', value: null, applied: false });
  t.deepEqual(at0('old', undefined, setc('new', 'xx', true)), { next: 'new', atMs: undefined, result: { kind: 'value', value: b('old'), applied: true } });
});

test('expiry: made absolute from the entry time; an expired key is missing to every command and removed when not rewritten', (t) => {
  t.deepEqual(at0(undefined, undefined, setc('v', 'any', false, { t: 'in', ms: 1000 })).atMs, T0 + 1000);
  t.deepEqual(at0('v', T0 + 50, setc('w', 'any', false, { t: 'keep' })).atMs, T0 + 50, 'KEEPTTL');
  t.deepEqual(at0('v', T0 + 50, setc('w', 'any', false)).atMs, undefined, 'plain SET clears the expiry');
  t.deepEqual(at0(undefined, undefined, setc('v', 'any', false, { t: 'at', ms: T0 - 1 })), { next: undefined, atMs: undefined, result: { kind: 'value', value: null, applied: true } }, 'EXAT in the past');
  // Expired at T0: missing.
  t.deepEqual(at0('5', T0, { kind: 'incr', by: '1' }), { next: '1', atMs: undefined, result: { kind: 'int', n: '1' } });
  t.deepEqual(at0('old', T0 - 1, setc('new', 'nx', true)), { next: 'new', atMs: undefined, result: { kind: 'value', value: null, applied: true } });
  t.deepEqual(at0('old', T0 - 1, { kind: 'ttl' }), { next: undefined, atMs: undefined, result: { kind: 'ttl', atMs: -2, leftMs: -2 } });
  t.deepEqual(at0('5', T0 + 10, { kind: 'incr', by: '1' }).atMs, T0 + 10, 'INCR keeps the expiry');
  t.deepEqual(at0('old', T0, { kind: 'delexpired' }), { next: undefined, atMs: undefined, result: { kind: 'int', n: '1' } });
  t.deepEqual(at0('old', T0 + 1, { kind: 'delexpired' }), { next: 'unchanged', atMs: T0 + 1, result: { kind: 'int', n: '0' } }, 'not yet: kept');
});

test('EXPIRE with NX / XX / GT / LT, PERSIST and TTL as Redis 7 decides them', (t) => {
  const ex = (cond: 'nx' | 'xx' | 'gt' | 'lt' | 'any', ms: number): StrChange => ({ kind: 'expire', ttl: { t: 'in', ms }, cond });
  t.deepEqual(at0(undefined, undefined, ex('any', 10)).result, { kind: 'int', n: '0' }, 'missing key');
  t.deepEqual(at0('v', undefined, ex('any', 10)), { next: 'unchanged', atMs: T0 + 10, result: { kind: 'int', n: '1' } });
  t.deepEqual(at0('v', undefined, ex('nx', 10)).atMs, T0 + 10);
  t.deepEqual(at0('v', T0 + 5, ex('nx', 10)), { next: 'unchanged', atMs: T0 + 5, result: { kind: 'int', n: '0' } });
  t.deepEqual(at0('v', undefined, ex('xx', 10)).result, { kind: 'int', n: '0' });
  t.deepEqual(at0('v', T0 + 5, ex('gt', 10)).atMs, T0 + 10);
  t.deepEqual(at0('v', undefined, ex('gt', 10)).result, { kind: 'int', n: '0' }, 'no expiry is infinite: nothing is greater');
  t.deepEqual(at0('v', undefined, ex('lt', 10)).atMs, T0 + 10, 'anything is less than infinite');
  t.deepEqual(at0('v', T0 + 5, ex('lt', 10)).result, { kind: 'int', n: '0' });
  t.deepEqual(at0('v', undefined, ex('any', -1)), { next: undefined, atMs: undefined, result: { kind: 'int', n: '1' } }, 'a past expiry deletes');
  t.deepEqual(at0('v', T0 + 5, { kind: 'persist' }), { next: 'unchanged', atMs: undefined, result: { kind: 'int', n: '1' } });
  t.deepEqual(at0('v', undefined, { kind: 'persist' }).result, { kind: 'int', n: '0' });
  t.deepEqual(at0('v', T0 + 1234, { kind: 'ttl' }).result, { kind: 'ttl', atMs: T0 + 1234, leftMs: 1234 });
  t.deepEqual(at0('v', undefined, { kind: 'ttl' }).result, { kind: 'ttl', atMs: -1, leftMs: -1 });
});

test('the state machine applies str commands once per seq; expiries go in snapshots and reads honour them', (t) => {
  const sm = new KvStateMachine();
  const apply = (cmd: SessionCmd) => sm.apply(sm.appliedIndex + 1, encode(cmd));
  t.deepEqual(apply(str(1, 'n', { kind: 'incr', by: '10' })), [{ type: 'str', r: { kind: 'int', n: '10' } }]);
  // The same seq again (a retry after a leader change): the cached answer, not a second increment.
  t.deepEqual(apply(str(1, 'n', { kind: 'incr', by: '10' })), [{ type: 'str', r: { kind: 'int', n: '10' } }]);
  t.deepEqual(apply(str(2, 'n', { kind: 'incr', by: '-3' })), [{ type: 'str', r: { kind: 'int', n: '7' } }]);
  apply(str(3, 's', { kind: 'append', value: b('ab') }));
  apply(str(4, 'g', setc('x', 'nx', false)));
  t.deepEqual(apply(str(5, 'g', { kind: 'getdel' })), [{ type: 'str', r: { kind: 'value', value: b('x'), applied: true } }]);
  apply(str(6, 'e', setc('soon', 'any', false, { t: 'in', ms: 1000 })));
  apply(str(7, 'n', { kind: 'expire', ttl: { t: 'at', ms: T0 + 60_000 }, cond: 'any' }));
  t.deepEqual(sm.get(b('n'), T0), [b('7')]);
  t.deepEqual(sm.get(b('e'), T0 + 999), [b('soon')]);
  t.is(sm.get(b('e'), T0 + 1000), undefined, 'expired for a reader at its expiry');
  t.true(sm.has(b('e')), 'still held until a replicated delete');
  t.deepEqual(sm.expiredKeys(T0 + 1000, 10), [b('e')]);
  t.deepEqual(sm.expiredKeys(T0 + 1000, 10), [b('e')], 'asking changes nothing');
  const back = KvStateMachine.restore(sm.snapshot());
  back.checkInvariants();
  t.deepEqual(back.get(b('n'), T0), [b('7')]);
  t.is(back.expiryOf(b('n')), T0 + 60_000);
  t.is(back.expiryOf(b('e')), T0 + 1000);
  t.deepEqual(back.get(b('s')), [b('ab')]);
  t.false(back.has(b('g')));
  // The sweep's delete at T0+1000 removes e; a plain SET clears n's expiry.
  apply(str(8, 'e', { kind: 'delexpired' }, T0 + 1000));
  apply({ op: 'set', clientId: 'c1', seq: 9, key: b('n'), values: [b('1')] });
  t.false(sm.has(b('e')));
  t.is(sm.expiryOf(b('n')), undefined);
  t.deepEqual(sm.expiredKeys(T0 + 10_000_000, 10), []);
  sm.checkInvariants();
});

test('a version 2 snapshot (before expiries) still restores, with no expiries', (t) => {
  const sm = new KvStateMachine();
  sm.apply(1, encode({ op: 'set', clientId: 'c', seq: 1, key: b('k'), values: [b('v')] }));
  const chunks = [...sm.snapshotChunks()].map((c) => kvPackr.unpack(Buffer.from(c)) as { type: string; version?: number });
  const v2 = chunks.filter((c) => c.type !== 'expires').map((c) => kvPackr.pack(c.type === 'header' ? { ...c, version: 2 } : c));
  const back = KvStateMachine.restoreChunks(v2);
  t.deepEqual(back.get(b('k')), [b('v')]);
  t.is(back.expiringKeys, 0);
  // A version 3 snapshot must carry its expires chunk.
  const cut = chunks.filter((c) => c.type !== 'expires').map((c) => kvPackr.pack(c));
  t.throws(() => KvStateMachine.restoreChunks(cut), { message: /without its expires chunk/ });
});
