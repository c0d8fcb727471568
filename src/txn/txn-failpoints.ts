/**
 * Failpoints (as TiKV has them): named protocol bugs the 2PC simulator's
 * teeth tests switch on, one at a time, to show its checkers catch each.
 * All are off unless a test sets them; nothing in the shipped binaries
 * does. Each names the rule it breaks.
 */
export const txnFailpoints = {
  /** Send RESOLVE(apply) to the secondaries before the primary's DECIDE(commit). */
  secondariesBeforeDecision: false,
  /** A lock past its bound is resolved as COMMIT without asking the primary. */
  resolverCommitsWithoutPrimary: false,
  /** Reads do not wait for write locks (they may see a prepared, undecided change). */
  readsIgnoreLocks: false,
  /** FORGET drops a decision at once, though a copy of the primary's PREPARE could still apply and find none. */
  forgetIgnoresHold: false,
  /** The primary's PREPARE commits even when applied past its notAfter (after its decision may be forgotten). */
  primaryCommitsLateCopy: false,
  /** A RESOLVE(apply) applies whatever record of the transaction is held, of any prepare index. */
  resolveIgnoresIndex: false,
  /** A later DECIDE replaces the recorded decision (the first decision does not win). */
  laterDecisionWins: false,
};

export type TxnFailpoint = keyof typeof txnFailpoints;

/** Runs fn with one failpoint on, then turns it off again. */
export async function withFailpoint<T>(name: TxnFailpoint, fn: () => Promise<T>): Promise<T> {
  txnFailpoints[name] = true;
  try {
    return await fn();
  } finally {
    txnFailpoints[name] = false;
  }
}
