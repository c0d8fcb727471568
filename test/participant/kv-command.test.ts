import test from 'ava';
import { InvariantError } from '../../raft/assert.js';
import { batchCmdsMax, decode, encode, isCommandData, kvPackr, type KvCommand } from '../../src/kv/kv-command.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const binary = Buffer.from([0x00, 0x0d, 0x0a, 0xff, 0x80, 0x24, 0x2a]);

test('set, del and batch survive encode -> decode with binary bytes intact', (t) => {
  const cmds: KvCommand[] = [
    { op: 'set', clientId: 'c1', seq: 1, key: binary, values: [b('Cloud'), binary, Buffer.alloc(0)] },
    { op: 'del', clientId: 'c1', seq: 2, keys: [b('a'), b('a'), binary] },
    {
      op: 'batch',
      cmds: [
        { op: 'set', clientId: 'x', seq: 7, key: b('k'), values: [b('v')] },
        { op: 'del', clientId: 'y', seq: Number.MAX_SAFE_INTEGER, keys: [b('k')] },
      ],
    },
  ];
  for (const cmd of cmds) {
    const back = decode(encode(cmd));
    t.deepEqual(back, cmd);
  }
});

test('decode of a plain Uint8Array (not a Buffer) still yields Buffers', (t) => {
  const enc = encode({ op: 'set', clientId: 'c', seq: 1, key: b('k'), values: [b('v')] });
  const plain = new Uint8Array(enc.length);
  plain.set(enc);
  const cmd = decode(plain);
  t.is(cmd.op, 'set');
  if (cmd.op !== 'set') return;
  t.true(Buffer.isBuffer(cmd.key));
  t.true(Buffer.isBuffer(cmd.values[0]));
  t.is(cmd.values[0]?.toString(), 'v');
});

test('empty data is a no-op entry, not a command', (t) => {
  t.false(isCommandData(new Uint8Array(0)));
  t.true(isCommandData(encode({ op: 'del', clientId: 'c', seq: 1, keys: [b('k')] })));
  t.throws(() => decode(new Uint8Array(0)), { instanceOf: InvariantError, message: /no-op/ });
});

test('malformed entries are assertion failures naming the problem', (t) => {
  const cases: [unknown, RegExp][] = [
    [{ op: 'set' }, /not a tuple/],
    [['get', 'c', 1, b('k')], /unknown op "get"/],
    [['set', 'c', 0, b('k'), [b('v')]], /seq must be a positive safe integer/],
    [['set', 'c', 1.5, b('k'), [b('v')]], /seq must be/],
    [['set', '', 1, b('k'), [b('v')]], /clientId/],
    [['set', 'c', 1, 'k', [b('v')]], /key is not bytes/],
    [['set', 'c', 1, b('k'), []], /non-empty list/],
    [['set', 'c', 1, b('k'), [b('v')], 'extra'], /5 fields/],
    [['del', 'c', 1, [b('k'), 3]], /non-bytes/],
    [['batch', []], /batch size 0/],
    [['batch', [['batch', []]]], /unknown op "batch"/],
  ];
  for (const [raw, message] of cases) {
    t.throws(() => decode(kvPackr.pack(raw)), { instanceOf: InvariantError, message }, JSON.stringify(raw));
  }
  t.throws(() => decode(new Uint8Array([0x93, 0xa3])), { instanceOf: InvariantError, message: /not msgpack/ });
});

test('encode refuses what decode would refuse', (t) => {
  t.throws(() => encode({ op: 'set', clientId: 'c', seq: 1, key: b('k'), values: [] }), { instanceOf: InvariantError });
  t.throws(() => encode({ op: 'del', clientId: 'c', seq: 0, keys: [b('k')] }), { instanceOf: InvariantError });
  const one = { op: 'del', clientId: 'c', seq: 1, keys: [b('k')] } as const;
  t.throws(() => encode({ op: 'batch', cmds: Array.from({ length: batchCmdsMax + 1 }, () => one) }), { instanceOf: InvariantError });
  t.notThrows(() => encode({ op: 'batch', cmds: Array.from({ length: batchCmdsMax }, () => one) }));
});
