import test from 'ava';
import { isNetError } from '../../src/net/net-error.js';
import { parseWireFrame, WIRE_VERSION } from '../../src/net/wire.js';

test('every well-formed frame parses to itself', (t) => {
  const frames = [
    { t: 'hello', version: WIRE_VERSION, cluster: 'c', from: 3, role: 'peer' },
    { t: 'hello', version: WIRE_VERSION, cluster: 'c', from: 0, role: 'coordinator' },
    { t: 'helloAck', from: 2 },
    { t: 'helloReject', reason: 'wrong cluster' },
    { t: 'raft', msg: { type: 'heartbeat', from: 1, to: 2 } },
    { t: 'req', id: 1, body: ['get', 'k'] },
    { t: 'res', id: 7, body: null },
    { t: 'resErr', id: 7, code: 'NOT_LEADER', reason: 'leader is 2' },
  ];
  for (const f of frames) t.deepEqual(parseWireFrame(f), f);
});

test('extra keys are dropped, so a newer peer may add fields', (t) => {
  t.deepEqual(parseWireFrame({ t: 'helloAck', from: 2, extra: 1 }), { t: 'helloAck', from: 2 });
});

test('garbage shapes are BAD_FRAME', (t) => {
  const garbage: unknown[] = [
    null,
    5,
    'hello',
    [1, 2],
    Buffer.from('x'),
    {},
    { t: 'nope' },
    { t: 'hello', version: 1, cluster: 'c', from: -1, role: 'peer' },
    { t: 'hello', version: 1, cluster: 'c', from: 1.5, role: 'peer' },
    { t: 'hello', version: 1, cluster: 'c', from: 1, role: 'king' },
    { t: 'hello', version: 1, cluster: 'x'.repeat(257), from: 1, role: 'peer' },
    { t: 'hello', cluster: 'c', from: 1, role: 'peer' },
    { t: 'raft', msg: 3 },
    { t: 'raft', msg: [1] },
    { t: 'req', id: 0, body: 1 },
    { t: 'req', id: '1', body: 1 },
    { t: 'res', body: 1 },
    { t: 'resErr', id: 1, code: 5, reason: '' },
    { t: 'helloReject', reason: 7 },
  ];
  for (const g of garbage) {
    const err = t.throws(() => parseWireFrame(g), undefined, JSON.stringify(g));
    t.true(isNetError(err, 'BAD_FRAME'), `${JSON.stringify(g)}: ${String(err)}`);
  }
});

test('a raft frame names its group (multi-raft); none means group 1; a bad group id is BAD_FRAME', (t) => {
  t.deepEqual(parseWireFrame({ t: 'raft', msg: { type: 'app' }, g: 3 }), { t: 'raft', msg: { type: 'app' }, g: 3 });
  t.deepEqual(parseWireFrame({ t: 'raft', msg: { type: 'app' } }), { t: 'raft', msg: { type: 'app' } });
  for (const g of [0, -1, 1.5, 2 ** 32, '2', null]) {
    const err = t.throws(() => parseWireFrame({ t: 'raft', msg: {}, g }));
    t.true(isNetError(err) && err.code === 'BAD_FRAME', String(g));
  }
});
