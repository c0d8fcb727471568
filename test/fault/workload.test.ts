import test from 'ava';
import { RespReplyParser } from '../../src/protocol/resp-reply-parser.js';
import { GroupKeys } from './group-keys.js';
import { readValue, readValues } from './workload.js';

const parse = (raw: string): ReturnType<typeof readValue> => {
  const replies = [...new RespReplyParser().feed(Buffer.from(raw, 'latin1'))];
  return readValue(replies[0]!);
};

test('GET replies map to the value read: words, the lab nil, RESP nulls, and nonsense', (t) => {
  t.is(parse('*1\r\n$5\r\nc1n42\r\n'), 'c1n42');
  t.is(parse('*2\r\n$5\r\nCloud\r\n$9\r\nComputing\r\n'), 'Cloud Computing');
  t.is(parse('*1\r\n$3\r\nnil\r\n'), null, 'the lab nil');
  t.is(parse('*-1\r\n'), null);
  t.is(parse('$-1\r\n'), null);
  t.is(parse('+OK\r\n'), undefined, 'not a GET reply: flagged by the workload');
  t.is(parse(':1\r\n'), undefined);
});

test('MGET replies map to one entry per key: lab GET replies or plain bulks; the wrong count is nonsense', (t) => {
  const values = (raw: string, n: number): ReturnType<typeof readValues> => readValues([...new RespReplyParser().feed(Buffer.from(raw, 'latin1'))][0]!, n);
  t.deepEqual(values('*2\r\n*1\r\n$5\r\nc1n42\r\n*1\r\n$3\r\nnil\r\n', 2), ['c1n42', null]);
  t.deepEqual(values('*2\r\n$5\r\nc1n42\r\n$-1\r\n', 2), ['c1n42', null]);
  t.is(values('*1\r\n$5\r\nc1n42\r\n', 2), undefined, 'one entry for two keys');
  t.is(values('*2\r\n:1\r\n$1\r\nx\r\n', 2), undefined);
  t.is(values('+OK\r\n', 1), undefined);
});

test('group keys: each key slot is routed by the front doors\' router to the group the workload expects', (t) => {
  for (const groups of [1, 2, 3, 5]) {
    const gk = new GroupKeys(groups);
    for (let slot = 0; slot < 12; slot++) {
      for (const epoch of [0, 7]) {
        const key = gk.key(slot, epoch);
        t.is(gk.groupOf(key), gk.groupOfSlot(slot), key);
      }
    }
    t.is(new Set(Array.from({ length: groups }, (_, s) => gk.groupOf(gk.key(s, 0)))).size, groups, 'every group gets keys');
  }
});
