/**
 * Operating errors of a node, with stable codes. At the lab-facing edge every
 * one becomes `-ERROR`; the code and message go to the log.
 */
export const NODE_ERROR_CODES = [
  'NOT_LEADER',
  'NO_LEADER',
  'TIMEOUT',
  'LOST',
  'UNAVAILABLE',
  'OVERLOADED',
  'CLOSED',
  'BAD_REQUEST',
] as const;
export type NodeErrorCode = (typeof NODE_ERROR_CODES)[number];

export class NodeError extends Error {
  override readonly name = 'NodeError';
  constructor(
    readonly code: NodeErrorCode,
    message: string,
  ) {
    super(message);
  }

  /** Worth retrying against another (or the new) leader before the deadline. */
  get retryable(): boolean {
    return this.code === 'NOT_LEADER' || this.code === 'NO_LEADER' || this.code === 'LOST' || this.code === 'UNAVAILABLE';
  }
}
