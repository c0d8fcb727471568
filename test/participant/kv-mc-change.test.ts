import test from 'ava';
import { decode, encode, type SessionCmd } from '../../src/kv/kv-command.js';
import type { McChange, McStoreMode } from '../../src/kv/mc-change.js';
import { casOf, decodeItem, encodeItem } from '../../src/kv/mc-item.js';
import { parseStrChange, parseStrResult, strChangeTuple, type StrChange } from '../../src/kv/str-command.js';
import { KvStateMachine } from '../../src/participant/kv-state-machine.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const T0 = 1_800_000_000_000;
const store = (mode: McStoreMode, value: string, flags = 0, ttl: Extract<McChange, { kind: 'mcstore' }>['ttl'] = { t: 'clear' }, cas = '', itemBytesMax = 0): McChange => ({ kind: 'mcstore', mode, value: b(value), flags, ttl, cas, itemBytesMax });

/** A state machine fed str commands at given times; answers each command's result. */
function machine() {
  const sm = new KvStateMachine();
  let seq = 0;
  const run = (key: string, change: StrChange | { kind: 'set' }, nowMs = T0) => {
    const cmd: SessionCmd = change.kind === 'set' && !('value' in change) ? { op: 'set', clientId: 'c', seq: ++seq, key: b(key), values: [b('plain')] } : { op: 'str', clientId: 'c', seq: ++seq, key: b(key), change: change as StrChange, nowMs };
    const [r] = sm.apply(sm.appliedIndex + 1, encode(cmd));
    return r!.type === 'str' ? r!.r : r;
  };
  const value = (key: string, nowMs = T0): string | undefined => sm.get(b(key), nowMs)?.map((x) => x.toString('latin1')).join(' ');
  return { sm, run, value };
}

test('every memcached change survives its wire tuple and the kv command codec', (t) => {
  const changes: McChange[] = [
    store('set', 'v', 7, { t: 'in', ms: 5000 }),
    store('cas', '\x00\xff', 0, { t: 'at', ms: T0 }, '18446744073709551615'),
    store('prepend', ''),
    { kind: 'mcincr', by: '18446744073709551615', decr: true },
    { kind: 'mctouch', ttl: { t: 'clear' }, get: true },
  ];
  for (const c of changes) {
    t.deepEqual(parseStrChange(strChangeTuple(c)), c);
    const cmd: SessionCmd = { op: 'str', clientId: 'c', seq: 1, key: b('k'), change: c, nowMs: T0 };
    t.deepEqual(decode(encode(cmd)), cmd);
  }
  t.is(parseStrChange(['mcstore', 'set', b('v'), -1, ['clear'], '', 0]), 'bad mcstore');
  t.deepEqual(parseStrChange(['mcstore', 'set', b('v'), 0, ['clear'], '']), store('set', 'v'), 'a 6-field mcstore (before the item limit travelled) reads as no limit');
  t.is(parseStrChange(['mcstore', 'cas', b('v'), 0, ['clear'], 'x']), 'bad mcstore');
  t.is(parseStrChange(['mcincr', '18446744073709551616', false]), 'bad mcincr');
  t.deepEqual(parseStrResult({ kind: 'mcnum', n: '18446744073709551615' }), { kind: 'mcnum', n: '18446744073709551615' });
  t.deepEqual(parseStrResult({ kind: 'mc', code: 'EXISTS' }), { kind: 'mc', code: 'EXISTS' });
  t.is(parseStrResult({ kind: 'mc', code: 'NOPE' }), 'bad mc reply');
});

test('an item with flags 0 is stored as its bytes; other flags add a header the codec reads back', (t) => {
  t.deepEqual(encodeItem(0, b('abc')), b('abc'));
  t.deepEqual(decodeItem(b('abc')), { flags: 0, data: b('abc') });
  const flagged = encodeItem(0xffffffff, b('x\r\ny'));
  t.is(flagged.length, 9 + 4);
  t.deepEqual(decodeItem(flagged), { flags: 0xffffffff, data: b('x\r\ny') });
  t.not(casOf(b('a')), casOf(b('b')));
  t.is(casOf(b('a')), casOf(b('a')), 'the digest is the same on every replica');
});

test('add, replace, append and prepend decide on the value the entry finds, keeping flags and expiry where memcached does', (t) => {
  const m = machine();
  t.deepEqual(m.run('k', store('replace', 'x')), { kind: 'mc', code: 'NOT_STORED' });
  t.deepEqual(m.run('k', store('append', 'x')), { kind: 'mc', code: 'NOT_STORED' });
  t.deepEqual(m.run('k', store('add', 'mid', 5, { t: 'in', ms: 10_000 })), { kind: 'mc', code: 'STORED' });
  t.deepEqual(m.run('k', store('add', 'again')), { kind: 'mc', code: 'NOT_STORED' });
  t.deepEqual(m.run('k', store('append', '>', 9)), { kind: 'mc', code: 'STORED' });
  t.deepEqual(m.run('k', store('prepend', '<', 9)), { kind: 'mc', code: 'STORED' });
  const item = decodeItem(b(m.value('k')!));
  t.is(item.flags, 5, 'append/prepend keep the item flags');
  t.is(item.data.toString(), '<mid>');
  t.is(m.sm.expiryOf(b('k')), T0 + 10_000, 'and its expiry');
  t.deepEqual(m.run('k', store('replace', 'new')), { kind: 'mc', code: 'STORED' });
  t.is(m.value('k'), 'new');
  t.is(m.sm.expiryOf(b('k')), undefined, 'replace with exptime 0: no expiry');
});

test('append and prepend are held to the item limit after joining: TOO_LARGE changes nothing', (t) => {
  const m = machine();
  m.run('k', store('set', 'abc'));
  t.deepEqual(m.run('k', store('append', 'de', 0, { t: 'clear' }, '', 5)), { kind: 'mc', code: 'STORED' });
  t.deepEqual(m.run('k', store('append', 'f', 0, { t: 'clear' }, '', 5)), { kind: 'mc', code: 'TOO_LARGE' });
  t.deepEqual(m.run('k', store('prepend', 'f', 0, { t: 'clear' }, '', 5)), { kind: 'mc', code: 'TOO_LARGE' });
  t.is(m.value('k'), 'abcde');
});

test('cas stores only when the cas unique matches the value it finds; a missing key is NOT_FOUND', (t) => {
  const m = machine();
  t.deepEqual(m.run('k', store('cas', 'v', 0, { t: 'clear' }, '1')), { kind: 'mc', code: 'NOT_FOUND' });
  m.run('k', store('set', 'one', 3));
  const cas = casOf(b(m.value('k')!));
  t.deepEqual(m.run('k', store('cas', 'two', 0, { t: 'clear' }, '12345')), { kind: 'mc', code: 'EXISTS' });
  t.deepEqual(m.run('k', store('cas', 'two', 0, { t: 'clear' }, cas)), { kind: 'mc', code: 'STORED' });
  t.is(m.value('k'), 'two');
  t.deepEqual(m.run('k', store('cas', 'three', 0, { t: 'clear' }, cas)), { kind: 'mc', code: 'EXISTS' }, 'the old cas is stale now');
});

test('incr wraps at 2^64, decr stops at 0, both keep flags; non-numeric and missing values are refused', (t) => {
  const m = machine();
  t.deepEqual(m.run('n', { kind: 'mcincr', by: '1', decr: false }), { kind: 'mc', code: 'NOT_FOUND' });
  m.run('n', store('set', '18446744073709551614', 4));
  t.deepEqual(m.run('n', { kind: 'mcincr', by: '3', decr: false }), { kind: 'mcnum', n: '1' });
  t.is(decodeItem(b(m.value('n')!)).flags, 4);
  t.deepEqual(m.run('n', { kind: 'mcincr', by: '5', decr: true }), { kind: 'mcnum', n: '0' });
  m.run('s', store('set', 'abc'));
  t.deepEqual(m.run('s', { kind: 'mcincr', by: '1', decr: false }), { kind: 'mc', code: 'NON_NUMERIC' });
  t.is(m.value('s'), 'abc', 'a refused incr changes nothing');
});

test('touch and gat change only the expiry; exptime in the past removes the item; a missing one is NOT_FOUND', (t) => {
  const m = machine();
  t.deepEqual(m.run('k', { kind: 'mctouch', ttl: { t: 'in', ms: 1000 }, get: false }), { kind: 'mc', code: 'NOT_FOUND' });
  m.run('k', store('set', 'v', 1, { t: 'in', ms: 1000 }));
  t.deepEqual(m.run('k', { kind: 'mctouch', ttl: { t: 'clear' }, get: false }), { kind: 'mc', code: 'TOUCHED' });
  t.is(m.sm.expiryOf(b('k')), undefined, 'exptime 0: never expires');
  const gat = m.run('k', { kind: 'mctouch', ttl: { t: 'in', ms: 2000 }, get: true });
  t.deepEqual(gat, { kind: 'value', value: encodeItem(1, b('v')), applied: true });
  t.is(m.sm.expiryOf(b('k')), T0 + 2000);
  t.is(m.value('k', T0 + 2000), undefined, 'expired at its time');
  t.deepEqual(m.run('k', { kind: 'mctouch', ttl: { t: 'clear' }, get: false }, T0 + 2001), { kind: 'mc', code: 'NOT_FOUND' }, 'an expired item cannot be touched back');
  m.run('j', store('set', 'v'));
  t.deepEqual(m.run('j', { kind: 'mctouch', ttl: { t: 'at', ms: 1 }, get: false }), { kind: 'mc', code: 'TOUCHED' });
  t.false(m.sm.has(b('j')), 'a past exptime removes it');
  t.deepEqual(m.run('x', store('set', 'v', 0, { t: 'at', ms: 1 })), { kind: 'mc', code: 'STORED' });
  t.false(m.sm.has(b('x')), 'stored already expired: nothing kept');
});

test('a memcached item and a lab SET are the same key: plain values cross doors unchanged', (t) => {
  const m = machine();
  m.run('k', { kind: 'set' });
  t.deepEqual(m.run('k', store('append', '!')), { kind: 'mc', code: 'STORED' });
  t.is(m.value('k'), 'plain!');
});
