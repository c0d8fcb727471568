/**
 * The one "follow the leader, retry until the deadline" rule, shared by the
 * coordinator (forwarding to a group's leader) and by members (serving
 * locally when they lead, else forwarding): every attempt carries the same
 * command (same clientId and seq), so a retry is applied at most once.
 */
export interface LeaderRetryOptions {
  /** Absolute time (ms, the `now` clock) after which the call fails with the last error. */
  readonly deadlineMs: number;
  /** Pause after a failed attempt (a leader change takes a few ticks). */
  readonly retryDelayMs: number;
  /** The error when the deadline passes before any attempt failed (nobody led meanwhile). */
  readonly noLeader: () => Error;
  /** False for an error no retry can cure: it is thrown at once. */
  readonly retryable: (err: unknown) => boolean;
  /** Resolves when a leader may be known, or after ms (default: sleep retryDelayMs at most). */
  readonly waitForLeader?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

/** Longest pause while no leader is known before looking again. */
const NO_LEADER_WAIT_MS_MAX = 100;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Runs attempt(leftMs) until it succeeds or the deadline passes. An attempt
 * returns undefined when no leader is known: the call waits for one; an
 * attempt that throws (rather than rejects) ends the call at once.
 */
export async function retryWithLeader<T>(o: LeaderRetryOptions, attempt: (leftMs: number) => Promise<T> | undefined): Promise<T> {
  const now = o.now ?? Date.now;
  // Built only on failure: capturing a stack per request costs more than the request.
  let lastErr: unknown;
  for (;;) {
    const left = o.deadlineMs - now();
    if (left <= 0) throw lastErr ?? o.noLeader();
    const tried = attempt(left);
    if (tried === undefined) {
      const wait = Math.min(left, NO_LEADER_WAIT_MS_MAX);
      await (o.waitForLeader !== undefined ? o.waitForLeader(wait) : sleep(Math.min(wait, o.retryDelayMs)));
      continue;
    }
    try {
      return await tried;
    } catch (err) {
      if (!o.retryable(err)) throw err;
      lastErr = err;
    }
    await sleep(Math.min(o.retryDelayMs, Math.max(1, o.deadlineMs - now())));
  }
}
