/**
 * Operating errors of the RESP codecs. A ProtocolError means the byte stream
 * can no longer be trusted: the parser that threw it is dead and the
 * connection must be closed (after, at the lab-facing edge, `-ERROR\r\n`).
 * Codes are stable: tests, logs and callers match on them, never on text.
 */
export const PROTOCOL_ERROR_CODES = [
  /** A byte that cannot start the expected element (e.g. not `$` inside a request array). */
  'BAD_TYPE_BYTE',
  /** A length or count line that is not a decimal integer, or negative other than the null -1. */
  'BAD_LENGTH',
  /** A bulk payload not followed by CRLF, or a header line ended by a bare LF. */
  'MISSING_CRLF',
  /** A bulk string declared longer than `bulkBytesMax`. */
  'BULK_TOO_LARGE',
  /** An array declared longer than `arrayLenMax`. */
  'ARRAY_TOO_LONG',
  /** An inline command line (or a simple-string / error / integer reply line) longer than its limit. */
  'INLINE_TOO_LONG',
  /** An inline command with an unterminated quote, or a closing quote not followed by a space. */
  'UNBALANCED_QUOTES',
  /** One request's declared bytes exceed `requestBytesMax`. */
  'REQUEST_TOO_LARGE',
  /** A reply nests arrays deeper than `depthMax`. */
  'NESTING_TOO_DEEP',
  /** An integer reply that is not a decimal safe integer. */
  'BAD_INTEGER',
  /** A request's `*N` or `$N` line with no LF where one must have come. */
  'LENGTH_LINE_TOO_LONG',
  /** Before AUTH: a request array or bulk longer than an unauthenticated client may send (RespParser.preAuth). */
  'UNAUTH_ARRAY_TOO_LONG',
  'UNAUTH_BULK_TOO_LARGE',
] as const;

export type ProtocolErrorCode = (typeof PROTOCOL_ERROR_CODES)[number];

/** Which line of a request was at fault: the array's count (`*N`) or a bulk's length (`$N`); Redis words them apart. */
export type ProtocolErrorLine = 'count' | 'bulk';

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    readonly code: ProtocolErrorCode,
    /** What was wrong, for the log; never sent to a lab client. */
    readonly reason: string,
    /** Set by the request parser for length lines. */
    readonly line?: ProtocolErrorLine,
    /** BAD_TYPE_BYTE: the byte found instead. */
    readonly got?: number,
  ) {
    super(`${code}: ${reason}`);
  }
}
