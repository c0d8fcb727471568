import test from 'ava';
import { RespReplyParser } from '../../src/protocol/resp-reply-parser.js';
import { readValue } from './workload.js';

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
