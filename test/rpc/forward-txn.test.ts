import test from 'ava';
import { Packr } from 'msgpackr';
import { parseForwardRequest, wireForwardRequest } from '../../src/rpc/forward-protocol.js';
import type { ForwardRequest } from '../../src/rpc/forward-protocol.js';
import { parseTxnResult } from '../../src/txn/txn-command.js';
import type { TxnResult } from '../../src/txn/txn-command.js';

const packr = new Packr({ useRecords: false });
/** What a peer receives: the wire form through msgpack, as the transport carries it. */
const overTheWire = (req: ForwardRequest): unknown => packr.unpack(packr.pack(wireForwardRequest(req)));

test('txn, tstatus, mread and mset requests survive the wire and parse back to themselves', (t) => {
  const reqs: ForwardRequest[] = [
    { t: 'txn', cmd: { op: 'tprepare', txn: 'c1-1', primary: 1, groups: [1, 3], readOnly: false, writes: [{ key: Buffer.from('a'), values: [Buffer.from('1')] }, { key: Buffer.from('b'), values: null }] }, g: 3, hops: 0 },
    { t: 'txn', cmd: { op: 'tdecide', txn: 'c1-1', commit: true, groups: [1, 3], indexes: [[1, 7], [3, 9]], at: 7 }, g: 1, hops: 1 },
    { t: 'txn', cmd: { op: 'tresolve', txn: 'c1-1', apply: true, index: 9 }, g: 3, hops: 0 },
    { t: 'txn', cmd: { op: 'tforget', txn: 'c1-1', stampMs: 0 }, g: 1, hops: 0 },
    { t: 'txn', cmd: { op: 'tspread', steps: [{ op: 'tresolve', txn: 'c1-1', apply: true, index: 9 }, { op: 'tforget', txn: 'c1-2', stampMs: 0 }] }, g: 1, hops: 0 },
    { t: 'tstatus', txn: 'c1-1', groups: [1, 3], g: 1, hops: 0 },
    { t: 'mread', keys: [Buffer.from('a'), Buffer.from('b')], g: 2, hops: 0 },
    { t: 'write', cmd: { op: 'mset', clientId: 'c', seq: 3, pairs: [[Buffer.from('a'), Buffer.from('1')]] }, g: 2, hops: 0 },
  ];
  for (const r of reqs) t.deepEqual(parseForwardRequest(overTheWire(r)), r, r.t);
});

test('garbage txn requests are refused with a reason, never thrown', (t) => {
  const bad: unknown[] = [
    { t: 'txn', cmd: ['tprepare', 'x', [1, [1, 2], false, []]] },
    { t: 'txn', cmd: ['tprepare', 'x', [5, [1, 2], false, [[Buffer.from('k'), [Buffer.from('v')]]]]] },
    { t: 'txn', cmd: ['tdecide', 'x', [true, [1], [], 0]] },
    { t: 'txn', cmd: ['tnope', 'x', 0] },
    // A spread: its own txn field empty, 1..1024 RESOLVE or FORGET steps, nothing nested.
    { t: 'txn', cmd: ['tspread', '', []] },
    { t: 'txn', cmd: ['tspread', 'x', [['tforget', 'a', 0]]] },
    { t: 'txn', cmd: ['tspread', '', [['tspread', '', [['tforget', 'a', 0]]]]] },
    { t: 'txn', cmd: ['tspread', '', [['tdecide', 'a', [false, [1], [], 0]]]] },
    { t: 'txn', cmd: ['tspread', '', [['tforget', 'a', 0], ['tresolve', 'b', [true, 0]]]] },
    { t: 'txn', cmd: ['tspread', '', Array.from({ length: 1025 }, (_, i) => ['tforget', `a${i}`, 0])] },
    { t: 'txn', cmd: 'x' },
    { t: 'tstatus', txn: '', groups: [1] },
    { t: 'tstatus', txn: 'x', groups: [2], g: 1 },
    { t: 'mread', keys: [] },
    { t: 'mread', keys: ['not bytes'] },
    { t: 'write', cmd: { op: 'mset', clientId: 'c', seq: 1, pairs: [[Buffer.from('a')]] } },
  ];
  for (const b of bad) t.is(typeof parseForwardRequest(b), 'string', JSON.stringify(b));
});

test('txn results parse back from the wire; a malformed one is a reason, not a result', (t) => {
  const results: TxnResult[] = [
    { type: 'prepared', index: 4, present: 1 },
    { type: 'prepared', index: 4, present: 1, values: [[Buffer.from('v')], null] },
    { type: 'conflict', holder: 'c2-9' },
    { type: 'decided', commit: true, indexes: [[1, 4], [2, 6]] },
    { type: 'resolved', applied: false, released: true },
    { type: 'forgotten' },
    { type: 'spread', results: [{ type: 'resolved', applied: true, released: true }, { type: 'forgotten' }] },
  ];
  for (const r of results) t.deepEqual(parseTxnResult(packr.unpack(packr.pack(r))), r);
  for (const b of [null, 3, { type: 'prepared', index: 0, present: 0 }, { type: 'prepared', index: 1, present: 0, values: [['s']] }, { type: 'decided', commit: 1, indexes: [] }, { type: 'x' }, { type: 'spread', results: [] }, { type: 'spread', results: [{ type: 'conflict', holder: 'h' }] }]) {
    t.is(typeof parseTxnResult(b), 'string', JSON.stringify(b));
  }
});
