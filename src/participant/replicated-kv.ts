import type { NodeId } from '../../raft/types.js';
import type { KvAnswer, KvOp, KvService, KvSession } from '../server/kv-service.js';
import { SessionPool } from '../server/session-pool.js';
import { retryWithLeader } from '../rpc/leader-retry.js';
import { APPLY_ERROR_CODES, encode, sessionCmdKeys, stampLeaderTime } from '../kv/kv-command.js';
import type { SessionCmd } from '../kv/kv-command.js';
import { answerOfWrite, sessionCmdOf } from '../kv/write-command.js';
import type { ForwardReply, ForwardRequest } from '../rpc/forward-protocol.js';
import { FORWARD_HOPS_MAX, positionOfWire, wireForwardRequest } from '../rpc/forward-protocol.js';
import type { ScanPosition } from '../kv/scan-cursor.js';
import { parseTxnResult } from '../txn/txn-command.js';
import type { TxnCmd, TxnId, TxnResult } from '../txn/txn-command.js';
import type { TxnGroupClient } from '../txn/txn-client.js';
import { REAL_TXN_ENV } from '../txn/txn-env.js';
import { DEFAULT_TXN_PARTICIPANT_OPTIONS, TxnParticipant } from '../txn/txn-participant.js';
import type { TxnParticipantOptions } from '../txn/txn-participant.js';
import { AppliedSignal } from './applied-signal.js';
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
  /** Bounds of the lock resolver (defaults: DEFAULT_TXN_PARTICIPANT_OPTIONS). */
  readonly txn?: TxnParticipantOptions;
}

function answerOf(cmd: SessionCmd, result: unknown): KvAnswer {
  const answer = answerOfWrite(cmd.op, result);
  if (typeof answer === 'string') throw new NodeError('UNAVAILABLE', answer);
  return answer;
}

const keysOf = sessionCmdKeys;

const isLocked = (r: unknown): boolean =>
  typeof r === 'object' && r !== null && (r as { type?: unknown }).type === 'error' && (r as { code?: unknown }).code === APPLY_ERROR_CODES.locked;

/**
 * The KV service of one group of a Raft member: on the group's leader, writes are proposed and
 * reads wait for a ReadIndex barrier; elsewhere both are forwarded to the
 * leader. Every attempt reuses the command's (clientId, seq), so retrying
 * through leader changes applies it at most once.
 *
 * The leader also serves the group's side of cross-group transactions
 * (txn-participant): reads and 1PC writes wait while a transaction's lock
 * stops them, so no read sees a key whose committed outcome is not applied
 * here yet, and no 1PC write lands under a prepared change.
 */
export class ReplicatedKv implements KvService {
  private readonly sessions = new SessionPool('m');
  readonly applied = new AppliedSignal();
  readonly txn: TxnParticipant;

  constructor(
    private readonly host: GroupReplica,
    private readonly sm: () => NodeStateMachine,
    private readonly forwarder: Forwarder,
    private readonly groupId: number,
    private readonly limits: ReplicatedKvLimits,
    /** How this group's resolver reaches the primary group of a transaction (it may be hosted elsewhere). */
    txnClient: TxnGroupClient,
  ) {
    this.txn = new TxnParticipant(
      {
        groupId,
        table: () => this.sm().kv.txns,
        propose: async (cmd, deadlineMs) => (await this.host.propose(encode(cmd), Math.max(1, deadlineMs - Date.now())))[0] as TxnResult,
        isLeader: () => this.host.isLeader,
        appliedOrAfter: (ms) => this.applied.nextOrAfter(ms),
      },
      txnClient,
      REAL_TXN_ENV,
      limits.txn ?? DEFAULT_TXN_PARTICIPANT_OPTIONS,
    );
  }

  openSession(): KvSession {
    return {
      execute: async (op: KvOp): Promise<KvAnswer> => {
        if (op.type === 'get') return this.read(op.key);
        if (op.type === 'mget') return { type: 'multi', values: await this.readMany(op.keys, Date.now() + this.limits.requestTimeoutMs, 0) };
        if (op.type === 'exec' || op.type === 'flush') throw new NodeError('UNAVAILABLE', 'EXEC and FLUSHALL run as a transaction through the router, never in one group service');
        if (op.type === 'scan') return this.scan(op.from, op.toSlot, op.count, op.match, Date.now() + this.limits.requestTimeoutMs, 0);
        if (op.type === 'replicas') return { type: 'replicas', n: await this.replicas(Date.now() + this.limits.requestTimeoutMs, 0) };
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
    return this.attempt(deadline, 'write', () => this.writeHere(cmd, deadline), { t: 'write', cmd, hops: hops + 1, ...this.groupField() }, (reply) => {
      if (reply.t !== 'written') throw new NodeError('UNAVAILABLE', 'bad forward reply');
      return reply.result;
    }, hops);
  }

  private async read(key: Buffer, hops = 0): Promise<KvAnswer> {
    return { type: 'values', values: await this.readValues(key, Date.now() + this.limits.requestTimeoutMs, hops) };
  }

  private readValues(key: Buffer, deadline: number, hops: number): Promise<Buffer[] | undefined> {
    return this.attempt(deadline, 'read', async () => (await this.readHere([key], deadline))[0], { t: 'read', key, hops: hops + 1, ...this.groupField() }, (reply) => {
      if (reply.t !== 'values') throw new NodeError('UNAVAILABLE', 'bad forward reply');
      return reply.values ?? undefined;
    }, hops);
  }

  private readMany(keys: readonly Buffer[], deadline: number, hops: number): Promise<(Buffer[] | undefined)[]> {
    return this.attempt(deadline, 'read', () => this.readHere(keys, deadline), { t: 'mread', keys, hops: hops + 1, ...this.groupField() }, (reply) => {
      if (reply.t !== 'mvalues' || !Array.isArray(reply.values) || reply.values.length !== keys.length) throw new NodeError('UNAVAILABLE', 'bad forward reply');
      return reply.values.map((v) => v ?? undefined);
    }, hops);
  }

  /** SCAN of this group's keys, after a ReadIndex barrier on its leader (forwarded there if need be). */
  private scan(from: ScanPosition, toSlot: number, count: number, match: Buffer | undefined, deadline: number, hops: number): Promise<Extract<KvAnswer, { type: 'scan' }>> {
    const forward: ForwardRequest = { t: 'scan', from: [from.slot, from.hash], to: toSlot, count, ...(match !== undefined ? { match } : {}), hops: hops + 1, ...this.groupField() };
    return this.attempt(deadline, 'scan', async () => {
      await this.host.readBarrier(Math.max(1, deadline - Date.now()));
      // A prepared write (or FLUSHALL) there may be acknowledged already: wait for its commit, as a read of its key does.
      while (this.txn.scanBlocker(from.slot, toSlot) !== undefined) await this.txn.waitScanUnlocked(from.slot, toSlot, deadline);
      // Checked and scanned with no await between: no entry applies in the middle.
      return { type: 'scan' as const, ...this.sm().kv.scan(from, toSlot, count, match) };
    }, forward, (reply) => {
      if (reply.t !== 'scanned' || !Array.isArray(reply.keys) || !Number.isSafeInteger(reply.visited)) throw new NodeError('UNAVAILABLE', 'bad forward reply to a scan');
      const next = reply.next === null ? undefined : positionOfWire(reply.next);
      if (reply.next !== null && next === undefined) throw new NodeError('UNAVAILABLE', 'bad scan position in a forward reply');
      return { type: 'scan' as const, keys: reply.keys, next, visited: reply.visited };
    }, hops);
  }

  /**
   * WAIT: followers whose match index reaches the leader's commit index, so
   * hold every write acknowledged so far in this group (a write is
   * answered once applied, hence at or below that index). A lower bound
   * on those holding one given write: truthful, never more.
   */
  private replicas(deadline: number, hops: number): Promise<number> {
    return this.attempt(deadline, 'replicas', async () => {
      const status = this.host.status();
      return status.peers.filter((p) => p.id !== status.id && !p.learner && p.match >= status.commit).length;
    }, { t: 'replicas', hops: hops + 1, ...this.groupField() }, (reply) => {
      if (reply.t !== 'replicas' || !Number.isSafeInteger(reply.n) || reply.n < 0) throw new NodeError('UNAVAILABLE', 'bad forward reply to replicas');
      return reply.n;
    }, hops);
  }

  /** A step of a transaction in this group: replicated by its leader (forwarded there if need be). */
  runTxn(cmd: TxnCmd, deadline: number, hops = 0): Promise<TxnResult> {
    return this.attempt(deadline, 'txn', () => this.txn.serve(cmd, deadline), { t: 'txn', cmd, hops: hops + 1, ...this.groupField() }, txnReply, hops);
  }

  /** STATUS of a transaction whose primary is this group. */
  txnStatus(txn: TxnId, groups: readonly number[], deadline: number, hops = 0): Promise<TxnResult> {
    return this.attempt(deadline, 'txn status', () => this.txn.status(txn, groups, deadline), { t: 'tstatus', txn, groups, hops: hops + 1, g: this.groupId }, txnReply, hops);
  }

  /** Group 1 goes without a group id: a single-group cluster's requests stay as they were. */
  private groupField(): { g?: number } {
    return this.groupId === 1 ? {} : { g: this.groupId };
  }

  /** Runs locally when leader, else forwards; retries until the deadline. */
  private attempt<T>(
    deadline: number,
    what: string,
    local: () => Promise<T>,
    forward: ForwardRequest,
    unwrap: (reply: ForwardReply) => T,
    hops: number,
  ): Promise<T> {
    const retry = {
      deadlineMs: deadline,
      retryDelayMs: this.limits.retryDelayMs,
      noLeader: () => new NodeError('NO_LEADER', `no leader for ${what}`),
      retryable: (err: unknown) => !(err instanceof NodeError) || err.retryable,
    };
    return retryWithLeader(retry, (left) => {
      if (this.host.isLeader) return local();
      const leader = this.host.leaderId;
      // Already forwarded to us: the sender retries elsewhere, faster than we could.
      if (hops >= FORWARD_HOPS_MAX) throw new NodeError('NOT_LEADER', `not the leader (leader is ${leader})`);
      if (leader === 0) return undefined;
      return (this.forwarder.request(leader, wireForwardRequest(forward), left) as Promise<ForwardReply>).then(unwrap);
    });
  }

  /** A write waits out the locks on its keys; one that meets a lock taken meanwhile (LOCKED: not applied, seq not used) goes again. */
  private async writeHere(cmd: SessionCmd, deadline: number): Promise<unknown> {
    const keys = keysOf(cmd);
    for (;;) {
      await this.txn.waitUnlocked(keys, true, deadline);
      // The leader's clock goes into the log: expiry is decided by it, the same on every replica.
      const results = await this.host.propose(encode(stampLeaderTime(cmd, Date.now())), Math.max(1, deadline - Date.now()));
      if (!isLocked(results[0])) return results[0];
    }
  }

  /**
   * Reads after a ReadIndex barrier, once no write lock covers the keys; all
   * of them in the same turn, so a one-group MGET sees one instant.
   */
  private async readHere(keys: readonly Buffer[], deadline: number): Promise<(Buffer[] | undefined)[]> {
    await this.host.readBarrier(Math.max(1, deadline - Date.now()));
    for (;;) {
      // Checked and read with no await between: no entry applies in the middle.
      if (this.txn.blocker(keys, false) === undefined) {
        const kv = this.sm().kv;
        return keys.map((k) => kv.get(k));
      }
      await this.txn.waitUnlocked(keys, false, deadline);
    }
  }

  /**
   * Serves a request from another member or the coordinator: here if we lead,
   * else forwarded once more to the leader (never further: no forwarding loops).
   */
  async serveForwarded(req: ForwardRequest): Promise<ForwardReply> {
    const deadline = Date.now() + this.limits.requestTimeoutMs;
    const hops = req.hops ?? 0;
    switch (req.t) {
      case 'read': {
        const values = await this.readValues(req.key, deadline, hops);
        return { t: 'values', values: values ?? null };
      }
      case 'mread': {
        const values = await this.readMany(req.keys, deadline, hops);
        return { t: 'mvalues', values: values.map((v) => v ?? null) };
      }
      case 'scan': {
        const from = positionOfWire(req.from);
        if (from === undefined) throw new NodeError('UNAVAILABLE', 'bad scan position');
        const { keys, next, visited } = await this.scan(from, req.to, req.count, req.match, deadline, hops);
        return { t: 'scanned', keys: [...keys], next: next === undefined ? null : [next.slot, next.hash], visited };
      }
      case 'replicas':
        return { t: 'replicas', n: await this.replicas(deadline, hops) };
      case 'txn':
        return { t: 'txn', result: await this.runTxn(req.cmd, deadline, hops) };
      case 'tstatus':
        return { t: 'txn', result: await this.txnStatus(req.txn, req.groups, deadline, hops) };
      case 'write':
        return { t: 'written', result: await this.writeResult(req.cmd, deadline, hops) };
    }
  }
}

/** A forwarded txn step's answer, checked: a peer's bytes are not trusted. */
export function txnReply(reply: ForwardReply): TxnResult {
  if (reply.t !== 'txn') throw new NodeError('UNAVAILABLE', 'bad forward reply to a txn step');
  const r = parseTxnResult(reply.result);
  if (typeof r === 'string') throw new NodeError('UNAVAILABLE', `bad txn result: ${r}`);
  return r;
}
