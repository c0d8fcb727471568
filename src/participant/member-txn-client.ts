import type { NodeId } from '../../raft/types.js';
import { retryWithLeader } from '../rpc/leader-retry.js';
import { wireForwardRequest } from '../rpc/forward-protocol.js';
import type { ForwardReply, ForwardRequest } from '../rpc/forward-protocol.js';
import type { TxnCmd, TxnId, TxnResult } from '../txn/txn-command.js';
import type { TxnGroupClient } from '../txn/txn-client.js';
import { NodeError } from './node-error.js';
import type { Forwarder, ReplicatedKv } from './replicated-kv.js';
import { txnReply } from './replicated-kv.js';

/**
 * How a member reaches any group for transaction work (its own front door's
 * 2PC, its resolvers asking a primary): a group it hosts through that
 * group's replica (local when it leads, else forwarded to the leader); a
 * group it does not host by asking that group's replicas in turn (each
 * forwards once to its leader).
 */
export class MemberTxnClient implements TxnGroupClient {
  #local: ReadonlyMap<number, ReplicatedKv> = new Map();

  constructor(
    /** The replicas of a group, by member id (for groups hosted elsewhere). */
    private readonly replicasOf: (group: number) => readonly NodeId[],
    private readonly forwarder: Forwarder,
    private readonly retryDelayMs: number,
  ) {}

  /** The groups of this process, once they are open (the resolvers start after). */
  attach(local: ReadonlyMap<number, ReplicatedKv>): void {
    this.#local = local;
  }

  run(g: number, cmd: TxnCmd, deadlineMs: number): Promise<TxnResult> {
    const kv = this.#local.get(g);
    return kv !== undefined ? kv.runTxn(cmd, deadlineMs) : this.#remote(g, { t: 'txn', cmd, g }, deadlineMs);
  }

  status(g: number, txn: TxnId, groups: readonly number[], deadlineMs: number): Promise<TxnResult> {
    const kv = this.#local.get(g);
    return kv !== undefined ? kv.txnStatus(txn, groups, deadlineMs) : this.#remote(g, { t: 'tstatus', txn, groups, g }, deadlineMs);
  }

  #remote(g: number, req: ForwardRequest, deadlineMs: number): Promise<TxnResult> {
    const replicas = this.replicasOf(g);
    if (replicas.length === 0) return Promise.reject(new NodeError('BAD_REQUEST', `group ${g} has no known replicas`));
    let next = 0;
    const wire = wireForwardRequest(req);
    return retryWithLeader(
      {
        deadlineMs,
        retryDelayMs: this.retryDelayMs,
        noLeader: () => new NodeError('NO_LEADER', `no replica of group ${g} answered`),
        retryable: () => true,
      },
      (left) => {
        const to = replicas[next++ % replicas.length]!;
        return (this.forwarder.request(to, wire, left) as Promise<ForwardReply>).then(txnReply);
      },
    );
  }
}
