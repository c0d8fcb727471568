import type { Handler } from './redis-call.js';
import { array, bulk, int, map, set, simple } from './resp-value.js';
import type { RespValue } from './resp-value.js';

/** One argument in COMMAND DOCS (what redis-cli builds its hints from). */
export interface ArgDoc {
  readonly name: string;
  readonly type: 'key' | 'string' | 'integer' | 'pattern' | 'unix-time' | 'pure-token' | 'oneof' | 'block';
  readonly token?: string;
  readonly optional?: boolean;
  readonly multiple?: boolean;
  readonly args?: readonly ArgDoc[];
}

/**
 * A command as Redis's table describes it (src/commands.def): the arity
 * counts the name (N: exactly N words, -N: at least N), keys are argv
 * positions first..last by step (last -1: to the end; 0 0 0: no keys).
 * A container (CLIENT, CONFIG, COMMAND) dispatches on its subcommands,
 * named `client|id`; its own `run` serves it called with no subcommand.
 */
export interface RedisCommand {
  /** Lower case; a subcommand is `container|sub`. */
  readonly name: string;
  readonly arity: number;
  readonly flags: readonly string[];
  readonly firstKey: number;
  readonly lastKey: number;
  readonly step: number;
  /** ACL categories, `@string` style. */
  readonly acl: readonly string[];
  readonly group: string;
  readonly since: string;
  readonly summary: string;
  readonly complexity: string;
  readonly args: readonly ArgDoc[];
  readonly run: Handler | undefined;
  readonly subcommands: readonly RedisCommand[];
}

/** Words in argv allowed by an arity (argc counts the name). */
export function arityAllows(arity: number, argc: number): boolean {
  return arity >= 0 ? argc === arity : argc >= -arity;
}

/** COMMAND INFO's 10-element entry (Redis 7: name, arity, flags, first, last, step, acl, tips, key specs, subcommands). */
export function commandInfo(c: RedisCommand): RespValue {
  return array([
    bulk(c.name),
    int(c.arity),
    set(c.flags.map((f) => simple(f))),
    int(c.firstKey),
    int(c.lastKey),
    int(c.step),
    set(c.acl.map((a) => simple(a))),
    set([]),
    array([]),
    array(c.subcommands.map(commandInfo)),
  ]);
}

function argDoc(a: ArgDoc): RespValue {
  const flags = [...(a.optional === true ? ['optional'] : []), ...(a.multiple === true ? ['multiple'] : [])];
  return map([
    ['name', bulk(a.name)],
    ['type', bulk(a.type)],
    ...(a.token !== undefined ? ([['token', bulk(a.token)]] as const) : []),
    ...(flags.length > 0 ? ([['flags', array(flags.map((f) => simple(f)))]] as const) : []),
    ...(a.args !== undefined ? ([['arguments', array(a.args.map(argDoc))]] as const) : []),
  ]);
}

/** COMMAND DOCS's map for one command: summary, since, group, complexity, arguments, subcommands. */
export function commandDocs(c: RedisCommand): RespValue {
  return map([
    ['summary', bulk(c.summary)],
    ['since', bulk(c.since)],
    ['group', bulk(c.group)],
    ['complexity', bulk(c.complexity)],
    ...(c.args.length > 0 ? ([['arguments', array(c.args.map(argDoc))]] as const) : []),
    ...(c.subcommands.length > 0 ? ([['subcommands', map(c.subcommands.map((s) => [s.name, commandDocs(s)] as const))]] as const) : []),
  ]);
}
