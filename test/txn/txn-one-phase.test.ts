import test from 'ava';
import { encode, type KvCommand } from '../../src/kv/kv-command.js';
import { KvStateMachine } from '../../src/participant/kv-state-machine.js';
import { parseTxnTuple, txnTuple, type PrepareCmd, type TxnResult } from '../../src/txn/txn-command.js';
import { ABORT_HOLD_MS } from '../../src/txn/txn-table.js';

const b = (s: string): Buffer => Buffer.from(s);

function machine(): { sm: KvStateMachine; run: (cmd: KvCommand) => TxnResult } {
  const sm = new KvStateMachine();
  return { sm, run: (cmd) => sm.apply(sm.appliedIndex + 1, encode(cmd))[0] as TxnResult };
}

/** Group 1's share of a transaction over groups 1 and 2, group 2 prepared at index 7: the commit point. */
function primary(txn: string, stampMs: number, notAfter = 5_000): PrepareCmd {
  return { op: 'tprepare', txn, primary: 1, groups: [1, 2], readOnly: false, writes: [{ key: b('a'), values: [b('new')] }], commitWith: [[2, 7]], notAfter, stampMs };
}

const value = (sm: KvStateMachine, k: string): string | undefined => sm.get(b(k))?.map(String).join(' ');
const forget = (txn: string, stampMs: number): KvCommand => ({ op: 'tforget', txn, stampMs });

test('the primary\'s PREPARE prepares and records COMMIT in one entry: applied at once, nothing left locked, every index named', (t) => {
  const { sm, run } = machine();
  run({ op: 'set', clientId: 'c', seq: 1, key: b('a'), values: [b('old')] });
  const r = run(primary('t1', 1_000));
  t.deepEqual(r, { type: 'decided', commit: true, indexes: [[1, 2], [2, 7]], present: 1 });
  t.is(value(sm, 'a'), 'new');
  t.is(sm.txns.lockedKeys, 0);
  t.is(sm.txns.preparedCount, 0);
  // A copy (a retry) answers the same, the share's count included, and applies nothing again.
  run({ op: 'set', clientId: 'c', seq: 2, key: b('a'), values: [b('later')] });
  t.deepEqual(run(primary('t1', 1_001)), r);
  t.is(value(sm, 'a'), 'later');
});

test('FORGET before notAfter is deferred: a copy still finds the decision; group time past notAfter drops it, and a copy then is expired', (t) => {
  const { sm, run } = machine();
  run(primary('t1', 1_000, 5_000));
  t.deepEqual(run(forget('t1', 2_000)), { type: 'forgotten' });
  t.truthy(sm.txns.decision('t1'), 'held');
  t.is(sm.txns.deferredForgets, 1);
  t.is(sm.txns.decisionCount, 0, 'and counted as forgotten (INFO, metrics, the resolver sweep)');
  t.is(run(primary('t1', 3_000, 5_000)).type, 'decided', 'a copy before notAfter finds the decision, and commits nothing twice');
  // Any stamped entry moves group time; past notAfter the deferred decision goes.
  run(forget('other', 5_001));
  t.is(sm.txns.decision('t1'), undefined);
  t.is(sm.txns.deferredForgets, 0);
  run({ op: 'set', clientId: 'c', seq: 1, key: b('a'), values: [b('newer')] });
  t.deepEqual(run(primary('t1', 4_000, 5_000)), { type: 'expired' }, 'group time never goes back, whichever leader stamped the copy');
  t.is(value(sm, 'a'), 'newer');
  t.is(sm.txns.lockedKeys, 0);
});

test('an ABORT recorded first (a resolver) wins over the primary\'s PREPARE, and is kept ABORT_HOLD_MS of group time past FORGET', (t) => {
  const { sm, run } = machine();
  t.deepEqual(run({ op: 'tdecide', txn: 't2', commit: false, groups: [1, 2], indexes: [], at: 0, stampMs: 10_000 }), { type: 'decided', commit: false, indexes: [] });
  run(forget('t2', 10_001));
  t.deepEqual(run(primary('t2', 10_002, 60_000)), { type: 'decided', commit: false, indexes: [] });
  t.is(value(sm, 'a'), undefined);
  t.is(sm.txns.lockedKeys, 0);
  run(forget('x', 10_000 + ABORT_HOLD_MS));
  t.truthy(sm.txns.decision('t2'), 'still held at exactly the hold');
  run(forget('x', 10_001 + ABORT_HOLD_MS));
  t.is(sm.txns.decision('t2'), undefined);
});

test('a deferred ABORT (held a minute) holds back no COMMIT forgotten after it: each goes when its own hold is passed, also after a snapshot', (t) => {
  const { sm, run } = machine();
  run({ op: 'tdecide', txn: 'ab', commit: false, groups: [1, 2], indexes: [], at: 0, stampMs: 1_000 });
  run(forget('ab', 1_001));
  for (let i = 0; i < 50; i++) {
    run(primary(`c${i}`, 1_100 + i, 2_000 + i));
    run(forget(`c${i}`, 1_200 + i));
  }
  t.is(sm.txns.deferredForgets, 51);
  run(forget('x', 2_025));
  t.is(sm.txns.deferredForgets, 26, 'the COMMITs whose hold passed went, behind the ABORT at the head');
  t.truthy(sm.txns.decision('ab'));
  const copy = KvStateMachine.restore(sm.snapshot());
  copy.apply(copy.appliedIndex + 1, encode(forget('y', 2_100)));
  t.is(copy.txns.deferredForgets, 1, 'a restored replica keeps the two queues');
  t.deepEqual(copy.txns.firstDeferred(), ['ab', 1_000 + ABORT_HOLD_MS]);
  copy.apply(copy.appliedIndex + 1, encode(forget('y', 1_001 + ABORT_HOLD_MS)));
  t.is(copy.txns.deferredForgets, 0);
});

test('a refused primary PREPARE (a lock held) is the ABORT, in the same entry: a copy after the lock went finds it; deferred forgets and group time survive a snapshot', (t) => {
  const { sm, run } = machine();
  run({ op: 'tprepare', txn: 'holder', primary: 3, groups: [1, 3], readOnly: false, writes: [{ key: b('a'), values: [b('x')] }] });
  t.deepEqual(run(primary('t3', 1_000)), { type: 'conflict', holder: 'holder' });
  t.is(sm.txns.decision('t3')?.commit, false);
  run({ op: 'tresolve', txn: 'holder', apply: false, index: 1 });
  t.deepEqual(run(primary('t3', 1_100)), { type: 'decided', commit: false, indexes: [] }, 'a retried copy cannot commit behind the refusal');
  t.is(value(sm, 'a'), undefined);
  run(primary('t4', 1_500, 9_000));
  run(forget('t4', 2_000));
  const copy = KvStateMachine.restore(sm.snapshot());
  t.is(copy.txns.deferredForgets, 1);
  const again = (cmd: KvCommand): TxnResult => copy.apply(copy.appliedIndex + 1, encode(cmd))[0] as TxnResult;
  t.is(again(primary('t4', 2_500, 9_000)).type, 'decided', 'the restored replica answers a copy as the first did');
  again(forget('y', 9_001));
  t.is(copy.txns.decision('t4'), undefined, 'and drops it when its time passes notAfter');
});

test('the wire form of a primary PREPARE and of stamped DECIDE/FORGET round-trips; bad commit-withs are refused', (t) => {
  const cmd = primary('t5', 1_234, 5_678);
  t.deepEqual(parseTxnTuple(txnTuple(cmd)), cmd);
  const d = { op: 'tdecide', txn: 'd', commit: false, groups: [1, 2], indexes: [], at: 0, stampMs: 9 } as const;
  t.deepEqual(parseTxnTuple(txnTuple(d)), d);
  t.deepEqual(parseTxnTuple(['tforget', 'f', 0]), { op: 'tforget', txn: 'f', stampMs: 0 }, 'an entry of before stamps still parses');
  const body = (withs: unknown): unknown[] => ['tprepare', 'x', [1, [1, 2], false, [[b('k'), [b('v')]]], null, null, withs]];
  t.is(typeof parseTxnTuple(body([[[2, 7]], 5, 1])), 'object');
  t.is(typeof parseTxnTuple(body([[], 5, 1])), 'string', 'a group left out');
  t.is(typeof parseTxnTuple(body([[[1, 7]], 5, 1])), 'string', 'the primary itself named');
  t.is(typeof parseTxnTuple(body([[[2, 7], [2, 8]], 5, 1])), 'string', 'a group twice');
  t.is(typeof parseTxnTuple(body([[[2, 7]], -1, 1])), 'string', 'a negative notAfter');
  t.is(typeof parseTxnTuple(body([[[2, 7]]])), 'string');
});

test('a SPREAD applies its RESOLVEs and FORGETs in order, each answering as it would alone, in one entry', (t) => {
  const { sm, run } = machine();
  // A secondary share prepared at index 1 (t1), and a decision held here as primary (t2).
  const share: PrepareCmd = { op: 'tprepare', txn: 't1', primary: 2, groups: [1, 2], readOnly: false, writes: [{ key: b('k'), values: [b('v1')] }] };
  t.is(run(share).type, 'prepared');
  t.is(run(primary('t2', 1_000, 1_500)).type, 'decided');
  const r = run({
    op: 'tspread',
    steps: [
      { op: 'tresolve', txn: 't1', apply: true, index: 1 },
      { op: 'tresolve', txn: 't1', apply: true, index: 1 },
      { op: 'tforget', txn: 't2', stampMs: 2_000 },
    ],
  });
  t.deepEqual(r, {
    type: 'spread',
    results: [
      { type: 'resolved', applied: true, released: true },
      { type: 'resolved', applied: false, released: false },
      { type: 'forgotten' },
    ],
  });
  t.is(value(sm, 'k'), 'v1');
  t.is(sm.txns.lockedKeys, 0);
  t.is(sm.txns.decision('t2'), undefined, 'group time (its FORGET\'s stamp) passed the decision\'s notAfter');
  t.is(sm.appliedIndex, 3);
});
