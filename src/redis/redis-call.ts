import type { RequirePass } from '../server/client-auth.js';
import type { KvSession } from '../server/kv-service.js';
import type { Proto, RespValue } from './resp-value.js';
import type { ClientTransaction } from './transaction-commands.js';

/** One connection's state as Redis keeps it per client (src/server.h `client`). */
export interface ClientState {
  /** Unique in the process, from 1, never reused (CLIENT ID). */
  readonly id: number;
  readonly addr: string;
  readonly laddr: string;
  readonly createdMs: number;
  proto: Proto;
  /** CLIENT SETNAME / HELLO SETNAME; undefined: no name. */
  name: string | undefined;
  libName: string | undefined;
  libVer: string | undefined;
  lastInteractionMs: number;
  /** The last command's full name (`client|list`), for CLIENT LIST's cmd=. */
  lastCommand: string;
  /** False under requirepass until AUTH (or HELLO ... AUTH) succeeds; true without requirepass. */
  authenticated: boolean;
  /** Set by QUIT: the connection closes once this reply is written. */
  closeAfterReply: boolean;
  /** Set once the socket has closed (a blocked WAIT 0 gives up). */
  closed?: boolean;
  /** MULTI's queue and WATCH's keys. */
  readonly tx: ClientTransaction;
}

/** What INFO, CONFIG GET and CLIENT LIST read from the process. */
export interface DoorServices {
  /** INFO's text for the sections asked (none: the default ones). */
  info(sections: readonly string[]): string;
  /** DBSIZE: keys over every group (from this process's replicas, or the leaders' heartbeats at a coordinator). */
  dbsize(): number;
  /** Every open Redis connection of this door, in id order. */
  clients(): readonly ClientState[];
  /** Config requirepass: clients must AUTH first (checked in constant time). Absent: no password, as a Redis whose default user is nopass. */
  readonly requirepass?: RequirePass;
  /** CONFIG GET's parameters and their current values. */
  readonly config: ReadonlyMap<string, string>;
}

/** One command being run: the words as received (argv[0] is the name, as typed). */
export interface Call {
  readonly argv: readonly Buffer[];
  /** Lower-case full name from the table: `get`, `client|setname`. */
  readonly fullname: string;
  readonly client: ClientState;
  readonly door: DoorServices;
  /** The connection's ordered session onto the replicated data. */
  readonly session: KvSession;
}

/**
 * A reply now, or later. A handler that changes the connection (HELLO 3)
 * does so before it returns: the reply is encoded in the protocol in force
 * right after the handler returns, as Redis encodes while it executes.
 */
export type Reply = RespValue | Promise<RespValue>;

export type Handler = (c: Call) => Reply;

/** argv[i] as text (commands, options and names are text; values stay bytes). */
export function word(c: Call, i: number): string {
  const w = c.argv[i];
  return w === undefined ? '' : w.toString('utf8');
}

/**
 * Redis's string2ll: an optional '-', digits, no leading zeros or '+', no
 * spaces, within signed 64 bits. Undefined when the bytes are not such a number.
 */
export function parseInteger(b: Buffer): bigint | undefined {
  if (b.length === 0 || b.length > 20) return undefined;
  const s = b.toString('latin1');
  if (!/^(0|-?[1-9][0-9]*)$/.test(s)) return undefined;
  const n = BigInt(s);
  if (n > 9223372036854775807n || n < -9223372036854775808n) return undefined;
  return n;
}
