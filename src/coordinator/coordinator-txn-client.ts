import type { Logger } from '../server/logger.js';
import { parseTxnResult } from '../txn/txn-command.js';
import type { TxnCmd, TxnId, TxnResult } from '../txn/txn-command.js';
import type { TxnGroupClient } from '../txn/txn-client.js';
import type { ForwardReply } from '../rpc/forward-protocol.js';
import { CoordinatorError, forwardToLeader } from './coordinator-kv.js';
import type { ParticipantTracker } from './participant-tracker.js';

function txnAnswer(reply: ForwardReply): TxnResult {
  if (reply.t !== 'txn') throw new CoordinatorError('REFUSED', 'unexpected reply to a txn step');
  const r = parseTxnResult(reply.result);
  if (typeof r === 'string') throw new CoordinatorError('REFUSED', `bad txn result: ${r}`);
  return r;
}

/** The coordinator's way to a group for 2PC: its leader, found from the heartbeats, as for every other command. */
export class CoordinatorTxnClient implements TxnGroupClient {
  constructor(
    private readonly tracker: ParticipantTracker,
    private readonly retryDelayMs: number,
    private readonly log: Logger,
  ) {}

  async run(g: number, cmd: TxnCmd, deadlineMs: number): Promise<TxnResult> {
    return txnAnswer(await forwardToLeader(this.tracker, g, { t: 'txn', cmd, g }, deadlineMs, this.retryDelayMs, this.log));
  }

  async status(g: number, txn: TxnId, groups: readonly number[], deadlineMs: number): Promise<TxnResult> {
    return txnAnswer(await forwardToLeader(this.tracker, g, { t: 'tstatus', txn, groups, g }, deadlineMs, this.retryDelayMs, this.log));
  }
}
