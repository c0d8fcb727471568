/**
 * At-most-once bookkeeping for client commands (Raft dissertation §6.3).
 *
 * A front door forwards or retries a command with the same (clientId, seq);
 * the first application records its result and every later copy gets that
 * result back without touching the data, so a retried DEL still reports the
 * count of its first application.
 *
 * Window: a client may pipeline, so commands can reach the log out of seq
 * order (e.g. seq 7 is re-proposed after a leader change while 8 was already
 * applied). Per client we keep the results of the applied seqs in
 * (lastSeq - windowSeqs, lastSeq]. For a command with seq s:
 *   - s > lastSeq                       -> apply, s becomes lastSeq;
 *   - s in the window and recorded      -> the cached result, not re-applied;
 *   - s in the window, not recorded     -> apply (a late pipelined command);
 *   - s <= lastSeq - windowSeqs         -> STALE_SESSION error: we can no longer
 *                                          tell whether it was applied.
 * So a front door must keep at most `windowSeqs` seqs of one clientId
 * outstanding (unanswered); beyond that a late command is refused, never
 * applied twice.
 *
 * Bounded table: at most `sessionsMax` clients. Eviction must be identical on
 * every replica, so only log data drives it: the session whose latest entry has
 * the lowest log index goes first (no clocks). The Map's insertion order is
 * kept equal to lastIndex order (a touched session is moved to the end).
 *
 * A new session starts only with seq <= windowSeqs (a fresh client, whose first
 * commands may arrive out of order). An unknown client with a larger seq was
 * evicted: SESSION_EXPIRED, never a silent re-apply. Residual gap, as in the
 * dissertation without explicit registration: if a client is evicted while its
 * lastSeq <= windowSeqs and then retries one of those seqs, that retry is
 * applied again. Eviction needs `sessionsMax` other clients to write after it,
 * so with per-process client ids this takes 100k front door restarts in
 * between.
 *
 * The limits are part of the replicated state machine's definition: every
 * replica must use the same values (the snapshot records them and restore
 * checks them).
 */
import { assert } from '../../raft/assert.js';
import { APPLY_ERROR_CODES, OK_RESULT, clientIdCharsMax, type ApplyErrorCode, type ApplyResult } from '../kv/kv-command.js';
import { parseStrResult } from '../kv/str-command.js';
import { sessionsMax, sessionWindowSeqs } from '../kv/session-window.js';

export interface SessionLimits {
  readonly sessionsMax: number;
  readonly windowSeqs: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = { sessionsMax, windowSeqs: sessionWindowSeqs };

/**
 * One client's record.
 * Invariant: seqs strictly ascending, seqs.length === results.length,
 * every seq in (lastSeq - windowSeqs, lastSeq], and lastSeq is the last item.
 */
interface ClientSession {
  lastSeq: number;
  /** Log index of the latest entry that named this client. */
  lastIndex: number;
  seqs: number[];
  results: ApplyResult[];
}

/** Snapshot form of one session: [clientId, lastSeq, lastIndex, seqs, results]. */
export type SessionTuple = [string, number, number, number[], ApplyResult[]];

/** A command refused for a lock changed nothing: its seq stays unrecorded, so a retry of it runs. */
function notApplied(r: ApplyResult): boolean {
  return r.type === 'error' && r.code === APPLY_ERROR_CODES.locked;
}

export class ClientSessions {
  readonly limits: SessionLimits;
  /** Ordered by lastIndex ascending (insertion order = touch order). */
  readonly #byClient = new Map<string, ClientSession>();
  /** lastIndex of the newest session (the Map's last); 0 when empty. */
  #newestIndex = 0;
  /** clientId of the Map's last session, if known: touching it again needs no move. */
  #newestClient: string | undefined;

  constructor(limits: SessionLimits = DEFAULT_SESSION_LIMITS) {
    assert(Number.isSafeInteger(limits.sessionsMax) && limits.sessionsMax >= 1, 'client-sessions: sessionsMax >= 1');
    assert(Number.isSafeInteger(limits.windowSeqs) && limits.windowSeqs >= 1, 'client-sessions: windowSeqs >= 1');
    this.limits = limits;
  }

  get size(): number {
    return this.#byClient.size;
  }

  /**
   * Runs `exec` at most once for (clientId, seq) and returns its result, the
   * cached result of an earlier run, or an error result. `index` is the log
   * index of the entry carrying the command.
   */
  run(clientId: string, seq: number, index: number, exec: () => ApplyResult): ApplyResult {
    const s = this.#byClient.get(clientId);
    if (s === undefined) {
      if (seq > this.limits.windowSeqs) return { type: 'error', code: APPLY_ERROR_CODES.sessionExpired };
      const result = exec();
      if (notApplied(result)) return result;
      this.#insert(clientId, { lastSeq: seq, lastIndex: index, seqs: [seq], results: [result] });
      return result;
    }
    this.#touch(clientId, s, index);
    if (seq > s.lastSeq) {
      const result = exec();
      if (notApplied(result)) return result;
      s.lastSeq = seq;
      s.seqs.push(seq);
      s.results.push(result);
      this.#trim(s);
      return result;
    }
    if (seq <= s.lastSeq - this.limits.windowSeqs) return { type: 'error', code: APPLY_ERROR_CODES.staleSession };
    const at = lowerBound(s.seqs, seq);
    if (s.seqs[at] === seq) {
      const cached = s.results[at];
      assert(cached !== undefined, 'client-sessions: a recorded seq has a result');
      return cached;
    }
    const result = exec(); // late pipelined command inside the window
    if (notApplied(result)) return result;
    s.seqs.splice(at, 0, seq);
    s.results.splice(at, 0, result);
    return result;
  }

  /** Sessions in eviction order (oldest first), for a snapshot. */
  *tuples(): Generator<SessionTuple> {
    for (const [clientId, s] of this.#byClient) {
      yield [clientId, s.lastSeq, s.lastIndex, s.seqs.slice(), s.results.slice()];
    }
  }

  /** Adds a session read from a snapshot; call in `tuples()` order. */
  restoreTuple(raw: unknown): void {
    assert(Array.isArray(raw) && raw.length === 5, 'client-sessions: snapshot session is not a 5-tuple');
    const [clientId, lastSeq, lastIndex, seqs, results] = raw as unknown[];
    assert(typeof clientId === 'string' && clientId.length >= 1 && clientId.length <= clientIdCharsMax, 'client-sessions: bad clientId in snapshot');
    assert(!this.#byClient.has(clientId), () => `client-sessions: client ${clientId} twice in snapshot`);
    assert(isPositiveInt(lastSeq) && isPositiveInt(lastIndex), 'client-sessions: bad lastSeq/lastIndex in snapshot');
    assert(Array.isArray(seqs) && Array.isArray(results) && seqs.length === results.length && seqs.length >= 1, 'client-sessions: bad window in snapshot');
    assert(this.#newestIndex <= lastIndex, 'client-sessions: snapshot sessions not in lastIndex order');
    for (let i = 0; i < seqs.length; i++) {
      const q: unknown = seqs[i];
      assert(isPositiveInt(q) && q > lastSeq - this.limits.windowSeqs && q <= lastSeq, 'client-sessions: snapshot seq outside window');
      assert(i === 0 || (seqs[i - 1] as number) < q, 'client-sessions: snapshot seqs not ascending');
    }
    assert(seqs[seqs.length - 1] === lastSeq, 'client-sessions: snapshot window does not end at lastSeq');
    this.#insert(clientId, { lastSeq, lastIndex, seqs: seqs as number[], results: (results as unknown[]).map(readResult) });
  }

  /** Checks the documented invariants; O(sessions * window), for tests. */
  checkInvariants(): void {
    assert(this.#byClient.size <= this.limits.sessionsMax, 'client-sessions: over sessionsMax');
    let prev = 0;
    for (const s of this.#byClient.values()) {
      assert(s.lastIndex >= prev, 'client-sessions: not in lastIndex order');
      prev = s.lastIndex;
      assert(s.seqs.length === s.results.length && s.seqs[s.seqs.length - 1] === s.lastSeq, 'client-sessions: window shape');
      for (let i = 0; i < s.seqs.length; i++) {
        const q = s.seqs[i] as number;
        assert(q > s.lastSeq - this.limits.windowSeqs && (i === 0 || (s.seqs[i - 1] as number) < q), 'client-sessions: window order');
      }
    }
  }

  #insert(clientId: string, s: ClientSession): void {
    assert(s.lastIndex >= this.#newestIndex, 'client-sessions: entries are applied in index order');
    this.#newestIndex = s.lastIndex;
    this.#newestClient = clientId;
    this.#byClient.set(clientId, s);
    // The first key has the lowest lastIndex: a deterministic choice from log data only.
    while (this.#byClient.size > this.limits.sessionsMax) {
      const oldest = this.#byClient.keys().next();
      assert(oldest.done !== true, 'client-sessions: non-empty map has a first key');
      this.#byClient.delete(oldest.value);
    }
  }

  #touch(clientId: string, s: ClientSession, index: number): void {
    assert(index >= this.#newestIndex, 'client-sessions: entries are applied in index order');
    s.lastIndex = index;
    this.#newestIndex = index;
    if (this.#newestClient === clientId) return; // already last
    this.#newestClient = clientId;
    this.#byClient.delete(clientId); // move to the end: keeps Map order == lastIndex order
    this.#byClient.set(clientId, s);
  }

  #trim(s: ClientSession): void {
    let drop = 0;
    while (drop < s.seqs.length && (s.seqs[drop] as number) <= s.lastSeq - this.limits.windowSeqs) drop++;
    if (drop > 0) {
      s.seqs.splice(0, drop);
      s.results.splice(0, drop);
    }
  }
}

/** First position whose seq is >= `seq` (seqs ascending). */
function lowerBound(seqs: readonly number[], seq: number): number {
  let lo = 0;
  let hi = seqs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((seqs[mid] as number) < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function isPositiveInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 1;
}

function readResult(raw: unknown): ApplyResult {
  assert(typeof raw === 'object' && raw !== null, 'client-sessions: snapshot result is not an object');
  const r = raw as { type?: unknown; n?: unknown; code?: unknown };
  if (r.type === 'ok') return OK_RESULT;
  if (r.type === 'count') {
    assert(typeof r.n === 'number' && Number.isSafeInteger(r.n) && r.n >= 0, 'client-sessions: bad count result in snapshot');
    return { type: 'count', n: r.n };
  }
  if (r.type === 'str') {
    const s = parseStrResult((raw as { r?: unknown }).r);
    assert(typeof s !== 'string', () => `client-sessions: bad str result in snapshot: ${String(s)}`);
    return { type: 'str', r: s };
  }
  assert(r.type === 'error', () => `client-sessions: unknown result type ${String(r.type)} in snapshot`);
  const codes: readonly unknown[] = Object.values(APPLY_ERROR_CODES);
  assert(codes.includes(r.code), () => `client-sessions: unknown error code ${String(r.code)} in snapshot`);
  return { type: 'error', code: r.code as ApplyErrorCode };
}
