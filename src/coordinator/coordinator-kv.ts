import { answerOfWrite, sessionCmdOf } from '../kv/write-command.js';
import { positionOfWire, wireForwardRequest } from '../rpc/forward-protocol.js';
import type { ForwardReply, ForwardRequest } from '../rpc/forward-protocol.js';
import type { KvAnswer, KvOp, KvService, KvSession } from '../server/kv-service.js';
import type { Logger } from '../server/logger.js';
import { SessionPool } from '../server/session-pool.js';
import { retryWithLeader } from '../rpc/leader-retry.js';
import type { ParticipantTracker } from './participant-tracker.js';

export class CoordinatorError extends Error {
  override readonly name = 'CoordinatorError';
  constructor(
    readonly code: 'NO_LEADER' | 'TIMEOUT' | 'REFUSED' | 'LAYOUT_MISMATCH',
    message: string,
  ) {
    super(message);
  }
}

export interface CoordinatorKvLimits {
  /** A client request answers -ERROR after this long without success. */
  readonly requestTimeoutMs: number;
  readonly retryDelayMs: number;
}

/**
 * The coordinator's KV service for one group: it holds no data, forwards
 * each command to the participant it believes leads the group, and retries
 * through leader changes with the command's (clientId, seq) unchanged, so
 * nothing is applied twice.
 */
export class CoordinatorKv implements KvService {
  /**
   * New per process: a restarted coordinator starts fresh sessions. One pool
   * per group: a session's seqs must start low in every group's table.
   */
  private readonly sessions = new SessionPool('c');

  constructor(
    private readonly tracker: ParticipantTracker,
    private readonly group: number,
    private readonly limits: CoordinatorKvLimits,
    private readonly log: Logger,
  ) {}

  openSession(): KvSession {
    return {
      execute: async (op: KvOp): Promise<KvAnswer> => {
        // Routed by another layout than the participants', a key would reach the wrong group: refuse, never mix.
        const mismatch = this.tracker.layoutProblem();
        if (mismatch !== undefined) throw new CoordinatorError('LAYOUT_MISMATCH', `refused: ${mismatch}`);
        if (op.type === 'get') {
          const reply = await this.forward({ t: 'read', key: op.key, g: this.group });
          if (reply.t !== 'values') throw new CoordinatorError('REFUSED', 'unexpected reply to a read');
          return { type: 'values', values: reply.values ?? undefined };
        }
        if (op.type === 'mget') {
          const reply = await this.forward({ t: 'mread', keys: op.keys, g: this.group });
          if (reply.t !== 'mvalues' || !Array.isArray(reply.values) || reply.values.length !== op.keys.length) throw new CoordinatorError('REFUSED', 'unexpected reply to a read');
          return { type: 'multi', values: reply.values.map((v) => v ?? undefined) };
        }
        if (op.type === 'exec' || op.type === 'flush') throw new CoordinatorError('REFUSED', 'EXEC and FLUSHALL run as a transaction through the router, never in one group service');
        if (op.type === 'scan') {
          const reply = await this.forward({ t: 'scan', from: [op.from.slot, op.from.hash], to: op.toSlot, count: op.count, ...(op.match !== undefined ? { match: op.match } : {}), g: this.group });
          const next = reply.t === 'scanned' && reply.next !== null ? positionOfWire(reply.next) : undefined;
          if (reply.t !== 'scanned' || !Array.isArray(reply.keys) || !Number.isSafeInteger(reply.visited) || (reply.next !== null && next === undefined)) throw new CoordinatorError('REFUSED', 'unexpected reply to a scan');
          return { type: 'scan', keys: reply.keys, next, visited: reply.visited };
        }
        if (op.type === 'replicas') {
          const reply = await this.forward({ t: 'replicas', g: this.group });
          if (reply.t !== 'replicas' || !Number.isSafeInteger(reply.n) || reply.n < 0) throw new CoordinatorError('REFUSED', 'unexpected reply to replicas');
          return { type: 'replicas', n: reply.n };
        }
        const ticket = this.sessions.next();
        const { clientId, seq } = ticket;
        let reply: ForwardReply;
        try {
          reply = await this.forward({ t: 'write', cmd: sessionCmdOf(op, clientId, seq), g: this.group });
        } finally {
          ticket.release();
        }
        if (reply.t !== 'written') throw new CoordinatorError('REFUSED', 'unexpected reply to a write');
        const answer = answerOfWrite(op.type, reply.result);
        if (typeof answer === 'string') throw new CoordinatorError('REFUSED', answer);
        return answer;
      },
      close: () => {},
    };
  }

  private forward(req: ForwardRequest): Promise<ForwardReply> {
    return forwardToLeader(this.tracker, this.group, req, Date.now() + this.limits.requestTimeoutMs, this.limits.retryDelayMs, this.log);
  }
}

/**
 * Sends req to the participant believed to lead `group` (any live one while
 * none is known: it forwards to its leader), retrying through leader changes
 * until the deadline. The request is the same on every attempt.
 */
export function forwardToLeader(
  tracker: ParticipantTracker,
  group: number,
  req: ForwardRequest,
  deadlineMs: number,
  retryDelayMs: number,
  log: Logger,
): Promise<ForwardReply> {
  const wire = wireForwardRequest(req);
  const retry = {
    deadlineMs,
    retryDelayMs,
    noLeader: () => new CoordinatorError('NO_LEADER', `no participant leads group ${group}`),
    retryable: () => true,
    waitForLeader: (ms: number) => tracker.waitForLeader(group, ms),
  };
  return retryWithLeader(retry, (left) => {
    const target = tracker.leaderOf(group) ?? tracker.anyAlive();
    if (target === undefined) return undefined;
    return (target.rpc.request(wire, left) as Promise<ForwardReply>).catch((err: unknown) => {
      log.debug({ participant: target.id, group, err: err instanceof Error ? err.message : String(err) }, 'forward failed; retrying');
      tracker.suspect(target.id, group);
      throw err;
    });
  });
}
