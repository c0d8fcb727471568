import type { TxnStep } from '../txn/txn-driver.js';

/** The two rounds on a cross-group write's critical path. */
export type TxnPhase = 'prepare' | 'decide';

/** Commands that may span groups; `exec` is MULTI/EXEC and MSETNX (a transaction even over one group). */
export type MultiKeyOp = 'mset' | 'mget' | 'del' | 'exec';

/**
 * What a front door counts of its multi-key commands, for INFO and /metrics:
 * how many took the one-group path (one Raft entry) and how many ran as a
 * transaction over several groups, with the driver's attempts and aborts.
 * Plain fields, read at scrape time.
 */
export class TxnFrontDoorStats {
  /** Multi-key commands whose keys fell in one group. */
  readonly single: Record<MultiKeyOp, number> = { mset: 0, mget: 0, del: 0, exec: 0 };
  /** Commands run over several groups, and those of them answered -ERROR. */
  readonly cross: Record<MultiKeyOp, number> = { mset: 0, mget: 0, del: 0, exec: 0 };
  readonly crossFailed: Record<MultiKeyOp, number> = { mset: 0, mget: 0, del: 0, exec: 0 };
  /** Cross-group commands running now. */
  inFlight = 0;
  /** Transaction attempts (a retried command makes several) and those that met a lock and aborted. */
  attempts = 0;
  aborts = 0;
  /** The driver's spread batches and the steps in them (txn-outbox), read at scrape time; set once the driver exists. */
  spread: () => { readonly batches: number; readonly steps: number } = () => ({ batches: 0, steps: 0 });

  /** Set by the metrics: each attempt's PREPARE round (sent to all answered) and DECIDE round, in seconds. */
  onPhase: ((phase: TxnPhase, seconds: number) => void) | undefined;
  /** When each attempt's current round began (performance.now() ms); an attempt is dropped at its last step. */
  readonly #roundStart = new Map<string, number>();

  readonly onStep = (txn: string, step: TxnStep): void => {
    if (step === 'begin') this.attempts++;
    else if (step === 'aborting') this.aborts++;
    if (this.onPhase === undefined) return;
    if (step === 'prepare-sent' || step === 'decide-sent') this.#roundStart.set(txn, performance.now());
    else if (step === 'prepared' || step === 'decided') {
      const t0 = this.#roundStart.get(txn);
      if (t0 !== undefined) this.onPhase(step === 'prepared' ? 'prepare' : 'decide', (performance.now() - t0) / 1000);
      this.#roundStart.delete(txn);
    } else if (step === 'aborting') this.#roundStart.delete(txn);
  };

  /** Called as a command is routed; for a cross-group one, again with its end. */
  readonly onPath = (path: 'single' | 'cross', op: string): void => {
    if (!isMultiKey(op)) return;
    if (path === 'single') this.single[op]++;
    else {
      this.cross[op]++;
      this.inFlight++;
    }
  };

  readonly onCrossEnd = (op: string, ok: boolean): void => {
    if (!isMultiKey(op)) return;
    this.inFlight--;
    if (!ok) this.crossFailed[op]++;
  };
}

function isMultiKey(op: string): op is MultiKeyOp {
  return op === 'mset' || op === 'mget' || op === 'del' || op === 'exec';
}
