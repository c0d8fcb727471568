/**
 * A layout that cannot be built: a bad `groups` or `replicas`, or a bad
 * participant list. An operating error (it comes from a config or from the
 * wire), so it carries a stable code; callers report it, they do not crash.
 */
export const LAYOUT_ERROR_CODES = [
  'NO_PARTICIPANTS', // an empty participant list
  'TOO_MANY_PARTICIPANTS', // more than participantsMax
  'BAD_ADDRESS', // a participant that is not IP:PORT
  'DUPLICATE_ADDRESS', // the same socket address twice
  'NOT_RANKED', // a stored or received participant list out of rank order
  'BAD_GROUPS', // not an integer in 1..groupsMax
  'BAD_REPLICAS', // not an integer in 1..participants
] as const;

export type LayoutErrorCode = (typeof LAYOUT_ERROR_CODES)[number];

export class LayoutError extends Error {
  override readonly name = 'LayoutError';
  constructor(
    readonly code: LayoutErrorCode,
    readonly reason: string,
  ) {
    super(`bad layout: ${reason}`);
  }
}
