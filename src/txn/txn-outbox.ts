import { spreadStepsMax, type SpreadStep, type TxnResult } from './txn-command.js';
import type { TxnEnv, TxnGroupClient } from './txn-client.js';

/** Steps held for one group, and the keys their RESOLVEs unlock there. */
interface HeldSteps {
  readonly steps: SpreadStep[];
  readonly answers: Array<{ resolve: (r: TxnResult) => void; reject: (err: unknown) => void }>;
  /** The latest deadline among them: the batch is tried that long. */
  deadlineMs: number;
  /** When the first of them was held. */
  readonly sinceMs: number;
  readonly unlocks: Set<string>;
}

/**
 * Holds a front door's spread steps (the RESOLVEs and FORGETs that finish
 * committed transactions, off the critical path) and sends each group's
 * held steps as ONE command (SPREAD): one request, one Raft entry's worth
 * of parsing and applying on every replica, one answer, instead of one of
 * each per transaction. Under load every flush carries many transactions'
 * steps, so an MSET costs about its two PREPAREs.
 *
 * A group's steps leave when `lingerMs` has passed since the first of them
 * was held, when `stepsMax` are held, or ahead of a foreground command to
 * that group (flushFor), in its frame and so in its Raft entry batch and
 * fsync: at once when it needs a key one of them unlocks (it finds the key
 * free instead of meeting the lock), else once half the linger has passed
 * (at low load a step then never takes a disk turn of its own that the
 * next transaction's step would wait behind). A held step makes nothing
 * wait but its own transaction's spread.
 * Order per group is kept. Nothing here is needed for safety: a held step
 * is only late, and every step is idempotent, so a batch retried whole
 * (through a leader change) is safe.
 */
export class TxnOutbox {
  readonly #held = new Map<number, HeldSteps>();
  /** Batches sent, and steps in them, for INFO and tests. */
  batches = 0;
  batchedSteps = 0;

  constructor(
    private readonly client: TxnGroupClient,
    private readonly env: TxnEnv,
    private readonly lingerMs: number,
    private readonly stepsMax: number = 256,
  ) {}

  /**
   * Holds a spread step for group g; `unlocks` are the keys of g it
   * releases (a RESOLVE's), so a command that needs one of them sends it first.
   */
  hold(g: number, step: SpreadStep, deadlineMs: number, unlocks: readonly Uint8Array[]): Promise<TxnResult> {
    if (this.lingerMs <= 0) return this.client.run(g, step, deadlineMs);
    return new Promise<TxnResult>((resolve, reject) => {
      let h = this.#held.get(g);
      if (h === undefined) {
        const fresh: HeldSteps = { steps: [], answers: [], deadlineMs, sinceMs: this.env.now(), unlocks: new Set() };
        this.#held.set(g, fresh);
        h = fresh;
        void this.env.sleep(this.lingerMs).then(() => {
          if (this.#held.get(g) === fresh) this.flush(g);
        });
      }
      h.steps.push(step);
      h.answers.push({ resolve, reject });
      h.deadlineMs = Math.max(h.deadlineMs, deadlineMs);
      for (const k of unlocks) h.unlocks.add(latin1(k));
      if (h.steps.length >= Math.min(this.stepsMax, spreadStepsMax)) this.flush(g);
    });
  }

  /** A TxnGroupClient whose spread steps are held here (their RESOLVEs unlocking keysOf(g)); anything else goes at once. */
  spreading(keysOf: (g: number) => readonly Uint8Array[]): TxnGroupClient {
    return {
      run: (g, cmd, deadlineMs) => (cmd.op === 'tresolve' || cmd.op === 'tforget' ? this.hold(g, cmd, deadlineMs, cmd.op === 'tresolve' ? keysOf(g) : []) : this.client.run(g, cmd, deadlineMs)),
      status: (g, txn, groups, deadlineMs) => this.client.status(g, txn, groups, deadlineMs),
    };
  }

  /**
   * Sends g's held steps now if one of them unlocks one of `keys` (any,
   * when `keys` is 'all': a command that needs the whole group), or if they
   * have waited half the linger. Call it just before the foreground command
   * leaves, so they share its frame.
   */
  flushFor(g: number, keys: readonly Uint8Array[] | 'all'): void {
    const h = this.#held.get(g);
    if (h === undefined) return;
    if (keys === 'all' || this.env.now() - h.sinceMs >= this.lingerMs / 2 || keys.some((k) => h.unlocks.has(latin1(k)))) this.flush(g);
  }

  /** Sends every step held for g now, as one command. */
  flush(g: number): void {
    const h = this.#held.get(g);
    if (h === undefined) return;
    this.#held.delete(g);
    for (let i = 0; i < h.steps.length; i += spreadStepsMax) {
      this.#send(g, h.steps.slice(i, i + spreadStepsMax), h.answers.slice(i, i + spreadStepsMax), h.deadlineMs);
    }
  }

  #send(g: number, steps: SpreadStep[], answers: HeldSteps['answers'], deadlineMs: number): void {
    this.batches += 1;
    this.batchedSteps += steps.length;
    if (steps.length === 1) {
      this.client.run(g, steps[0]!, deadlineMs).then(answers[0]!.resolve, answers[0]!.reject);
      return;
    }
    this.client.run(g, { op: 'tspread', steps }, deadlineMs).then(
      (r) => {
        if (r.type !== 'spread' || r.results.length !== steps.length) {
          const err = new Error(`txn outbox: group ${g} answered ${r.type} to a spread of ${steps.length} steps`);
          for (const a of answers) a.reject(err);
          return;
        }
        answers.forEach((a, i) => a.resolve(r.results[i]!));
      },
      (err: unknown) => {
        for (const a of answers) a.reject(err);
      },
    );
  }

  /** Steps held now, over every group. */
  get held(): number {
    let n = 0;
    for (const h of this.#held.values()) n += h.steps.length;
    return n;
  }
}

function latin1(k: Uint8Array): string {
  return Buffer.from(k.buffer, k.byteOffset, k.byteLength).toString('latin1');
}
