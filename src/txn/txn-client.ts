import { InvariantError } from '../../raft/assert.js';
import type { TxnCmd, TxnId, TxnResult } from './txn-command.js';

/**
 * How transaction code reaches a group: the coordinator forwards to the
 * group's leader over the network; a Raft peer proposes locally when it
 * leads, else forwards. Both retry through leader changes until the deadline
 * and then reject; a rejection says nothing about whether the command was
 * applied (every txn command is idempotent, so a retry is always safe).
 */
export interface TxnGroupClient {
  /** Replicates `cmd` in group g's log and answers what applying it answered. */
  run(g: number, cmd: TxnCmd, deadlineMs: number): Promise<TxnResult>;
  /**
   * The decision primary group g holds for `txn`; when it holds none it
   * records ABORT first (the first decision wins), so the answer is final.
   */
  status(g: number, txn: TxnId, groups: readonly number[], deadlineMs: number): Promise<TxnResult>;
}

/** Time and chance, injected so the simulator can drive the shipped protocol code. */
export interface TxnEnv {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Uniform in [0, 1): backoff jitter. */
  random(): number;
}

export class TxnError extends Error {
  override readonly name = 'TxnError';
  constructor(
    /** CONFLICT: other transactions held the keys until the deadline; UNKNOWN: the decision's outcome was not learnt; TIMEOUT: no group answered in time. */
    readonly code: 'CONFLICT' | 'UNKNOWN' | 'TIMEOUT',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Background protocol work (spreading an outcome, resolving a lock) may
 * fail for ordinary reasons (a group did not answer; it is tried again
 * later), but a broken invariant must not be swallowed with them: it ends
 * the process (or, in the simulator, the run) with its message.
 */
export function failLoudly(err: unknown, fatal: (err: unknown) => void): void {
  if (err instanceof InvariantError) fatal(err);
}

/** The default fatal handler: an uncaught exception, which ends the process with the message. */
export function crashProcess(err: unknown): void {
  queueMicrotask(() => {
    throw err;
  });
}
