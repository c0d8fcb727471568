import test from 'ava';
import { encode, type KvCommand } from '../../src/kv/kv-command.js';
import { KvStateMachine } from '../../src/participant/kv-state-machine.js';
import { parseTxnTuple, txnTuple, type PrepareCmd, type TxnResult } from '../../src/txn/txn-command.js';
import { watchDigest, type ProgramOp } from '../../src/txn/txn-program.js';
import { keySlotOfLatin1, SLOTS } from '../../src/sharding/slot.js';

const b = (s: string): Buffer => Buffer.from(s);
const NOW = 1_700_000_000_000;

function machine(): { sm: KvStateMachine; run: (cmd: KvCommand) => unknown } {
  const sm = new KvStateMachine();
  return { sm, run: (cmd) => sm.apply(sm.appliedIndex + 1, encode(cmd))[0] };
}

function prepare(txn: string, keys: string[], ops: ProgramOp[], nowMs = NOW): PrepareCmd {
  return { op: 'tprepare', txn, primary: 1, groups: [1], readOnly: false, writes: keys.map((k) => ({ key: b(k), values: null })), program: { nowMs, ops } };
}

const commit = (txn: string, at: number): KvCommand => ({ op: 'tdecide', txn, commit: true, groups: [1], indexes: [[1, at]], at });
let seq = 100;
const set = (k: string, v: string): KvCommand => ({ op: 'set', clientId: `s${++seq}`, seq: 1, key: b(k), values: [b(v)] });
const value = (sm: KvStateMachine, k: string): string | undefined => sm.get(b(k), NOW)?.map(String).join(' ');

test('a program runs its ops in order under the locks and answers their results; the data changes only at COMMIT', (t) => {
  const { sm, run } = machine();
  run(set('n', '41'));
  const r = run(prepare('t1', ['n', 'm', 'gone'], [
    { k: 0, kind: 'str', change: { kind: 'incr', by: '1' } },
    { k: 0, kind: 'get' },
    { k: 1, kind: 'str', change: { kind: 'set', value: b('v'), cond: 'nx', get: false, ttl: { t: 'in', ms: 5_000 } } },
    { k: 1, kind: 'str', change: { kind: 'ttl' } },
    { k: 2, kind: 'str', change: { kind: 'getdel' } },
  ])) as TxnResult;
  t.is(r.type, 'prepared');
  if (r.type !== 'prepared') return;
  t.deepEqual(r.outs, [
    { kind: 'int', n: '42' },
    { kind: 'value', value: b('42'), applied: true },
    { kind: 'value', value: null, applied: true },
    { kind: 'ttl', atMs: NOW + 5_000, leftMs: 5_000 },
    { kind: 'value', value: null, applied: false },
  ]);
  t.is(value(sm, 'n'), '41', 'nothing applied before the decision');
  t.is(sm.txns.lockHolder('n', true), 't1');
  t.is(sm.txns.lockHolder('gone', true), 't1', 'a key only read is locked too');
  run(commit('t1', r.index));
  t.is(value(sm, 'n'), '42');
  t.is(value(sm, 'm'), 'v');
  t.is(sm.txns.lockedKeys, 0);
});

test('the expiry a program decides is kept at COMMIT; a key it only reads keeps its own', (t) => {
  const { sm, run } = machine();
  run({ op: 'str', clientId: 'c', seq: 1, key: b('e'), change: { kind: 'set', value: b('x'), cond: 'any', get: false, ttl: { t: 'in', ms: 10_000 } }, nowMs: NOW });
  run(set('f', 'y1'));
  const r = run(prepare('t2', ['e', 'f'], [{ k: 0, kind: 'get' }, { k: 1, kind: 'str', change: { kind: 'expire', ttl: { t: 'in', ms: 1_000 }, cond: 'any' } }])) as TxnResult;
  if (r.type !== 'prepared') return t.fail(r.type);
  run(commit('t2', r.index));
  const ttl = (k: string): unknown => run({ op: 'str', clientId: 'c', seq: 10 + k.charCodeAt(0), key: b(k), change: { kind: 'ttl' }, nowMs: NOW });
  t.deepEqual(ttl('e'), { type: 'str', r: { kind: 'ttl', atMs: NOW + 10_000, leftMs: 10_000 } });
  t.deepEqual(ttl('f'), { type: 'str', r: { kind: 'ttl', atMs: NOW + 1_000, leftMs: 1_000 } });
  t.is(value(sm, 'f'), 'y1');
});

test('a WATCH digest that no longer matches, or an MSETNX key that exists, is unmet: nothing recorded or locked', (t) => {
  const { sm, run } = machine();
  run(set('w', 'old1'));
  const stale = watchDigest(b('older'));
  t.deepEqual(run(prepare('t3', ['w', 'x'], [{ k: 0, kind: 'watch', digest: stale }, { k: 1, kind: 'str', change: { kind: 'incr', by: '1' } }])), { type: 'unmet' });
  t.is(sm.txns.preparedCount, 0);
  t.is(sm.txns.lockedKeys, 0);
  t.deepEqual(run(prepare('t4', ['w'], [{ k: 0, kind: 'absent' }])), { type: 'unmet' });
  const fresh = watchDigest(b('old1'));
  const ok = run(prepare('t5', ['w', 'x'], [{ k: 0, kind: 'watch', digest: fresh }, { k: 1, kind: 'absent' }])) as TxnResult;
  t.is(ok.type, 'prepared');
  t.deepEqual(run(prepare('t6', ['w'], [{ k: 0, kind: 'get' }])), { type: 'conflict', holder: 't5' }, 'the locks stop another program');
});

test('a prepared program survives a snapshot with its results, and commits after the restore', (t) => {
  const { sm, run } = machine();
  run(set('a', '10'));
  const r = run(prepare('t7', ['a'], [{ k: 0, kind: 'str', change: { kind: 'incr', by: '-3' } }])) as TxnResult;
  if (r.type !== 'prepared') return t.fail(r.type);
  const copy = KvStateMachine.restore(sm.snapshot());
  const again = copy.apply(copy.appliedIndex + 1, encode(prepare('t7', ['a'], [{ k: 0, kind: 'str', change: { kind: 'incr', by: '-3' } }])))[0];
  t.deepEqual(again, r, 'a copy of the PREPARE answers as the first, from the restored record');
  copy.apply(copy.appliedIndex + 1, encode(commit('t7', r.index)));
  t.is(copy.get(b('a'), NOW)?.toString(), '7');
});

test('the wire form of a program round-trips, and garbage is a reason', (t) => {
  const cmd = prepare('t8', ['k'], [{ k: 0, kind: 'watch', digest: watchDigest(undefined) }, { k: 0, kind: 'str', change: { kind: 'append', value: b('z') } }]);
  t.deepEqual(parseTxnTuple(txnTuple(cmd)), cmd);
  const bad = (program: unknown): unknown => parseTxnTuple(['tprepare', 'x', [1, [1], false, [[b('k')]], program]]);
  t.is(typeof bad([NOW, [[1, 'get']]]), 'string', 'a key index beyond the keys');
  t.is(typeof bad([NOW, [[0, 'watch', b('short')]]]), 'string', 'a digest of the wrong size');
  t.is(typeof bad([NOW, [[0, 'nope']]]), 'string');
  t.is(typeof bad([-1, []]), 'string');
  t.is(typeof parseTxnTuple(['tprepare', 'x', [1, [1], false, [[b('k'), [b('v')]]], [NOW, []]]]), 'string', 'a program prepare carries no values');
});

function flushPrepare(txn: string): PrepareCmd {
  return { op: 'tprepare', txn, primary: 1, groups: [1], readOnly: false, writes: [], program: { nowMs: NOW, ops: [{ kind: 'flush' }] } };
}

test('a FLUSHALL share locks the whole group: 1PC writes are LOCKED, other prepares conflict, COMMIT empties it (expiries too)', (t) => {
  const { sm, run } = machine();
  run(set('a', 'v1'));
  run({ op: 'str', clientId: 'e', seq: 1, key: b('e'), change: { kind: 'set', value: b('x'), cond: 'any', get: false, ttl: { t: 'in', ms: 10_000 } }, nowMs: NOW });
  const r = run(flushPrepare('f1')) as TxnResult;
  if (r.type !== 'prepared') return t.fail(r.type);
  t.true(sm.txns.locked);
  t.is(sm.txns.lockHolder('anything', false), 'f1', 'reads wait for it too');
  t.deepEqual(run(set('b', 'v2')), { type: 'error', code: 'LOCKED' });
  t.deepEqual(run(prepare('p1', ['c'], [{ k: 0, kind: 'get' }])), { type: 'conflict', holder: 'f1' });
  const copy = KvStateMachine.restore(sm.snapshot());
  t.is(copy.txns.lockHolder('z', true), 'f1', 'the group lock survives a snapshot');
  run(commit('f1', r.index));
  t.is(sm.size, 0);
  t.deepEqual(sm.expiredKeys(NOW + 20_000, 10), [], 'no expiry left behind');
  t.false(sm.txns.locked);
  run(set('b', 'v3'));
  t.is(value(sm, 'b'), 'v3');
});

test('a FLUSHALL share waits for no one: a key lock held makes it conflict; an ABORT releases the group', (t) => {
  const { sm, run } = machine();
  const p = run(prepare('p2', ['k'], [{ k: 0, kind: 'get' }])) as TxnResult;
  t.is(p.type, 'prepared');
  t.deepEqual(run(flushPrepare('f2')), { type: 'conflict', holder: 'p2' });
  run({ op: 'tresolve', txn: 'p2', apply: false, index: 0 });
  const f = run(flushPrepare('f3')) as TxnResult;
  t.is(f.type, 'prepared');
  run({ op: 'tdecide', txn: 'f3', commit: false, groups: [1], indexes: [], at: 0 });
  t.false(sm.txns.locked);
  t.is(typeof parseTxnTuple(['tprepare', 'x', [1, [1], false, [[b('k')]], [NOW, [['flush']]]]]), 'string', 'a flush names no keys');
  t.is(typeof parseTxnTuple(['tprepare', 'x', [1, [1], false, []]]), 'string', 'only a flush names no keys');
  t.deepEqual(parseTxnTuple(txnTuple(flushPrepare('f4'))), flushPrepare('f4'));
});

test('a scan waits for a write lock on a key in its slots or a group lock; read locks and other slots do not stop it', (t) => {
  const { sm, run } = machine();
  const w = run(prepare('w1', ['sk'], [{ k: 0, kind: 'str', change: { kind: 'set', value: b('v'), cond: 'any', get: false, ttl: { t: 'clear' } } }])) as TxnResult;
  if (w.type !== 'prepared') return t.fail(w.type);
  const s = keySlotOfLatin1('sk');
  t.is(sm.txns.scanBlocker(s, s + 1), 'w1');
  t.is(sm.txns.scanBlocker(0, SLOTS), 'w1');
  t.is(sm.txns.scanBlocker(s + 1, SLOTS), undefined, 'slots after it');
  t.is(sm.txns.scanBlocker(0, s), undefined, 'slots before it');
  run(commit('w1', w.index));
  t.is(sm.txns.scanBlocker(0, SLOTS), undefined);
  const r = run({ op: 'tprepare', txn: 'r1', primary: 1, groups: [1], readOnly: true, writes: [{ key: b('rk'), values: null }] }) as TxnResult;
  t.is(r.type, 'prepared');
  t.is(sm.txns.scanBlocker(0, SLOTS), undefined, 'a read lock changes no key');
  run({ op: 'tresolve', txn: 'r1', apply: false, index: (r as { index: number }).index });
  const f = run(flushPrepare('f2')) as TxnResult;
  if (f.type !== 'prepared') return t.fail(f.type);
  t.is(sm.txns.scanBlocker(0, 1), 'f2', 'a FLUSHALL stops every scan of its group');
});
