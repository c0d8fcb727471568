import { assert, assertNever } from '../../raft/assert.js';
import type { Command } from './resp-parser.js';

/**
 * The requests the store understands, as a discriminated union on `type`.
 * Keys and values stay binary (Buffer): the lab stores words, not text.
 */
export type Request =
  /** SET key v1 [v2 ...]: stores the value words; replies +OK. */
  | { readonly type: 'set'; readonly key: Buffer; readonly values: Buffer[] }
  /** GET key: the stored words, or the lab's nil reply. */
  | { readonly type: 'get'; readonly key: Buffer }
  /** DEL / DELETE k1 [k2 ...]: replies :N, the number of keys actually removed. */
  | { readonly type: 'del'; readonly keys: Buffer[] }
  /** MSET k1 v1 [k2 v2 ...]: one word per key, all set or none; replies +OK. */
  | { readonly type: 'mset'; readonly pairs: [Buffer, Buffer][] }
  /** MGET k1 [k2 ...]: one lab GET reply per key, all as of one instant. */
  | { readonly type: 'mget'; readonly keys: Buffer[] }
  | { readonly type: 'ping' }
  /** QUIT: reply +OK, then close the connection. */
  | { readonly type: 'quit' }
  /** INFO [section ...]: Redis-style server information as one bulk string. */
  | { readonly type: 'info'; readonly sections: string[] };

export type RequestType = Request['type'];

export const COMMAND_ERROR_CODES = ['UNKNOWN_COMMAND', 'WRONG_ARITY'] as const;
export type CommandErrorCode = (typeof COMMAND_ERROR_CODES)[number];

/**
 * A well-formed RESP request the store cannot run. The client gets
 * `-ERROR\r\n`, the reason goes to the log, and the connection lives on.
 */
export class CommandError extends Error {
  override readonly name = 'CommandError';
  constructor(
    readonly code: CommandErrorCode,
    readonly reason: string,
  ) {
    super(`${code}: ${reason}`);
  }
}

/**
 * Each command name (any case; Command.name is already upper-cased), the
 * request type it makes and its argument count after the name: `min` and
 * `max` (Infinity = unbounded). DELETE is the NuRaft-style alias of DEL.
 */
const COMMAND_TABLE = {
  SET: { type: 'set', min: 2, max: Infinity },
  GET: { type: 'get', min: 1, max: 1 },
  DEL: { type: 'del', min: 1, max: Infinity },
  DELETE: { type: 'del', min: 1, max: Infinity },
  MSET: { type: 'mset', min: 2, max: Infinity },
  MGET: { type: 'mget', min: 1, max: Infinity },
  PING: { type: 'ping', min: 0, max: 0 },
  QUIT: { type: 'quit', min: 0, max: 0 },
  INFO: { type: 'info', min: 0, max: 16 },
} as const satisfies Record<string, { type: RequestType; min: number; max: number }>;

type CommandName = keyof typeof COMMAND_TABLE;

function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(COMMAND_TABLE, name);
}

/** Turns a parsed Command into a Request, or throws CommandError. */
export function toRequest(cmd: Command): Request {
  if (!isCommandName(cmd.name)) {
    throw new CommandError('UNKNOWN_COMMAND', `unknown command ${JSON.stringify(cmd.name.slice(0, 64))}`);
  }
  const spec = COMMAND_TABLE[cmd.name];
  const argc = cmd.args.length;
  if (argc < spec.min || argc > spec.max) {
    const want = spec.max === spec.min ? `${spec.min}` : spec.max === Infinity ? `at least ${spec.min}` : `${spec.min}..${spec.max}`;
    throw new CommandError('WRONG_ARITY', `${cmd.name} takes ${want} argument(s), got ${argc}`);
  }
  const [first, ...rest] = cmd.args;
  switch (spec.type) {
    case 'set':
      assert(first !== undefined, 'SET arity checked above');
      return { type: 'set', key: first, values: rest };
    case 'get':
      assert(first !== undefined, 'GET arity checked above');
      return { type: 'get', key: first };
    case 'del':
      return { type: 'del', keys: cmd.args };
    case 'mset': {
      if (argc % 2 !== 0) throw new CommandError('WRONG_ARITY', `MSET takes key value pairs, got ${argc} argument(s)`);
      const pairs: [Buffer, Buffer][] = [];
      for (let i = 0; i < argc; i += 2) pairs.push([cmd.args[i]!, cmd.args[i + 1]!]);
      return { type: 'mset', pairs };
    }
    case 'mget':
      return { type: 'mget', keys: cmd.args };
    case 'ping':
      return { type: 'ping' };
    case 'quit':
      return { type: 'quit' };
    case 'info':
      return { type: 'info', sections: cmd.args.map((a) => a.toString('latin1')) };
    default:
      return assertNever(spec, 'command spec');
  }
}
