/**
 * Operating errors of the peer transport. Codes are stable: callers, tests
 * and logs match on `code`, never on the text. At the lab-facing edge any of
 * them becomes `-ERROR` with the reason logged.
 */
export const NET_ERROR_CODES = [
  /** A frame declared (or would encode to) more than `frameBytesMax` body bytes. */
  'FRAME_TOO_LARGE',
  /** A frame body that is not msgpack, or not one of the wire shapes (wire.ts). */
  'BAD_FRAME',
  /** The connection began with something other than the peer magic byte. */
  'BAD_MAGIC',
  /** The handshake was refused (wrong cluster, version, role) or did not finish in time. */
  'HANDSHAKE_FAILED',
  /** A request got no reply within its timeout. */
  'TIMEOUT',
  /** No usable connection to the peer: never connected, or reconnecting after a failure. */
  'UNREACHABLE',
  /** Too much is already waiting for this peer (bytes or requests in flight). */
  'OVERLOADED',
  /** The remote request handler failed; `reason` carries its message. */
  'REMOTE_ERROR',
  /** The transport or client was closed while the operation was pending. */
  'CLOSED',
] as const;

export type NetErrorCode = (typeof NET_ERROR_CODES)[number];

export class NetError extends Error {
  override readonly name = 'NetError';
  constructor(
    readonly code: NetErrorCode,
    /** What went wrong, for the log. */
    readonly reason: string,
    /** For REMOTE_ERROR: the code the remote handler's error carried. */
    readonly remoteCode?: string,
  ) {
    super(`${code}: ${reason}`);
  }
}

export function isNetError(e: unknown, code?: NetErrorCode): e is NetError {
  return e instanceof NetError && (code === undefined || e.code === code);
}
