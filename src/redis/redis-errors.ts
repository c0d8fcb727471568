/**
 * Redis 7's error texts, worded as redis/redis words them (src/server.c
 * commandCheckExistence / commandCheckArity, src/server.c createSharedObjects,
 * src/networking.c, src/t_string.c). Clients and people match on these, so
 * they are copied exactly, and tested byte for byte.
 */

/** Redis: `'%.*s' ` per argument while the list is under 128 bytes, each cut to what is left of 128. */
function argsPreview(args: readonly Buffer[]): string {
  let out = '';
  for (let i = 0; i < args.length && out.length < 128; i++) {
    out += `'${args[i]!.toString('utf8').slice(0, 128 - out.length)}' `;
  }
  return out;
}

/** `ERR unknown command 'foo', with args beginning with: 'a' 'b' ` (note the trailing space). */
export function unknownCommand(name: string, args: readonly Buffer[]): string {
  return `ERR unknown command '${name.slice(0, 128)}', with args beginning with: ${argsPreview(args)}`;
}

/** `ERR unknown subcommand 'foo'. Try CLIENT HELP.` */
export function unknownSubcommand(sub: string, container: string): string {
  return `ERR unknown subcommand '${sub.slice(0, 128)}'. Try ${container.toUpperCase()} HELP.`;
}

/** `ERR wrong number of arguments for 'get' command`; a subcommand is named `client|setname`. */
export function wrongArity(fullname: string): string {
  return `ERR wrong number of arguments for '${fullname}' command`;
}

export const SYNTAX_ERROR = 'ERR syntax error';
export const NOT_AN_INTEGER = 'ERR value is not an integer or out of range';
export const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
export const OVERFLOW = 'ERR increment or decrement would overflow';
export const DECREMENT_OVERFLOW = 'ERR decrement would overflow';
export const DB_OUT_OF_RANGE = 'ERR DB index is out of range';
export const NOPROTO = 'NOPROTO unsupported protocol version';
export const PROTOCOL_VERSION_NOT_INTEGER = 'ERR Protocol version is not an integer or out of range';
export const WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';
export const AUTH_WITHOUT_PASSWORD =
  'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?';
export const BAD_CLIENT_NAME = 'ERR Client names cannot contain spaces, newlines or special characters.';
/** Redis Cluster's reply to a multi-key command over several slots; ours over several groups. */
export const CROSSSLOT = "CROSSSLOT Keys in request don't hash to the same slot";

/** `ERR Syntax error in HELLO option 'foo'`. */
export function helloSyntax(opt: string): string {
  return `ERR Syntax error in HELLO option '${opt}'`;
}

/** `ERR invalid expire time in 'set' command`. */
export function invalidExpire(command: string): string {
  return `ERR invalid expire time in '${command}' command`;
}

/** `ERR Unrecognized option 'foo'` (CLIENT SETINFO). */
export function unrecognizedOption(opt: string): string {
  return `ERR Unrecognized option '${opt}'`;
}

/** `ERR <attr> cannot contain spaces, newlines or special characters.` (CLIENT SETINFO lib-name / lib-ver). */
export function badClientInfo(attr: string): string {
  return `ERR ${attr} cannot contain spaces, newlines or special characters.`;
}

/** `ERR Unknown option or number of arguments for CONFIG SET - 'foo'`. */
export function configSetUnknown(param: string): string {
  return `ERR Unknown option or number of arguments for CONFIG SET - '${param}'`;
}

/** `ERR CONFIG SET failed (possibly related to argument 'x') - can't set immutable config`. */
export function configSetImmutable(param: string): string {
  return `ERR CONFIG SET failed (possibly related to argument '${param}') - can't set immutable config`;
}
