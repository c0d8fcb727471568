import type { NodeId } from '../../raft/types.js';
import type { KvAnswer, KvOp, KvService, KvSession } from '../server/kv-service.js';
import { SessionPool } from '../server/session-pool.js';
import { retryWithLeader } from '../rpc/leader-retry.js';
import { encode } from '../kv/kv-command.js';
import type { SessionCmd } from '../kv/kv-command.js';
import { answerOfWrite, sessionCmdOf } from '../kv/write-command.js';
import type { ForwardReply, ForwardRequest } from '../rpc/forward-protocol.js';
import { FORWARD_HOPS_MAX } from '../rpc/forward-protocol.js';
import type { GroupReplica } from './group-replica.js';
import { NodeError } from './node-error.js';
import type { NodeStateMachine } from './node-state-machine.js';

export interface Forwarder {
  request(to: NodeId, body: unknown, timeoutMs: number): Promise<unknown>;
}

export interface ReplicatedKvLimits {
  /** A client request answers -ERROR after this long without success. */
  readonly requestTimeoutMs: number;
  /** Pause between attempts while there is no leader or it just changed. */
  readonly retryDelayMs: number;
}


function answerOf(cmd: SessionCmd, result: unknown): KvAnswer {
  const answer = answerOfWrite(cmd.op, result);
  if (typeof answer === 'string') throw new NodeError('UNAVAILABLE', answer);
  return answer;
}

/**
 * The KV service of one group of a Raft member: on the group's leader, writes are proposed and
 * reads wait for a ReadIndex barrier; elsewhere both are forwarded to the
 * leader. Every attempt reuses the command's (clientId, seq), so retrying
 * through leader changes applies it at most once.
 */
export class ReplicatedKv implements KvService {
  private readonly sessions = new SessionPool('m');

  constructor(
    private readonly host: GroupReplica,
    private readonly sm: () => NodeStateMachine,
    private readonly forwarder: Forwarder,
    private readonly groupId: number,
    private readonly limits: ReplicatedKvLimits,
  ) {}

  openSession(): KvSession {
    return {
      execute: async (op: KvOp) => {
        if (op.type === 'get') return this.read(op.key);
        const ticket = this.sessions.next();
        const { clientId, seq } = ticket;
        try {
          return await this.write(sessionCmdOf(op, clientId, seq));
        } finally {
          ticket.release();
        }
      },
      close: () => {},
    };
  }

  private async write(cmd: SessionCmd, hops = 0): Promise<KvAnswer> {
    return answerOf(cmd, await this.writeResult(cmd, Date.now() + this.limits.requestTimeoutMs, hops));
  }

  private writeResult(cmd: SessionCmd, deadline: number, hops: number): Promise<unknown> {
    return this.attempt(deadline, 'write', (left) => this.writeHere(cmd, left), { t: 'write', cmd, hops: hops + 1, ...this.groupField() }, hops, (reply) => {
      if (reply.t !== 'written') throw new NodeError('UNAVAILABLE', 'bad forward reply');
      return reply.result;
    });
  }

  private async read(key: Buffer, hops = 0): Promise<KvAnswer> {
    return { type: 'values', values: await this.readValues(key, Date.now() + this.limits.requestTimeoutMs, hops) };
  }

  private readValues(key: Buffer, deadline: number, hops: number): Promise<Buffer[] | undefined> {
    return this.attempt(deadline, 'read', (left) => this.readHere(key, left), { t: 'read', key, hops: hops + 1, ...this.groupField() }, hops, (reply) => {
      if (reply.t !== 'values') throw new NodeError('UNAVAILABLE', 'bad forward reply');
      return reply.values ?? undefined;
    });
  }

  /** Group 1 goes without a group id: a single-group cluster's requests stay as they were. */
  private groupField(): { g?: number } {
    return this.groupId === 1 ? {} : { g: this.groupId };
  }

  /** Runs locally when leader, else forwards; retries until the deadline. */
  private attempt<T>(
    deadline: number,
    what: string,
    local: (leftMs: number) => Promise<T>,
    forward: ForwardRequest,
    hops: number,
    unwrap: (reply: ForwardReply) => T,
  ): Promise<T> {
    const retry = {
      deadlineMs: deadline,
      retryDelayMs: this.limits.retryDelayMs,
      noLeader: () => new NodeError('NO_LEADER', `no leader for ${what}`),
      retryable: (err: unknown) => !(err instanceof NodeError) || err.retryable,
    };
    return retryWithLeader(retry, (left) => {
      if (this.host.isLeader) return local(left);
      const leader = this.host.leaderId;
      // Already forwarded to us: the sender retries elsewhere, faster than we could.
      if (hops >= FORWARD_HOPS_MAX) throw new NodeError('NOT_LEADER', `not the leader (leader is ${leader})`);
      if (leader === 0) return undefined;
      return (this.forwarder.request(leader, forward, left) as Promise<ForwardReply>).then(unwrap);
    });
  }

  private async writeHere(cmd: SessionCmd, leftMs: number): Promise<unknown> {
    const results = await this.host.propose(encode(cmd), leftMs);
    return results[0];
  }

  private async readHere(key: Buffer, leftMs: number): Promise<Buffer[] | undefined> {
    await this.host.readBarrier(leftMs);
    return this.sm().kv.get(key);
  }

  /**
   * Serves a request from another member or the coordinator: here if we lead,
   * else forwarded once more to the leader (never further: no forwarding loops).
   */
  async serveForwarded(req: ForwardRequest): Promise<ForwardReply> {
    const deadline = Date.now() + this.limits.requestTimeoutMs;
    const hops = req.hops ?? 0;
    if (req.t === 'read') {
      const values = await this.readValues(req.key, deadline, hops);
      return { t: 'values', values: values ?? null };
    }
    return { t: 'written', result: await this.writeResult(req.cmd, deadline, hops) };
  }
}
