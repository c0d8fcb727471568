import { createHash, timingSafeEqual } from 'node:crypto';
import { inspect } from 'node:util';
import { assert } from '../../raft/assert.js';
import type { Command } from '../protocol/resp-parser.js';

/** Longest password a `requirepass` line may hold. */
export const REQUIREPASS_BYTES_MAX = 4096;

/** Redis's own reply texts, so clients that match on them (ioredis, redis-cli) behave. */
export const NOAUTH_REPLY = Buffer.from('-NOAUTH Authentication required.\r\n', 'latin1');
export const WRONGPASS_REPLY = Buffer.from('-WRONGPASS invalid username-password pair or user is disabled.\r\n', 'latin1');
export const AUTH_ARITY_REPLY = Buffer.from("-ERR wrong number of arguments for 'auth' command\r\n", 'latin1');
const AUTH_OK_REPLY = Buffer.from('+OK\r\n', 'latin1');

/** Commands a client may send before it authenticated. */
const BEFORE_AUTH = new Set(['AUTH', 'QUIT', 'PING']);

/**
 * The client password of config `requirepass`. Compared in constant time:
 * both sides are hashed first, so neither the contents nor the length of
 * the password leak through timing. Never printed.
 */
export class RequirePass {
  readonly #digest: Buffer;
  readonly #password: Buffer;

  constructor(password: Uint8Array) {
    assert(password.length >= 1 && password.length <= REQUIREPASS_BYTES_MAX, () => `a requirepass password has 1..${REQUIREPASS_BYTES_MAX} bytes`);
    this.#password = Buffer.from(password);
    this.#digest = sha256(password);
  }

  /** The password itself, for this process's own AUTH to another front door (a participant asking the coordinator). */
  authArgument(): Buffer {
    return Buffer.from(this.#password);
  }

  matches(candidate: Uint8Array): boolean {
    return timingSafeEqual(this.#digest, sha256(candidate));
  }

  toJSON(): string {
    return '[requirepass]';
  }

  toString(): string {
    return '[requirepass]';
  }

  [inspect.custom](): string {
    return '[requirepass]';
  }
}

function sha256(b: Uint8Array): Buffer {
  return createHash('sha256').update(b).digest();
}

/** What the gate did with a command. */
export type GateResult =
  /** Let it run as usual. */
  | { readonly type: 'pass' }
  /** Answered here (AUTH, or refused before AUTH): send `reply`. `ok` false counts as a failed command. */
  | { readonly type: 'answered'; readonly reply: Buffer; readonly ok: boolean; readonly wrongPassword: boolean };

/**
 * One connection's authentication state under `requirepass`, as Redis does
 * it: until `AUTH <password>` (or `AUTH default <password>`) succeeds, every
 * command but AUTH, QUIT and PING is answered `-NOAUTH`. A wrong password
 * leaves the state as it was.
 */
export class ClientAuthGate {
  private authenticated = false;

  constructor(private readonly password: RequirePass) {}

  get isAuthenticated(): boolean {
    return this.authenticated;
  }

  gate(cmd: Command): GateResult {
    if (cmd.name === 'AUTH') return this.auth(cmd.args);
    if (this.authenticated || BEFORE_AUTH.has(cmd.name)) return { type: 'pass' };
    return { type: 'answered', reply: NOAUTH_REPLY, ok: false, wrongPassword: false };
  }

  private auth(args: readonly Buffer[]): GateResult {
    if (args.length < 1 || args.length > 2) return { type: 'answered', reply: AUTH_ARITY_REPLY, ok: false, wrongPassword: false };
    // Only the default user exists; any other name is a wrong pair, as Redis says.
    const userOk = args.length === 1 || args[0]!.equals(DEFAULT_USER);
    const passOk = this.password.matches(args[args.length - 1]!);
    if (!(userOk && passOk)) return { type: 'answered', reply: WRONGPASS_REPLY, ok: false, wrongPassword: true };
    this.authenticated = true;
    return { type: 'answered', reply: AUTH_OK_REPLY, ok: true, wrongPassword: false };
  }
}

const DEFAULT_USER = Buffer.from('default');
