/**
 * A config file the program cannot run with. The message always names the
 * file, and the line when one is to blame (`config/x.conf:3: ...`), so a
 * person can fix it without reading code. CLIs print it and exit with
 * status 2 (see exitOnConfigError in lab-config.ts).
 */
export const CONFIG_ERROR_CODES = [
  'READ_FAILED', // the file cannot be read
  'TOO_LARGE', // the file exceeds configBytesMax
  'UNKNOWN_PARAMETER',
  'MISSING_VALUE', // a parameter with no value
  'EXTRA_TOKENS', // more than one value on a line
  'BAD_ADDRESS', // not IPv4-or-localhost:port
  'BAD_VALUE', // a value of the wrong form (mode, node_id, log_level, ...)
  'MISSING_MODE', // no mode line where one is required
  'MODE_NOT_FIRST', // mode after another parameter line
  'DUPLICATE_MODE',
  'MISSING_PARAMETER', // e.g. a coordinator without participant_info
  'DUPLICATE_PARAMETER', // a parameter that may appear once, twice
  'DUPLICATE_ADDRESS', // the same IP:PORT twice in one file
  'WRONG_MODE_PARAMETER', // e.g. follower_info in a coordinator config
  'TOO_MANY_ADDRESSES', // more than addressesMax addresses
  'SECRET_UNAVAILABLE', // cluster_secret_file unreadable or empty, cluster_secret_env unset or empty
] as const;

export type ConfigErrorCode = (typeof CONFIG_ERROR_CODES)[number];

/** Characters of a value an error message quotes; the rest is elided, so a huge token never makes a huge message. */
export const QUOTED_VALUE_CHARS_MAX = 64;

/** A config value as an error message shows it: quoted, control characters escaped, cut to QUOTED_VALUE_CHARS_MAX. */
export function quoteValue(v: string): string {
  return v.length <= QUOTED_VALUE_CHARS_MAX ? JSON.stringify(v) : `${JSON.stringify(v.slice(0, QUOTED_VALUE_CHARS_MAX))}... (${v.length} chars)`;
}

/** Words of a line as an error message shows them: as written, cut to QUOTED_VALUE_CHARS_MAX. */
export function elideValue(v: string): string {
  return v.length <= QUOTED_VALUE_CHARS_MAX ? v : `${v.slice(0, QUOTED_VALUE_CHARS_MAX)}... (${v.length} chars)`;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly code: ConfigErrorCode,
    readonly file: string,
    /** 1-based line the error is about, or null for the file as a whole. */
    readonly line: number | null,
    readonly reason: string,
  ) {
    super(line === null ? `${file}: ${reason}` : `${file}:${line}: ${reason}`);
  }
}
