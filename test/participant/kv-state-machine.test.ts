import test from 'ava';
import { InvariantError } from '../../raft/assert.js';
import { encode, type KvCommand, type SessionCmd } from '../../src/kv/kv-command.js';
import { KvStateMachine } from '../../src/participant/kv-state-machine.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const strs = (v: Buffer[] | undefined): string[] | undefined => v?.map((x) => x.toString('latin1'));

/** A client that numbers its own commands and applies each as its own entry. */
function harness(sm = new KvStateMachine()) {
  const seqs = new Map<string, number>();
  const next = (clientId: string): number => {
    const s = (seqs.get(clientId) ?? 0) + 1;
    seqs.set(clientId, s);
    return s;
  };
  const applyCmd = (cmd: KvCommand) => sm.apply(sm.appliedIndex + 1, encode(cmd));
  return {
    sm,
    applyCmd,
    set: (key: string | Buffer, values: (string | Buffer)[], clientId = 'c') =>
      applyCmd({ op: 'set', clientId, seq: next(clientId), key: typeof key === 'string' ? b(key) : key, values: values.map((v) => (typeof v === 'string' ? b(v) : v)) }),
    del: (keys: string[], clientId = 'c') => applyCmd({ op: 'del', clientId, seq: next(clientId), keys: keys.map(b) }),
  };
}

test('SET stores the value words, GET returns them, SET overwrites', (t) => {
  const h = harness();
  t.deepEqual(h.set('course', ['Cloud', 'Computing']), [{ type: 'ok' }]);
  t.deepEqual(strs(h.sm.get(b('course'))), ['Cloud', 'Computing']);
  h.set('course', ['Distributed']);
  t.deepEqual(strs(h.sm.get(b('course'))), ['Distributed']);
  t.is(h.sm.get(b('missing')), undefined);
  t.is(h.sm.size, 1);
  t.is(h.sm.appliedIndex, 2);
});

test('DEL reports the number actually removed: missing keys count 0, duplicates once', (t) => {
  const h = harness();
  h.set('a', ['1']);
  h.set('b', ['2']);
  t.deepEqual(h.del(['a', 'a']), [{ type: 'count', n: 1 }]);
  t.deepEqual(h.del(['a', 'nope']), [{ type: 'count', n: 0 }]);
  t.deepEqual(h.del(['b', 'x', 'b']), [{ type: 'count', n: 1 }]);
  t.is(h.sm.size, 0);
});

test('binary keys and values (CR LF, NUL, high bytes) round-trip exactly and stay distinct', (t) => {
  const h = harness();
  const k1 = Buffer.from([0x00, 0x0d, 0x0a]);
  const k2 = Buffer.from([0x00, 0x0d]);
  const v = Buffer.from([0xff, 0x00, 0x80, 0x0d, 0x0a, 0x24]);
  h.set(k1, [v, Buffer.alloc(0)]);
  h.set(k2, [Buffer.from([0xc3, 0xa9])]); // UTF-8 "é": must come back as these two bytes
  t.deepEqual(h.sm.get(k1), [v, Buffer.alloc(0)]);
  t.deepEqual(h.sm.get(k2), [Buffer.from([0xc3, 0xa9])]);
  t.is(h.sm.get(Buffer.from([0x00])), undefined);
  t.is(h.sm.size, 2);
});

test('stored values are copies: neither the entry buffer nor a returned buffer can change them', (t) => {
  const sm = new KvStateMachine();
  const data = encode({ op: 'set', clientId: 'c', seq: 1, key: b('k'), values: [b('value')] }) as Buffer;
  sm.apply(1, data);
  data.fill(0); // the log / network buffer is reused
  const got = sm.get(b('k'));
  t.deepEqual(strs(got), ['value']);
  got?.[0]?.fill(0x41);
  t.deepEqual(strs(sm.get(b('k'))), ['value']);
  sm.apply(2, encode({ op: 'set', clientId: 'c', seq: 2, key: b('k'), values: [b('other')] }));
  t.deepEqual(strs(got), ['AAAAA'], 'an earlier GET result is not touched by a later SET');
});

test('a retried DEL reports the count of its first application, even after the key was re-set', (t) => {
  const h = harness();
  h.set('k', ['v'], 'writer');
  const del: KvCommand = { op: 'del', clientId: 'fd', seq: 1, keys: [b('k')] };
  t.deepEqual(h.applyCmd(del), [{ type: 'count', n: 1 }]);
  h.set('k', ['again'], 'writer');
  t.deepEqual(h.applyCmd(del), [{ type: 'count', n: 1 }], 'the retry is answered from the session');
  t.deepEqual(strs(h.sm.get(b('k'))), ['again'], 'and is not re-applied');
});

test('a retried SET is not re-applied over a later write', (t) => {
  const h = harness();
  const set: KvCommand = { op: 'set', clientId: 'fd', seq: 1, key: b('k'), values: [b('first')] };
  h.applyCmd(set);
  h.set('k', ['second'], 'other');
  t.deepEqual(h.applyCmd(set), [{ type: 'ok' }]);
  t.deepEqual(strs(h.sm.get(b('k'))), ['second']);
});

test('a seq older than the window is STALE_SESSION and changes nothing', (t) => {
  const h = harness();
  for (let i = 0; i < 70; i++) h.set(`k${i}`, ['v'], 'fd');
  const res = h.applyCmd({ op: 'del', clientId: 'fd', seq: 1, keys: [b('k0')] });
  t.deepEqual(res, [{ type: 'error', code: 'STALE_SESSION' }]);
  t.true(h.sm.has(b('k0')));
  t.deepEqual(h.applyCmd({ op: 'del', clientId: 'fd', seq: 7, keys: [b('k0')] }), [{ type: 'ok' }], 'seq 7 is still cached');
});

test('a batch entry applies mixed sessions in order with one result each', (t) => {
  const sm = new KvStateMachine();
  const cmds: SessionCmd[] = [
    { op: 'set', clientId: 'a', seq: 1, key: b('x'), values: [b('1')] },
    { op: 'set', clientId: 'b', seq: 1, key: b('y'), values: [b('2')] },
    { op: 'del', clientId: 'a', seq: 2, keys: [b('x'), b('y'), b('z')] },
    { op: 'set', clientId: 'b', seq: 1, key: b('y'), values: [b('dup')] }, // duplicate inside the same entry
    { op: 'set', clientId: 'b', seq: 2, key: b('y'), values: [b('3')] },
  ];
  const res = sm.apply(1, encode({ op: 'batch', cmds }));
  t.deepEqual(res, [{ type: 'ok' }, { type: 'ok' }, { type: 'count', n: 2 }, { type: 'ok' }, { type: 'ok' }]);
  t.deepEqual(strs(sm.get(b('y'))), ['3']);
  t.is(sm.get(b('x')), undefined);
  // The batch is retried whole (e.g. re-proposed after a leader change): nothing re-applies.
  sm.apply(2, encode({ op: 'set', clientId: 'c', seq: 1, key: b('x'), values: [b('new')] }));
  t.deepEqual(sm.apply(3, encode({ op: 'batch', cmds })), res);
  t.deepEqual(strs(sm.get(b('x'))), ['new']);
  t.deepEqual(strs(sm.get(b('y'))), ['3']);
  sm.checkInvariants();
});

test('no-op entries advance appliedIndex; entries must be applied in order exactly once', (t) => {
  const sm = new KvStateMachine();
  t.deepEqual(sm.apply(1, new Uint8Array(0)), []);
  t.is(sm.appliedIndex, 1);
  const e = encode({ op: 'set', clientId: 'c', seq: 1, key: b('k'), values: [b('v')] });
  t.throws(() => sm.apply(3, e), { instanceOf: InvariantError, message: /apply\(3\) after 1/ });
  t.throws(() => sm.apply(1, e), { instanceOf: InvariantError });
  sm.apply(2, e);
  t.is(sm.appliedIndex, 2);
});

test('two state machines fed the same entries evict the same sessions (only log data drives eviction)', (t) => {
  const limits = { sessionsMax: 5, windowSeqs: 4 };
  const entries: Uint8Array[] = [];
  for (let i = 0; i < 60; i++) {
    const client = `c${(i * 7) % 13}`;
    entries.push(encode({ op: 'set', clientId: client, seq: 1 + Math.floor(i / 13), key: b(`k${i % 9}`), values: [b(`${i}`)] }));
  }
  const run = (): KvStateMachine => {
    const sm = new KvStateMachine(limits);
    entries.forEach((e, i) => sm.apply(i + 1, e));
    sm.checkInvariants();
    return sm;
  };
  const one = run();
  const two = run();
  t.is(one.sessionCount, 5);
  t.deepEqual(Buffer.from(one.snapshot()), Buffer.from(two.snapshot()));
  // The newest five clients survive; an evicted one is refused rather than re-applied.
  t.deepEqual(one.apply(61, encode({ op: 'del', clientId: 'c0', seq: 5, keys: [b('k0')] })), [{ type: 'error', code: 'SESSION_EXPIRED' }]);
});
