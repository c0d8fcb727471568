/**
 * The bank workload's history: accounts spread over the groups, each set to
 * `initial` before any transfer; then transfers (MULTI DECRBY from / INCRBY
 * to EXEC, optionally under WATCH) and reads of every account at once (MGET).
 * Times are milliseconds since the run started, from a monotonic clock.
 *
 * Transfer outcomes:
 *   ok:   EXEC answered its array: applied, exactly once;
 *   fail: definitely not applied: EXEC answered nil (a watched key changed:
 *         `conflict`), or the attempt broke off before EXEC was sent, or
 *         EXEC was refused (EXECABORT);
 *   info: indeterminate: EXEC was sent and no answer came (timeout, lost
 *         connection) or an error came: applied whole or not at all.
 * Read outcomes: ok (balances known) or fail (no answer: a read changes nothing).
 */
export interface BankTransfer {
  readonly id: number;
  readonly kind: 'transfer';
  /** Which client issued it; -1 for setup. */
  readonly client: number;
  readonly from: string;
  readonly to: string;
  readonly amount: number;
  /** WATCH from to; MGET from to; then MULTI: EXEC fails (nil) if either changed since. */
  readonly watched: boolean;
  readonly invokeMs: number;
  completeMs: number | null;
  outcome: 'ok' | 'fail' | 'info';
  /** fail: EXEC answered nil (the WATCH saw a change). */
  conflict: boolean;
  /** watched: the balances of from and to the MGET under WATCH saw. */
  seen: readonly [number, number] | null;
  /** ok: EXEC's replies, the balances of from and to right after it. */
  after: readonly [number, number] | null;
  note: string | null;
  /** The Redis endpoint (port) that served it. */
  readonly port: number;
}

export interface BankRead {
  readonly id: number;
  readonly kind: 'read';
  /** -1 for the final reads after healing. */
  readonly client: number;
  readonly invokeMs: number;
  completeMs: number | null;
  outcome: 'ok' | 'fail';
  /** ok: one entry per account, in BankHistory.accounts order; null where MGET answered nil (a lost account). */
  balances: (number | null)[] | null;
  note: string | null;
  readonly port: number;
}

export type BankOp = BankTransfer | BankRead;

export interface BankHistory {
  /** The account keys, in the order every read lists them. */
  readonly accounts: readonly string[];
  /** Every account's balance before the first transfer. */
  readonly initial: number;
  readonly ops: readonly BankOp[];
}

export function describeBankOp(op: BankOp): string {
  const who = op.client < 0 ? 'final' : `c${op.client}`;
  const at = `[${op.invokeMs.toFixed(1)}, ${op.completeMs === null ? '∞' : op.completeMs.toFixed(1)}] ms`;
  const how = op.outcome === 'ok' ? '' : ` ${op.outcome}${op.note === null ? '' : ` (${op.note})`}`;
  if (op.kind === 'read') {
    const seen = op.balances === null ? '' : ` -> ${op.balances.map((b) => (b === null ? 'nil' : String(b))).join(' ')}`;
    return `#${op.id} ${who.padEnd(6)} ${at.padEnd(26)} MGET all${seen}${how}`;
  }
  const w = op.watched ? `WATCH (saw ${op.seen?.join(' ') ?? '?'}) ` : '';
  const after = op.after === null ? '' : ` -> ${op.after.join(' ')}`;
  return `#${op.id} ${who.padEnd(6)} ${at.padEnd(26)} ${w}transfer ${op.amount} ${op.from} -> ${op.to}${after}${how}`;
}
