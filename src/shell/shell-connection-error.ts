/**
 * Why myshell got no reply to a command. Every one of them means the server
 * may or may not have acted on it, and the connection is gone (the next
 * command connects afresh). Codes are stable; the message is one line for
 * people: `cannot reach 127.0.0.1:8001 (ECONNREFUSED)`.
 */
export const SHELL_CONNECTION_ERROR_CODES = [
  'UNREACHABLE', // connecting failed (refused, no route, timed out)
  'TIMEOUT', // connected, but no complete reply within the reply timeout
  'CLOSED', // the connection ended before the reply was complete
  'BAD_REPLY', // the server sent bytes that are not RESP
  'AUTH_FAILED', // the server refused the AUTH sent on connecting (requirepass)
] as const;

export type ShellConnectionErrorCode = (typeof SHELL_CONNECTION_ERROR_CODES)[number];

export class ShellConnectionError extends Error {
  override readonly name = 'ShellConnectionError';
  constructor(
    readonly code: ShellConnectionErrorCode,
    message: string,
  ) {
    super(message);
  }
}
