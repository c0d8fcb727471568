/**
 * The at-most-once session window, the one rule front doors (which issue
 * seqs) and replicas (which remember results) must agree on: a replica keeps
 * the results of a client's seqs in (lastSeq - sessionWindowSeqs, lastSeq],
 * so a front door keeps fewer than that many seqs of one client unanswered.
 */
export const sessionWindowSeqs = 64;
/** Most client sessions a replica keeps; the oldest by last log index is evicted beyond it. */
export const sessionsMax = 100_000;
