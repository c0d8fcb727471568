import test from 'ava';
import { TABLE, lookupCommand } from '../../src/redis/command-table.js';
import { unknownCommand, unknownSubcommand, wrongArity } from '../../src/redis/redis-errors.js';

const look = (...words: string[]) => lookupCommand(words.map((w) => Buffer.from(w)), unknownCommand, unknownSubcommand);
const errorOf = (...words: string[]): string => {
  const r = look(...words);
  return r.ok ? `ran ${r.cmd.name}` : r.error;
};

test('an unknown command gets Redis 7 text: the name as typed and the first args, each quoted, a trailing space', (t) => {
  t.is(errorOf('foo', 'a', 'b'), "ERR unknown command 'foo', with args beginning with: 'a' 'b' ");
  t.is(errorOf('FooBar'), "ERR unknown command 'FooBar', with args beginning with: ");
});

test('the args preview stops once it reaches 128 bytes, as Redis', (t) => {
  const long = 'x'.repeat(200);
  t.is(errorOf('nope', long, 'next'), `ERR unknown command 'nope', with args beginning with: '${'x'.repeat(128)}' `);
});

test('wrong arity names the command in lower case, subcommands as container|sub', (t) => {
  t.is(errorOf('GET'), "ERR wrong number of arguments for 'get' command");
  t.is(errorOf('get', 'a', 'b'), "ERR wrong number of arguments for 'get' command");
  t.is(errorOf('set', 'k'), "ERR wrong number of arguments for 'set' command");
  t.is(errorOf('client'), "ERR wrong number of arguments for 'client' command");
  t.is(errorOf('CLIENT', 'SETNAME'), "ERR wrong number of arguments for 'client|setname' command");
  t.is(wrongArity('config|get'), "ERR wrong number of arguments for 'config|get' command");
});

test('an unknown subcommand of a container says which HELP to try', (t) => {
  t.is(errorOf('client', 'bogus'), "ERR unknown subcommand 'bogus'. Try CLIENT HELP.");
  t.is(errorOf('config', 'Nope', 'x'), "ERR unknown subcommand 'Nope'. Try CONFIG HELP.");
});

test('names are matched in any case; arity counts the name (N exact, -N at least N)', (t) => {
  const r = look('gEt', 'k');
  t.true(r.ok && r.cmd.name === 'get');
  t.true(look('set', 'k', 'v', 'NX', 'GET').ok);
  t.true(look('ping').ok && look('ping', 'hi').ok);
  t.true(look('command').ok && look('COMMAND', 'count').ok);
});

test('the table holds Redis 7 arity, flags and key positions for the commands served', (t) => {
  const get = TABLE.get('get')!;
  t.deepEqual([get.arity, get.firstKey, get.lastKey, get.step], [2, 1, 1, 1]);
  t.deepEqual(get.flags, ['readonly', 'fast']);
  const del = TABLE.get('del')!;
  t.deepEqual([del.arity, del.firstKey, del.lastKey, del.step], [-2, 1, -1, 1]);
  t.is(TABLE.get('set')!.arity, -3);
  t.is(TABLE.get('hello')!.arity, -1);
  t.deepEqual(TABLE.get('client')!.subcommands.map((s) => s.name).sort(), [
    'client|getname', 'client|help', 'client|id', 'client|info', 'client|list', 'client|no-evict', 'client|no-touch', 'client|setinfo', 'client|setname',
  ]);
});

test('every command can run: a handler, or subcommands that have handlers', (t) => {
  for (const c of TABLE.values()) {
    t.true(c.run !== undefined || c.subcommands.length > 0, c.name);
    for (const s of c.subcommands) t.truthy(s.run, s.name);
  }
});
