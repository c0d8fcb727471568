import { parseInteger, word } from './redis-call.js';
import type { Call, ClientState, Reply } from './redis-call.js';
import {
  AUTH_WITHOUT_PASSWORD,
  BAD_CLIENT_NAME,
  DB_OUT_OF_RANGE,
  NOPROTO,
  NOT_AN_INTEGER,
  PROTOCOL_VERSION_NOT_INTEGER,
  SYNTAX_ERROR,
  WRONGPASS,
  badClientInfo,
  helloSyntax,
  unrecognizedOption,
  wrongArity,
} from './redis-errors.js';
import { NULL, OK, array, bulk, error, int, map, simple, verbatim } from './resp-value.js';
import { resetTransaction } from './transaction-commands.js';

/** The Redis version kvstore answers as (HELLO, INFO redis_version): the commands it speaks are Redis 7.2's. */
export const REDIS_COMPAT_VERSION = '7.2.0';

const PONG = simple('PONG');

/** PING [message]: PONG, or the message as a bulk string. */
export function ping(c: Call): Reply {
  // The table's arity is -1; pingCommand itself refuses a second argument.
  if (c.argv.length > 2) return error(wrongArity('ping'));
  return c.argv.length === 1 ? PONG : bulk(c.argv[1]!);
}

export function echo(c: Call): Reply {
  return bulk(c.argv[1]!);
}

/** QUIT: +OK, then the connection closes (after every earlier reply). */
export function quit(c: Call): Reply {
  c.client.closeAfterReply = true;
  return OK;
}

/** RESET: back to a fresh connection's state (RESP2, no name, db 0, no MULTI or WATCH, not authenticated under requirepass); replies +RESET. */
export function reset(c: Call): Reply {
  c.client.proto = 2;
  c.client.name = undefined;
  c.client.authenticated = c.door.requirepass === undefined;
  resetTransaction(c);
  return simple('RESET');
}

/** SELECT 0 only: kvstore has one keyspace. */
export function select(c: Call): Reply {
  const n = parseInteger(c.argv[1]!);
  if (n === undefined || n > 2147483647n || n < -2147483648n) return error(NOT_AN_INTEGER);
  return n === 0n ? OK : error(DB_OUT_OF_RANGE);
}

/**
 * AUTH [username] password. With requirepass: the password (user `default`
 * only), compared in constant time. Without, as a Redis whose default user
 * is `nopass`: AUTH password is refused with Redis's hint, AUTH default
 * <anything> succeeds, any other user is WRONGPASS.
 */
export function auth(c: Call): Reply {
  if (c.argv.length > 3) return error(SYNTAX_ERROR);
  if (c.argv.length === 2 && c.door.requirepass === undefined) return error(AUTH_WITHOUT_PASSWORD);
  const user = c.argv.length === 3 ? word(c, 1) : 'default';
  if (!authUser(c, user, c.argv[c.argv.length - 1]!)) return error(WRONGPASS);
  c.client.authenticated = true;
  return OK;
}

function authUser(c: Call, user: string, password: Buffer): boolean {
  // Hash-compare the password even for a wrong user: the time says nothing of which was wrong.
  const passOk = c.door.requirepass === undefined || c.door.requirepass.matches(password);
  return user === 'default' && passOk;
}

const NOAUTH_HELLO =
  'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time';

/** Redis's client name rule: printable ASCII without spaces ('!'..'~'). */
function validName(name: string): boolean {
  return /^[!-~]*$/.test(name);
}

/** HELLO [protover [AUTH username password] [SETNAME clientname]] (src/networking.c helloCommand). */
export function hello(c: Call): Reply {
  let ver: 2 | 3 | undefined;
  let next = 1;
  if (c.argv.length >= 2) {
    const n = parseInteger(c.argv[next++]!);
    if (n === undefined) return error(PROTOCOL_VERSION_NOT_INTEGER);
    if (n !== 2n && n !== 3n) return error(NOPROTO);
    ver = n === 2n ? 2 : 3;
  }
  let user: string | undefined;
  let password: Buffer | undefined;
  let name: string | undefined;
  for (let j = next; j < c.argv.length; j++) {
    const more = c.argv.length - 1 - j;
    const opt = word(c, j);
    if (opt.toUpperCase() === 'AUTH' && more >= 2) {
      user = word(c, j + 1);
      password = c.argv[j + 2];
      j += 2;
    } else if (opt.toUpperCase() === 'SETNAME' && more >= 1) {
      name = word(c, j + 1);
      j += 1;
    } else {
      return error(helloSyntax(opt));
    }
  }
  if (user !== undefined) {
    if (!authUser(c, user, password!)) return error(WRONGPASS);
    c.client.authenticated = true;
  } else if (!c.client.authenticated) return error(NOAUTH_HELLO);
  if (name !== undefined) {
    if (!validName(name)) return error(BAD_CLIENT_NAME);
    c.client.name = name === '' ? undefined : name;
  }
  if (ver !== undefined) c.client.proto = ver;
  return map([
    ['server', bulk('redis')],
    ['version', bulk(REDIS_COMPAT_VERSION)],
    ['proto', int(c.client.proto)],
    ['id', int(c.client.id)],
    ['mode', bulk('standalone')],
    ['role', bulk('master')],
    ['modules', array([])],
  ]);
}

export function clientId(c: Call): Reply {
  return int(c.client.id);
}

export function clientGetname(c: Call): Reply {
  return c.client.name === undefined ? NULL : bulk(c.client.name);
}

export function clientSetname(c: Call): Reply {
  const name = word(c, 2);
  if (!validName(name)) return error(BAD_CLIENT_NAME);
  c.client.name = name === '' ? undefined : name;
  return OK;
}

/** CLIENT SETINFO LIB-NAME|LIB-VER value (Redis 7.2). */
export function clientSetinfo(c: Call): Reply {
  const attr = word(c, 2);
  const value = word(c, 3);
  const key = attr.toLowerCase();
  if (key !== 'lib-name' && key !== 'lib-ver') return error(unrecognizedOption(attr));
  if (!/^[!-~]*$/.test(value)) return error(badClientInfo(key));
  if (key === 'lib-name') c.client.libName = value;
  else c.client.libVer = value;
  return OK;
}

/** CLIENT INFO: this connection's CLIENT LIST line. */
export function clientInfo(c: Call): Reply {
  return verbatim(`${clientLine(c.client, Date.now())}\n`);
}

/** CLIENT LIST [TYPE normal]: one line per connection of this door. */
export function clientList(c: Call): Reply {
  if (c.argv.length > 2) {
    const opt = word(c, 2).toUpperCase();
    if (opt !== 'TYPE' || c.argv.length !== 4) return error(SYNTAX_ERROR);
    const type = word(c, 3).toLowerCase();
    if (!['normal', 'master', 'replica', 'slave', 'pubsub'].includes(type)) return error(`ERR Unknown client type '${word(c, 3)}'`);
    if (type !== 'normal') return verbatim('');
  }
  const now = Date.now();
  return verbatim(c.door.clients().map((s) => `${clientLine(s, now)}\n`).join(''));
}

/** CLIENT NO-EVICT / NO-TOUCH ON|OFF: accepted, nothing to change (no eviction, no LRU). */
export function clientOnOff(c: Call): Reply {
  const v = word(c, 2).toUpperCase();
  return v === 'ON' || v === 'OFF' ? OK : error(SYNTAX_ERROR);
}

export function clientHelp(): Reply {
  return helpReply('CLIENT', [
    'GETNAME',
    '    Return the name of the current connection.',
    'ID',
    '    Return the ID of the current connection.',
    'INFO',
    '    Return information about the current client connection.',
    'LIST [TYPE <normal|master|replica|pubsub>]',
    '    Return information about client connections.',
    'SETINFO <option> <value>',
    '    Set client meta attr. Options are: LIB-NAME, LIB-VER.',
    'SETNAME <name>',
    '    Assign the name <name> to the current connection.',
    'NO-EVICT (ON|OFF)',
    '    Accepted; kvstore never evicts.',
    'NO-TOUCH (ON|OFF)',
    '    Accepted; kvstore keeps no access times.',
  ]);
}

/** `<NAME> <subcommand> [<arg> [value] [opt] ...]. Subcommands are:` then the lines, then HELP (as addReplyHelp). */
export function helpReply(container: string, lines: readonly string[]): Reply {
  return array(
    [`${container} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`, ...lines, 'HELP', '    Print this help.'].map((l) => simple(l)),
  );
}

/** Redis's catClientInfoString fields, with what kvstore tracks filled in. */
function clientLine(s: ClientState, now: number): string {
  const age = Math.floor((now - s.createdMs) / 1000);
  const idle = Math.floor((now - s.lastInteractionMs) / 1000);
  return [
    `id=${s.id}`,
    `addr=${s.addr}`,
    `laddr=${s.laddr}`,
    'fd=-1',
    `name=${s.name ?? ''}`,
    `age=${age}`,
    `idle=${idle}`,
    'flags=N',
    'db=0',
    'sub=0',
    'psub=0',
    'ssub=0',
    'multi=-1',
    'watch=0',
    'qbuf=0',
    'qbuf-free=0',
    'argv-mem=0',
    'multi-mem=0',
    'rbs=0',
    'rbp=0',
    'obl=0',
    'oll=0',
    'omem=0',
    'tot-mem=0',
    'events=r',
    `cmd=${s.lastCommand}`,
    'user=default',
    'redir=-1',
    `resp=${s.proto}`,
    `lib-name=${s.libName ?? ''}`,
    `lib-ver=${s.libVer ?? ''}`,
  ].join(' ');
}
