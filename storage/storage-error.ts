/**
 * Operating errors of the storage layer (STYLE.md rule 4): a data dir we must
 * not or cannot use. Each names the data dir and the problem, so the node can
 * print one clear line and exit with status 2 (storage/open-or-exit.ts).
 * Programmer errors (misuse of the API) are assertions, not StorageErrors.
 */
export const STORAGE_ERROR_CODES = [
  /** The dir holds files that are not a kvstore data dir (e.g. a foreign LevelDB). */
  'NOT_OURS',
  /** Another process (a running node) holds the database lock. */
  'LOCKED',
  /** Something stored cannot be decoded or breaks an on-disk invariant. */
  'CORRUPT',
  /** A kvstore data dir of a format version this build does not read. */
  'VERSION',
  /** The dir is absent and the caller asked not to create it. */
  'MISSING',
  /** The operating system or LevelDB failed a read or write. */
  'IO',
  /** The store was closed (or crashed on purpose) before the write was made. */
  'CLOSED',
] as const;
export type StorageErrorCode = (typeof STORAGE_ERROR_CODES)[number];

export class StorageError extends Error {
  override readonly name = 'StorageError';

  constructor(
    readonly code: StorageErrorCode,
    /** The data dir as the caller named it. */
    readonly dataDir: string,
    /** What is wrong, for a human, without the dir (e.g. "locked by process 42"). */
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`data dir ${dataDir}: ${problem}`, options);
  }
}
