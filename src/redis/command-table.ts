import { assert } from '../../raft/assert.js';
import type { ArgDoc, RedisCommand } from './command-spec.js';
import { arityAllows, commandDocs, commandInfo } from './command-spec.js';
import * as cluster from './cluster-commands.js';
import * as conn from './connection-commands.js';
import * as keyspace from './keyspace-commands.js';
import type { Call, Handler, Reply } from './redis-call.js';
import { wrongArity } from './redis-errors.js';
import * as server from './server-commands.js';
import * as str from './string-commands.js';
import * as tx from './transaction-commands.js';
import { flush } from './flush-commands.js';
import { NULL, array, bulk, error, int, map } from './resp-value.js';

interface Def {
  readonly arity: number;
  readonly flags: string;
  /** first, last, step. */
  readonly keys?: readonly [number, number, number];
  readonly acl: string;
  readonly group: string;
  readonly since: string;
  readonly summary: string;
  readonly complexity?: string;
  readonly args?: readonly ArgDoc[];
  readonly run?: Handler;
  readonly sub?: Readonly<Record<string, Def>>;
}

const key: ArgDoc = { name: 'key', type: 'key' };
const keys: ArgDoc = { name: 'key', type: 'key', multiple: true };
const expireArgs = (name: string, type: ArgDoc['type']): ArgDoc[] => [
  key,
  { name, type },
  {
    name: 'condition', type: 'oneof', optional: true,
    args: ['NX', 'XX', 'GT', 'LT'].map((t): ArgDoc => ({ name: t.toLowerCase(), type: 'pure-token', token: t })),
  },
];

/** The commands kvstore's Redis door speaks, with Redis 7.2's arity, flags, keys and docs. */
const DEFS: Readonly<Record<string, Def>> = {
  get: { arity: 2, flags: 'readonly fast', keys: [1, 1, 1], acl: '@read @string @fast', group: 'string', since: '1.0.0', summary: 'Returns the string value of a key.', args: [key], run: str.get },
  set: {
    arity: -3, flags: 'write denyoom', keys: [1, 1, 1], acl: '@write @string @slow', group: 'string', since: '1.0.0',
    summary: "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
    args: [
      key,
      { name: 'value', type: 'string' },
      { name: 'condition', type: 'oneof', optional: true, args: [{ name: 'nx', type: 'pure-token', token: 'NX' }, { name: 'xx', type: 'pure-token', token: 'XX' }] },
      { name: 'get', type: 'pure-token', token: 'GET', optional: true },
      {
        name: 'expiration', type: 'oneof', optional: true,
        args: [
          { name: 'seconds', type: 'integer', token: 'EX' },
          { name: 'milliseconds', type: 'integer', token: 'PX' },
          { name: 'unix-time-seconds', type: 'unix-time', token: 'EXAT' },
          { name: 'unix-time-milliseconds', type: 'unix-time', token: 'PXAT' },
          { name: 'keepttl', type: 'pure-token', token: 'KEEPTTL' },
        ],
      },
    ],
    run: str.setCommand,
  },
  del: { arity: -2, flags: 'write', keys: [1, -1, 1], acl: '@keyspace @write @slow', group: 'generic', since: '1.0.0', summary: 'Deletes one or more keys.', complexity: 'O(N) where N is the number of keys that will be removed.', args: [keys], run: str.del },
  unlink: { arity: -2, flags: 'write fast', keys: [1, -1, 1], acl: '@keyspace @write @fast', group: 'generic', since: '4.0.0', summary: 'Asynchronously deletes one or more keys.', complexity: 'O(1) for each key removed regardless of its size.', args: [keys], run: str.del },
  exists: { arity: -2, flags: 'readonly fast', keys: [1, -1, 1], acl: '@keyspace @read @fast', group: 'generic', since: '1.0.0', summary: 'Determines whether one or more keys exist.', complexity: 'O(N) where N is the number of keys to check.', args: [keys], run: str.exists },
  mget: { arity: -2, flags: 'readonly fast', keys: [1, -1, 1], acl: '@read @string @fast', group: 'string', since: '1.0.0', summary: 'Atomically returns the string values of one or more keys.', complexity: 'O(N) where N is the number of keys to retrieve.', args: [keys], run: str.mget },
  mset: {
    arity: -3, flags: 'write denyoom', keys: [1, -1, 2], acl: '@write @string @slow', group: 'string', since: '1.0.1', summary: 'Atomically creates or modifies the string values of one or more keys.', complexity: 'O(N) where N is the number of keys to set.',
    args: [{ name: 'data', type: 'block', multiple: true, args: [key, { name: 'value', type: 'string' }] }],
    run: str.mset,
  },
  msetnx: {
    arity: -3, flags: 'write denyoom', keys: [1, -1, 2], acl: '@write @string @slow', group: 'string', since: '1.0.1', summary: "Atomically modifies the string values of one or more keys only when all keys don't exist.", complexity: 'O(N) where N is the number of keys to set.',
    args: [{ name: 'data', type: 'block', multiple: true, args: [key, { name: 'value', type: 'string' }] }],
    run: str.msetnx,
  },
  flushall: {
    arity: -1, flags: 'write', acl: '@keyspace @write @slow @dangerous', group: 'server', since: '1.0.0', summary: 'Removes all keys from all databases.', complexity: 'O(N) where N is the total number of keys in all databases',
    args: [{ name: 'flush-type', type: 'oneof', optional: true, args: [{ name: 'async', type: 'pure-token', token: 'ASYNC' }, { name: 'sync', type: 'pure-token', token: 'SYNC' }] }],
    run: flush,
  },
  flushdb: {
    arity: -1, flags: 'write', acl: '@keyspace @write @slow @dangerous', group: 'server', since: '1.0.0', summary: 'Remove all keys from the current database.', complexity: 'O(N) where N is the number of keys in the selected database',
    args: [{ name: 'flush-type', type: 'oneof', optional: true, args: [{ name: 'async', type: 'pure-token', token: 'ASYNC' }, { name: 'sync', type: 'pure-token', token: 'SYNC' }] }],
    run: flush,
  },
  multi: { arity: 1, flags: 'noscript loading stale fast allow_busy', acl: '@fast @transaction', group: 'transactions', since: '1.2.0', summary: 'Starts a transaction.', complexity: 'O(1)', run: tx.multi },
  exec: { arity: 1, flags: 'noscript loading stale skip_slowlog', acl: '@slow @transaction', group: 'transactions', since: '1.2.0', summary: 'Executes all commands in a transaction.', complexity: 'Depends on commands in the transaction', run: tx.exec },
  discard: { arity: 1, flags: 'noscript loading stale fast allow_busy', acl: '@fast @transaction', group: 'transactions', since: '2.0.0', summary: 'Discards a transaction.', complexity: 'O(N), when N is the number of queued commands', run: tx.discard },
  watch: { arity: -2, flags: 'noscript loading stale fast allow_busy', keys: [1, -1, 1], acl: '@fast @transaction', group: 'transactions', since: '2.2.0', summary: 'Monitors changes to keys to determine the execution of a transaction.', complexity: 'O(1) for every key.', args: [keys], run: tx.watch },
  unwatch: { arity: 1, flags: 'noscript loading stale fast allow_busy', acl: '@fast @transaction', group: 'transactions', since: '2.2.0', summary: 'Forgets about watched keys of a transaction.', complexity: 'O(1)', run: tx.unwatch },
  incr: { arity: 2, flags: 'write denyoom fast', keys: [1, 1, 1], acl: '@write @string @fast', group: 'string', since: '1.0.0', summary: 'Increments the integer value of a key by one. Uses 0 as initial value if the key doesn\'t exist.', args: [key], run: str.incr },
  decr: { arity: 2, flags: 'write denyoom fast', keys: [1, 1, 1], acl: '@write @string @fast', group: 'string', since: '1.0.0', summary: 'Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn\'t exist.', args: [key], run: str.decr },
  incrby: { arity: 3, flags: 'write denyoom fast', keys: [1, 1, 1], acl: '@write @string @fast', group: 'string', since: '1.0.0', summary: 'Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn\'t exist.', args: [key, { name: 'increment', type: 'integer' }], run: str.incrby },
  decrby: { arity: 3, flags: 'write denyoom fast', keys: [1, 1, 1], acl: '@write @string @fast', group: 'string', since: '1.0.0', summary: 'Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn\'t exist.', args: [key, { name: 'decrement', type: 'integer' }], run: str.decrby },
  append: { arity: 3, flags: 'write denyoom fast', keys: [1, 1, 1], acl: '@write @string @fast', group: 'string', since: '2.0.0', summary: 'Appends a string to the value of a key. Creates the key if it doesn\'t exist.', complexity: 'O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.', args: [key, { name: 'value', type: 'string' }], run: str.append },
  getdel: { arity: 2, flags: 'write fast', keys: [1, 1, 1], acl: '@write @string @fast', group: 'string', since: '6.2.0', summary: 'Returns the string value of a key after deleting the key.', args: [key], run: str.getdel },
  setnx: { arity: 3, flags: 'write denyoom fast', keys: [1, 1, 1], acl: '@write @string @fast', group: 'string', since: '1.0.0', summary: 'Set the string value of a key only when the key doesn\'t exist.', args: [key, { name: 'value', type: 'string' }], run: str.setnx },
  getset: { arity: 3, flags: 'write denyoom fast', keys: [1, 1, 1], acl: '@write @string @fast', group: 'string', since: '1.0.0', summary: 'Returns the previous string value of a key after setting it to a new value.', args: [key, { name: 'value', type: 'string' }], run: str.getset },
  expire: { arity: -3, flags: 'write fast', keys: [1, 1, 1], acl: '@keyspace @write @fast', group: 'generic', since: '1.0.0', summary: "Sets the expiration time of a key in seconds.", args: expireArgs('seconds', 'integer'), run: str.expire },
  pexpire: { arity: -3, flags: 'write fast', keys: [1, 1, 1], acl: '@keyspace @write @fast', group: 'generic', since: '2.6.0', summary: 'Sets the expiration time of a key in milliseconds.', args: expireArgs('milliseconds', 'integer'), run: str.pexpire },
  expireat: { arity: -3, flags: 'write fast', keys: [1, 1, 1], acl: '@keyspace @write @fast', group: 'generic', since: '1.2.0', summary: 'Sets the expiration time of a key to a Unix timestamp.', args: expireArgs('unix-time-seconds', 'unix-time'), run: str.expireat },
  pexpireat: { arity: -3, flags: 'write fast', keys: [1, 1, 1], acl: '@keyspace @write @fast', group: 'generic', since: '2.6.0', summary: 'Sets the expiration time of a key to a Unix milliseconds timestamp.', args: expireArgs('unix-time-milliseconds', 'unix-time'), run: str.pexpireat },
  persist: { arity: 2, flags: 'write fast', keys: [1, 1, 1], acl: '@keyspace @write @fast', group: 'generic', since: '2.2.0', summary: 'Removes the expiration time of a key.', args: [key], run: str.persist },
  ttl: { arity: 2, flags: 'readonly fast', keys: [1, 1, 1], acl: '@keyspace @read @fast', group: 'generic', since: '1.0.0', summary: 'Returns the expiration time in seconds of a key.', args: [key], run: str.ttl },
  pttl: { arity: 2, flags: 'readonly fast', keys: [1, 1, 1], acl: '@keyspace @read @fast', group: 'generic', since: '2.6.0', summary: 'Returns the expiration time in milliseconds of a key.', args: [key], run: str.pttl },
  expiretime: { arity: 2, flags: 'readonly fast', keys: [1, 1, 1], acl: '@keyspace @read @fast', group: 'generic', since: '7.0.0', summary: 'Returns the expiration time of a key as a Unix timestamp.', args: [key], run: str.expiretime },
  pexpiretime: { arity: 2, flags: 'readonly fast', keys: [1, 1, 1], acl: '@keyspace @read @fast', group: 'generic', since: '7.0.0', summary: 'Returns the expiration time of a key as a Unix milliseconds timestamp.', args: [key], run: str.pexpiretime },
  strlen: { arity: 2, flags: 'readonly fast', keys: [1, 1, 1], acl: '@read @string @fast', group: 'string', since: '2.2.0', summary: 'Returns the length of a string value.', args: [key], run: str.strlen },
  type: { arity: 2, flags: 'readonly fast', keys: [1, 1, 1], acl: '@keyspace @read @fast', group: 'generic', since: '1.0.0', summary: 'Determines the type of value stored at a key.', args: [key], run: str.type },
  scan: {
    arity: -2, flags: 'readonly', acl: '@keyspace @read @slow', group: 'generic', since: '2.8.0', summary: 'Iterates over the key names in the database.',
    complexity: 'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.',
    args: [
      { name: 'cursor', type: 'integer' },
      { name: 'pattern', type: 'pattern', token: 'MATCH', optional: true },
      { name: 'count', type: 'integer', token: 'COUNT', optional: true },
      { name: 'type', type: 'string', token: 'TYPE', optional: true },
    ],
    run: keyspace.scan,
  },
  keys: {
    arity: 2, flags: 'readonly', acl: '@keyspace @read @slow @dangerous', group: 'generic', since: '1.0.0', summary: 'Returns all key names that match a pattern.',
    complexity: 'O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.',
    args: [{ name: 'pattern', type: 'pattern' }],
    run: keyspace.keys,
  },
  wait: {
    arity: 3, flags: 'noscript', acl: '@slow @connection', group: 'generic', since: '3.0.0', summary: 'Blocks until the asynchronous replication of all preceding write commands sent by the connection is completed.',
    args: [{ name: 'numreplicas', type: 'integer' }, { name: 'timeout', type: 'integer' }],
    run: cluster.wait,
  },
  cluster: {
    arity: -2, flags: '', acl: '@slow', group: 'cluster', since: '3.0.0', summary: 'A container for Redis Cluster commands.', complexity: 'Depends on subcommand.',
    sub: {
      slots: { arity: 2, flags: 'loading stale', acl: '@slow', group: 'cluster', since: '3.0.0', summary: 'Returns the mapping of cluster slots to nodes.', complexity: 'O(N) where N is the total number of Cluster nodes', run: cluster.clusterSlots },
      shards: { arity: 2, flags: 'loading stale', acl: '@slow', group: 'cluster', since: '7.0.0', summary: 'Returns the mapping of cluster slots to shards.', complexity: 'O(N) where N is the total number of cluster nodes', run: cluster.clusterShards },
      info: { arity: 2, flags: 'loading stale', acl: '@slow', group: 'cluster', since: '3.0.0', summary: 'Returns information about the state of a node.', run: cluster.clusterInfo },
      myid: { arity: 2, flags: 'loading stale', acl: '@slow', group: 'cluster', since: '3.0.0', summary: 'Returns the ID of a node.', run: cluster.clusterMyid },
      nodes: { arity: 2, flags: 'loading stale', acl: '@slow', group: 'cluster', since: '3.0.0', summary: 'Returns the cluster configuration for a node.', complexity: 'O(N) where N is the total number of Cluster nodes', run: cluster.clusterNodes },
      keyslot: { arity: 3, flags: 'loading stale', acl: '@slow', group: 'cluster', since: '3.0.0', summary: 'Returns the hash slot for a key.', complexity: 'O(N) where N is the number of bytes in the key', args: [{ name: 'key', type: 'string' }], run: cluster.clusterKeyslot },
      help: { arity: 2, flags: 'loading stale', acl: '@slow', group: 'cluster', since: '5.0.0', summary: 'Returns helpful text about the different subcommands.', run: cluster.clusterHelp },
    },
  },
  ping: { arity: -1, flags: 'fast', acl: '@fast @connection', group: 'connection', since: '1.0.0', summary: "Returns the server's liveliness response.", args: [{ name: 'message', type: 'string', optional: true }], run: conn.ping },
  echo: { arity: 2, flags: 'loading stale fast', acl: '@fast @connection', group: 'connection', since: '1.0.0', summary: 'Returns the given string.', args: [{ name: 'message', type: 'string' }], run: conn.echo },
  hello: {
    arity: -1, flags: 'noscript loading stale fast no_auth allow_busy', acl: '@fast @connection', group: 'connection', since: '6.0.0', summary: 'Handshakes with the Redis server.',
    args: [
      {
        name: 'arguments', type: 'block', optional: true,
        args: [
          { name: 'protover', type: 'integer' },
          { name: 'auth', type: 'block', token: 'AUTH', optional: true, args: [{ name: 'username', type: 'string' }, { name: 'password', type: 'string' }] },
          { name: 'clientname', type: 'string', token: 'SETNAME', optional: true },
        ],
      },
    ],
    run: conn.hello,
  },
  auth: { arity: -2, flags: 'noscript loading stale fast no_auth allow_busy', acl: '@fast @connection', group: 'connection', since: '1.0.0', summary: 'Authenticates the connection.', args: [{ name: 'username', type: 'string', optional: true }, { name: 'password', type: 'string' }], run: conn.auth },
  select: { arity: 2, flags: 'loading stale fast', acl: '@fast @connection', group: 'connection', since: '1.0.0', summary: 'Changes the selected database.', args: [{ name: 'index', type: 'integer' }], run: conn.select },
  quit: { arity: -1, flags: 'allow_busy noscript loading stale fast no_auth', acl: '@fast @connection', group: 'connection', since: '1.0.0', summary: 'Closes the connection.', run: conn.quit },
  reset: { arity: 1, flags: 'noscript loading stale fast no_auth allow_busy', acl: '@fast @connection', group: 'connection', since: '6.2.0', summary: 'Resets the connection.', run: conn.reset },
  dbsize: { arity: 1, flags: 'readonly fast', acl: '@keyspace @read @fast', group: 'server', since: '1.0.0', summary: 'Returns the number of keys in the database.', run: server.dbsize },
  info: { arity: -1, flags: 'loading stale', acl: '@slow @dangerous', group: 'server', since: '1.0.0', summary: 'Returns information and statistics about the server.', complexity: 'O(1)', args: [{ name: 'section', type: 'string', optional: true, multiple: true }], run: server.info },
  client: {
    arity: -2, flags: 'sentinel', acl: '@slow', group: 'connection', since: '2.4.0', summary: 'A container for client connection commands.', complexity: 'Depends on subcommand.',
    sub: {
      id: { arity: 2, flags: 'noscript loading stale', acl: '@slow @connection', group: 'connection', since: '5.0.0', summary: 'Returns the unique client ID of the connection.', run: conn.clientId },
      getname: { arity: 2, flags: 'noscript loading stale', acl: '@slow @connection', group: 'connection', since: '2.6.9', summary: 'Returns the name of the connection.', run: conn.clientGetname },
      setname: { arity: 3, flags: 'noscript loading stale', acl: '@slow @connection', group: 'connection', since: '2.6.9', summary: 'Sets the connection name.', args: [{ name: 'connection-name', type: 'string' }], run: conn.clientSetname },
      setinfo: {
        arity: 4, flags: 'noscript loading stale', acl: '@slow @connection', group: 'connection', since: '7.2.0', summary: 'Sets information specific to the client or connection.',
        args: [{ name: 'attr', type: 'oneof', args: [{ name: 'libname', type: 'string', token: 'LIB-NAME' }, { name: 'libver', type: 'string', token: 'LIB-VER' }] }],
        run: conn.clientSetinfo,
      },
      info: { arity: 2, flags: 'noscript loading stale', acl: '@slow @connection', group: 'connection', since: '6.2.0', summary: 'Returns information about the connection.', run: conn.clientInfo },
      list: { arity: -2, flags: 'admin noscript loading stale', acl: '@admin @slow @dangerous @connection', group: 'connection', since: '2.4.0', summary: 'Lists open connections.', complexity: 'O(N) where N is the number of client connections', run: conn.clientList },
      'no-evict': { arity: 3, flags: 'admin noscript loading stale', acl: '@admin @slow @dangerous @connection', group: 'connection', since: '7.0.0', summary: 'Sets the client eviction mode of the connection.', run: conn.clientOnOff },
      'no-touch': { arity: 3, flags: 'noscript loading stale', acl: '@slow @connection', group: 'connection', since: '7.2.0', summary: 'Controls whether commands sent by the client affect the LRU/LFU of accessed keys.', run: conn.clientOnOff },
      help: { arity: 2, flags: 'loading stale', acl: '@slow @connection', group: 'connection', since: '5.0.0', summary: 'Returns helpful text about the different subcommands.', run: conn.clientHelp },
    },
  },
  config: {
    arity: -2, flags: '', acl: '@slow', group: 'server', since: '2.0.0', summary: 'A container for server configuration commands.', complexity: 'Depends on subcommand.',
    sub: {
      get: { arity: -3, flags: 'admin noscript loading stale', acl: '@admin @slow @dangerous', group: 'server', since: '2.0.0', summary: 'Returns the effective values of configuration parameters.', complexity: 'O(N) when N is the number of configuration parameters provided', args: [{ name: 'parameter', type: 'string', multiple: true }], run: server.configGet },
      set: { arity: -4, flags: 'admin noscript loading stale', acl: '@admin @slow @dangerous', group: 'server', since: '2.0.0', summary: 'Sets configuration parameters in-flight.', run: server.configSet },
      resetstat: { arity: 2, flags: 'admin noscript loading stale', acl: '@admin @slow @dangerous', group: 'server', since: '2.0.0', summary: 'Resets the server\'s statistics.', run: server.configResetstat },
      help: { arity: 2, flags: 'loading stale', acl: '@slow', group: 'server', since: '5.0.0', summary: 'Returns helpful text about the different subcommands.', run: server.configHelp },
    },
  },
  command: {
    arity: -1, flags: 'loading stale', acl: '@slow @connection', group: 'server', since: '2.8.13', summary: 'Returns detailed information about all commands.', complexity: 'O(N) where N is the total number of Redis commands',
    run: (c) => commandAll(c),
    sub: {
      count: { arity: 2, flags: 'loading stale', acl: '@slow @connection', group: 'server', since: '2.8.13', summary: 'Returns a count of commands.', run: () => int(TABLE.size) },
      list: { arity: -2, flags: 'loading stale', acl: '@slow @connection', group: 'server', since: '7.0.0', summary: 'Returns a list of command names.', run: () => array([...TABLE.keys()].map((n) => bulk(n))) },
      info: { arity: -2, flags: 'loading stale', acl: '@slow @connection', group: 'server', since: '2.8.13', summary: 'Returns information about one, multiple or all commands.', args: [{ name: 'command-name', type: 'string', optional: true, multiple: true }], run: (c) => commandInfoOf(c) },
      docs: { arity: -2, flags: 'loading stale', acl: '@slow @connection', group: 'server', since: '7.0.0', summary: 'Returns documentary information about one, multiple or all commands.', args: [{ name: 'command-name', type: 'string', optional: true, multiple: true }], run: (c) => commandDocsOf(c) },
      getkeys: { arity: -4, flags: 'loading stale', acl: '@slow @connection', group: 'server', since: '2.8.13', summary: 'Extracts the key names from an arbitrary command.', args: [{ name: 'command', type: 'string' }, { name: 'arg', type: 'string', optional: true, multiple: true }], run: (c) => commandGetkeys(c) },
      help: { arity: 2, flags: 'loading stale', acl: '@slow @connection', group: 'server', since: '5.0.0', summary: 'Returns helpful text about the different subcommands.', run: () => conn.helpReply('COMMAND', ['(no subcommand)', '    Return details about all commands.', 'COUNT', 'LIST', 'INFO [<command-name> ...]', 'DOCS [<command-name> ...]', 'GETKEYS <full-command>']) },
    },
  },
};

function build(name: string, d: Def): RedisCommand {
  const [firstKey, lastKey, step] = d.keys ?? [0, 0, 0];
  const subcommands = Object.entries(d.sub ?? {}).map(([s, sd]) => build(`${name}|${s}`, sd));
  const cmd: RedisCommand = {
    name,
    arity: d.arity,
    flags: d.flags === '' ? [] : d.flags.split(' '),
    firstKey,
    lastKey,
    step,
    acl: d.acl.split(' '),
    group: d.group,
    since: d.since,
    summary: d.summary,
    complexity: d.complexity ?? 'O(1)',
    args: d.args ?? [],
    run: d.run,
    subcommands,
  };
  assert(cmd.run !== undefined || subcommands.length > 0, `redis command ${name}: neither a handler nor subcommands`);
  assert(cmd.arity !== 0, `redis command ${name}: arity 0 is not a Redis arity`);
  return cmd;
}

/** Every top-level command by lower-case name, in table order. */
export const TABLE: ReadonlyMap<string, RedisCommand> = new Map(Object.entries(DEFS).map(([n, d]) => [n, build(n, d)]));

/** What a request's words name: the command to run, or the error Redis replies. */
export type Lookup = { readonly ok: true; readonly cmd: RedisCommand & { readonly run: Handler } } | { readonly ok: false; readonly error: string };

/** Redis's lookup then arity check (src/server.c processCommand): unknown, unknown subcommand, wrong arity. */
export function lookupCommand(argv: readonly Buffer[], unknown: (name: string, args: readonly Buffer[]) => string, unknownSub: (sub: string, container: string) => string): Lookup {
  const typed = argv[0]!.toString('utf8');
  const top = TABLE.get(typed.toLowerCase());
  if (top === undefined) return { ok: false, error: unknown(typed, argv.slice(1)) };
  let cmd = top;
  if (top.subcommands.length > 0 && argv.length >= 2) {
    const sub = argv[1]!.toString('utf8');
    const found = top.subcommands.find((s) => s.name === `${top.name}|${sub.toLowerCase()}`);
    if (found === undefined) return { ok: false, error: unknownSub(sub, typed) };
    cmd = found;
  }
  if (!arityAllows(cmd.arity, argv.length) || cmd.run === undefined) return { ok: false, error: wrongArity(cmd.name) };
  return { ok: true, cmd: cmd as RedisCommand & { readonly run: Handler } };
}

function commandAll(_c: Call): Reply {
  return array([...TABLE.values()].map(commandInfo));
}

/** COMMAND INFO [name ...]: null for a name kvstore does not know (as Redis). */
function commandInfoOf(c: Call): Reply {
  if (c.argv.length === 2) return commandAll(c);
  return array(c.argv.slice(2).map((n) => {
    const found = findCommand(n.toString('utf8'));
    return found === undefined ? NULL : commandInfo(found);
  }));
}

/** COMMAND DOCS [name ...]: a map name -> docs; unknown names are left out (as Redis). */
function commandDocsOf(c: Call): Reply {
  const chosen = c.argv.length === 2 ? [...TABLE.values()] : c.argv.slice(2).flatMap((n) => findCommand(n.toString('utf8')) ?? []);
  return map(chosen.map((cmd) => [cmd.name, commandDocs(cmd)] as const));
}

/** COMMAND GETKEYS cmd args...: the keys by the table's first/last/step. */
function commandGetkeys(c: Call): Reply {
  const argv = c.argv.slice(2);
  const found = lookupCommand(argv, () => 'ERR Invalid command specified', () => 'ERR Invalid command specified');
  if (!found.ok) return error(found.error.startsWith('ERR wrong number') ? 'ERR Invalid number of arguments specified for command' : found.error);
  const { firstKey, lastKey, step } = found.cmd;
  if (firstKey === 0) return error('ERR The command has no key arguments');
  const last = lastKey < 0 ? argv.length + lastKey : lastKey;
  const out = [];
  for (let i = firstKey; i <= last; i += step) out.push(bulk(argv[i]!));
  return array(out);
}

/** A command or `container|sub` by name, any case. */
function findCommand(name: string): RedisCommand | undefined {
  const lower = name.toLowerCase();
  const [top, sub] = lower.split('|');
  const cmd = TABLE.get(top!);
  return sub === undefined ? cmd : cmd?.subcommands.find((s) => s.name === lower);
}
