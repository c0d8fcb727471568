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
