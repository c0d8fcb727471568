import test from 'ava';
import { CommandError, toRequest, type CommandErrorCode } from '../../src/protocol/commands.js';
import type { Command } from '../../src/protocol/resp-parser.js';
import { RespParser } from '../../src/protocol/resp-parser.js';

const cmd = (name: string, ...args: string[]): Command => ({ name, args: args.map((a) => Buffer.from(a)) });

/** From raw bytes through the parser, so name casing is exercised end to end. */
function fromWire(line: string) {
  const [c] = [...new RespParser().feed(Buffer.from(line))];
  if (c === undefined) throw new Error('no command');
  return toRequest(c);
}

function expectCode(t: import('ava').ExecutionContext, c: Command, code: CommandErrorCode) {
  const err = t.throws(() => toRequest(c), { instanceOf: CommandError });
  t.is(err?.code, code);
  t.true((err?.reason.length ?? 0) > 0);
}

test('SET key v1 [v2 ...] keeps every value word', (t) => {
  const r = toRequest(cmd('SET', 'CS06142', 'Cloud', 'Computing'));
  t.is(r.type, 'set');
  if (r.type !== 'set') return;
  t.is(r.key.toString(), 'CS06142');
  t.deepEqual(r.values.map(String), ['Cloud', 'Computing']);
  const one = toRequest(cmd('SET', 'k', 'v'));
  t.deepEqual(one.type === 'set' ? one.values.map(String) : [], ['v']);
});

test('GET, DEL, DELETE, PING, QUIT', (t) => {
  const g = toRequest(cmd('GET', 'k'));
  t.is(g.type === 'get' ? g.key.toString() : '', 'k');
  const d = toRequest(cmd('DEL', 'a', 'b'));
  t.deepEqual(d.type === 'del' ? d.keys.map(String) : [], ['a', 'b']);
  const d2 = toRequest(cmd('DELETE', 'a'));
  t.deepEqual(d2.type === 'del' ? d2.keys.map(String) : [], ['a']);
  t.deepEqual(toRequest(cmd('PING')), { type: 'ping' });
  t.deepEqual(toRequest(cmd('QUIT')), { type: 'quit' });
  t.deepEqual(toRequest(cmd('INFO')), { type: 'info', sections: [] });
  t.deepEqual(toRequest(cmd('INFO', 'raft', 'Server')), { type: 'info', sections: ['raft', 'Server'] });
  t.is(fromWire('info raft\r\n').type, 'info');
});

test('command names are accepted in any case', (t) => {
  t.is(fromWire('set a b\r\n').type, 'set');
  t.is(fromWire('Get a\r\n').type, 'get');
  t.is(fromWire('*2\r\n$6\r\ndElEtE\r\n$1\r\na\r\n').type, 'del');
  t.is(fromWire('ping\n').type, 'ping');
});

test('wrong arity is WRONG_ARITY', (t) => {
  expectCode(t, cmd('SET'), 'WRONG_ARITY');
  expectCode(t, cmd('SET', 'k'), 'WRONG_ARITY');
  expectCode(t, cmd('GET'), 'WRONG_ARITY');
  expectCode(t, cmd('GET', 'a', 'b'), 'WRONG_ARITY');
  expectCode(t, cmd('DEL'), 'WRONG_ARITY');
  expectCode(t, cmd('DELETE'), 'WRONG_ARITY');
  expectCode(t, cmd('PING', 'x'), 'WRONG_ARITY');
  expectCode(t, cmd('QUIT', 'x'), 'WRONG_ARITY');
});

test('unknown commands are UNKNOWN_COMMAND, including prototype names', (t) => {
  expectCode(t, cmd('FLUSHALL'), 'UNKNOWN_COMMAND');
  expectCode(t, cmd(''), 'UNKNOWN_COMMAND');
  expectCode(t, cmd('CONSTRUCTOR'), 'UNKNOWN_COMMAND');
  expectCode(t, cmd('__PROTO__'), 'UNKNOWN_COMMAND');
  expectCode(t, cmd('TOSTRING'), 'UNKNOWN_COMMAND');
});
