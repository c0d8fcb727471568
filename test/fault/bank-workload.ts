import { Redis } from 'ioredis';
import { assert } from '../../raft/assert.js';
import { SeededRng } from '../../raft/rng.js';
import type { BankOp, BankRead, BankTransfer } from './bank-history.js';
import { GroupKeys } from './group-keys.js';
import type { HistoryOp } from './history.js';
import type { TxnTarget } from './nemesis.js';

/**
 * The bank workload through the Redis endpoint, with ioredis unmodified:
 * `accounts` keys spread round-robin over the groups (group-keys.ts), each
 * set to `initial` by one MSET before any transfer; then concurrent clients,
 * each on its own connection, either
 *   - transfer a random amount between two accounts of different groups:
 *     WATCH from to; MGET from to; MULTI; DECRBY from x; INCRBY to x; EXEC
 *     (retried, fresh WATCH and all, when EXEC answers nil: a conflict), or
 *     blind, without WATCH: MULTI; DECRBY; INCRBY; EXEC (never conflicts);
 *   - or read every account at once (one MGET over all groups).
 * Every attempt is recorded (bank-history.ts says what each outcome means).
 *
 * ioredis must not retry anything itself: a command resent after a lost
 * connection could apply a transfer twice. So no reconnects, no offline
 * queue, no resending; after any error the client drops its connection
 * and opens a new one (to any front door).
 */
export interface BankWorkloadOptions {
  readonly seed: number;
  readonly clients: number;
  readonly accounts: number;
  /** Groups the accounts are spread over (the cluster's config `groups`). */
  readonly groups: number;
  readonly initial: number;
  readonly requestTimeoutMs: number;
  /** Think time between a client's ops, uniform in [0, thinkMsMax). */
  readonly thinkMsMax: number;
  /** Redis endpoints to connect to. */
  readonly ports: () => readonly number[];
  /** For the kill-coordinator nemesis: the lab port of the process serving Redis port `port`. */
  readonly labPortOf?: (port: number) => number | undefined;
  /** TEST ONLY: blind transfers send DECRBY then INCRBY on their own, no MULTI (half applied in between; must be caught). */
  readonly nonAtomic?: boolean;
}

/** Share of ops that read every account; of transfers, the share under WATCH. */
export const READ_SHARE = 0.3;
export const WATCH_SHARE = 0.5;
/** Attempts of one WATCHed transfer (the first and the retries after nil EXECs). */
export const WATCH_ATTEMPTS_MAX = 3;
export const AMOUNT_MAX = 5;
/** How long setup and each final read may retry before the run gives up. */
export const SETUP_MS_MAX = 30_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** A balance as Redis answers it: a decimal integer string; anything else is not one. */
function balance(v: unknown): number | null | undefined {
  if (v === null) return null;
  if (typeof v !== 'string' || !/^-?\d+$/.test(v)) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** TEST ONLY: the transfer as two commands, answered as EXEC would be. */
async function nonAtomicTransfer(r: Redis, from: string, to: string, amount: number): Promise<[Error | null, unknown][]> {
  const d = await r.decrby(from, amount);
  const i = await r.incrby(to, amount);
  return [[null, d], [null, i]];
}

export class BankWorkload {
  readonly history: BankOp[] = [];
  readonly accounts: readonly string[];
  /** Replies of the wrong shape (never acceptable). */
  readonly anomalies: string[] = [];
  /** What kill-coordinator aims at: transfers whose EXEC is out, as the harness's op records (an MSET of both keys). */
  readonly txnTarget: TxnTarget & { readonly history: HistoryOp[] };
  private readonly t0 = performance.now();
  private readonly groupKeys: GroupKeys;
  private readonly execPending = new Set<HistoryOp>();
  private stopAt = Infinity;
  private running: Promise<void>[] = [];

  constructor(private readonly o: BankWorkloadOptions) {
    assert(o.accounts >= 2 && o.groups >= 1 && o.initial >= 0, 'bank workload: at least two accounts, one group, a non-negative balance');
    this.groupKeys = new GroupKeys(o.groups);
    this.accounts = Array.from({ length: o.accounts }, (_, s) => this.groupKeys.key(s, 0).replace(/k(\d+)e0$/, 'acct$1'));
    for (const [s, a] of this.accounts.entries()) assert(this.groupKeys.groupOf(a) === this.groupKeys.groupOfSlot(s), `bank workload: ${a} is not in group ${this.groupKeys.groupOfSlot(s)}`);
    const history: HistoryOp[] = [];
    this.txnTarget = { inFlight: () => [...this.execPending], history };
  }

  now(): number {
    return performance.now() - this.t0;
  }

  /** The accounts' groups, in account order. */
  groupsOfAccounts(): number[] {
    return this.accounts.map((a) => this.groupKeys.groupOf(a));
  }

  /** One ioredis connection that never retries on its own; undefined if it cannot connect. */
  private async connect(port: number): Promise<Redis | undefined> {
    const r = new Redis({
      host: '127.0.0.1',
      port,
      lazyConnect: true,
      connectTimeout: 1_000,
      commandTimeout: this.o.requestTimeoutMs,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      retryStrategy: () => null,
      enableReadyCheck: false,
    });
    r.on('error', () => {});
    try {
      await r.connect();
      return r;
    } catch {
      r.disconnect();
      return undefined;
    }
  }

  /** Sets every account to `initial` (one MSET, idempotent, retried) and reads them back; throws if it cannot. */
  async setup(): Promise<void> {
    const deadline = Date.now() + SETUP_MS_MAX;
    let last = 'no attempt';
    for (let k = 0; Date.now() < deadline; k++) {
      const r = await this.connect(this.o.ports()[k % this.o.ports().length]!);
      if (r === undefined) {
        await sleep(200);
        continue;
      }
      try {
        await r.mset(...this.accounts.flatMap((a) => [a, String(this.o.initial)]));
        const back = await r.mget(...this.accounts);
        if (back.every((v) => balance(v) === this.o.initial)) return;
        last = `read back ${back.join(' ')}`;
      } catch (err) {
        last = message(err);
      } finally {
        r.disconnect();
      }
      await sleep(200);
    }
    throw new Error(`bank setup: the accounts were not set within ${SETUP_MS_MAX} ms (${last})`);
  }

  start(): void {
    this.running = Array.from({ length: this.o.clients }, (_, c) => this.client(c));
  }

  async stop(): Promise<void> {
    this.stopAt = this.now();
    await Promise.all(this.running);
  }

  private async client(c: number): Promise<void> {
    const rng = new SeededRng((this.o.seed ^ Math.imul(c + 1, 0x9e3779b1)) >>> 0);
    let conn: { r: Redis; port: number } | undefined;
    while (this.now() < this.stopAt) {
      if (conn === undefined) {
        const port = rng.pick(this.o.ports());
        const r = await this.connect(port);
        if (r === undefined) {
          await sleep(100);
          continue;
        }
        conn = { r, port };
      }
      let healthy: boolean;
      if (rng.chance(READ_SHARE)) {
        healthy = (await this.read(conn.r, conn.port, c)).outcome === 'ok';
      } else {
        const [from, to] = this.pair(rng);
        const amount = rng.intBetween(1, AMOUNT_MAX + 1);
        if (rng.chance(WATCH_SHARE)) {
          healthy = true;
          for (let attempt = 0; attempt < WATCH_ATTEMPTS_MAX && healthy; attempt++) {
            const t = await this.transfer(conn.r, conn.port, c, from, to, amount, true);
            healthy = t.outcome === 'ok' || t.conflict;
            if (!t.conflict) break;
          }
        } else {
          healthy = (await this.transfer(conn.r, conn.port, c, from, to, amount, false)).outcome === 'ok';
        }
      }
      // After any error the connection's state (a WATCH, a MULTI, a late reply) is unknown: start afresh.
      if (!healthy) {
        conn.r.disconnect();
        conn = undefined;
      }
      if (this.o.thinkMsMax > 0) await sleep(rng.intBetween(0, this.o.thinkMsMax));
    }
    conn?.r.disconnect();
  }

  /** Two distinct accounts, of different groups when there are several. */
  private pair(rng: SeededRng): [string, string] {
    const n = this.accounts.length;
    const from = rng.intBetween(0, n);
    const gk = this.groupKeys;
    const others = this.accounts.map((_, i) => i).filter((i) => i !== from);
    const apart = others.filter((i) => gk.groupOfSlot(i) !== gk.groupOfSlot(from));
    const to = rng.pick(apart.length > 0 ? apart : others);
    return [this.accounts[from]!, this.accounts[to]!];
  }

  /** One MGET of every account; also the final reads (client -1). */
  async read(r: Redis, port: number, client: number): Promise<BankRead> {
    const op: BankRead = { id: this.history.length, kind: 'read', client, invokeMs: this.now(), completeMs: null, outcome: 'fail', balances: null, note: null, port };
    this.history.push(op);
    try {
      const vs = await r.mget(...this.accounts);
      op.completeMs = this.now();
      const bs = vs.map(balance);
      if (bs.length !== this.accounts.length || bs.some((b) => b === undefined)) {
        op.note = `unexpected reply ${JSON.stringify(vs)}`;
        this.anomalies.push(`#${op.id} ${op.note}`);
        return op;
      }
      op.outcome = 'ok';
      op.balances = bs as (number | null)[];
    } catch (err) {
      op.completeMs = this.now();
      op.note = message(err);
    }
    return op;
  }

  private async transfer(r: Redis, port: number, client: number, from: string, to: string, amount: number, watched: boolean): Promise<BankTransfer> {
    const op: BankTransfer = {
      id: this.history.length, kind: 'transfer', client, from, to, amount, watched, invokeMs: this.now(),
      completeMs: null, outcome: 'fail', conflict: false, seen: null, after: null, note: null, port,
    };
    this.history.push(op);
    if (watched) {
      try {
        await r.watch(from, to);
        const [a, b] = (await r.mget(from, to)).map(balance);
        if (typeof a !== 'number' || typeof b !== 'number') throw new Error(`MGET under WATCH answered ${String(a)} ${String(b)}`);
        op.seen = [a, b];
      } catch (err) {
        // Nothing was queued: definitely not applied.
        op.completeMs = this.now();
        op.note = `before EXEC: ${message(err)}`;
        if (/answered/.test(op.note)) this.anomalies.push(`#${op.id} ${op.note}`);
        return op;
      }
    }
    const view = this.execView(op);
    try {
      const res = this.o.nonAtomic === true && !watched ? await nonAtomicTransfer(r, from, to, amount) : await r.multi().decrby(from, amount).incrby(to, amount).exec();
      op.completeMs = this.now();
      if (res === null) {
        op.conflict = true;
        op.note = 'EXEC nil: a watched key changed';
        // Only a WATCH can make EXEC answer nil.
        if (!watched) this.anomalies.push(`#${op.id} EXEC answered nil with nothing watched`);
      } else {
        const [d, i] = res;
        if (res.length !== 2 || d === undefined || i === undefined || d[0] !== null || i[0] !== null || typeof d[1] !== 'number' || typeof i[1] !== 'number') {
          // An error inside EXEC means one command ran without the other: never acceptable.
          op.outcome = 'info';
          op.completeMs = null;
          op.note = `unexpected EXEC reply ${JSON.stringify(res.map(([e, v]) => (e === null ? v : `ERR ${e.message}`)))}`;
          this.anomalies.push(`#${op.id} ${op.note}`);
        } else {
          op.outcome = 'ok';
          op.after = [d[1], i[1]];
        }
      }
    } catch (err) {
      op.note = message(err);
      // EXECABORT: refused before running anything. Else EXEC may have run: indeterminate.
      if (/EXECABORT/.test(op.note)) op.completeMs = this.now();
      else op.outcome = 'info';
    }
    this.execDone(view, op);
    return op;
  }

  /** The transfer's EXEC, as kill-coordinator's in-flight op: a transaction (MSET-shaped) on the front door's lab port. */
  private execView(op: BankTransfer): HistoryOp | undefined {
    const lab = this.o.labPortOf?.(op.port);
    if (lab === undefined) return undefined;
    const v: HistoryOp = {
      id: op.id, client: op.client, kind: 'mset', key: op.from, keys: [op.from, op.to], value: null, invokeMs: this.now(),
      completeMs: null, outcome: 'info', read: null, reads: null, count: null, note: null, port: lab,
    };
    this.execPending.add(v);
    this.txnTarget.history.push(v);
    return v;
  }

  private execDone(v: HistoryOp | undefined, op: BankTransfer): void {
    if (v === undefined) return;
    this.execPending.delete(v);
    v.completeMs = op.completeMs;
    v.outcome = op.outcome;
  }

  /**
   * After healing: one answered MGET of every account through each Redis
   * endpoint, each retried (every try recorded) until it answers; false if
   * one never did within SETUP_MS_MAX.
   */
  async finalReads(ports: readonly number[]): Promise<boolean> {
    for (const port of ports) {
      const deadline = Date.now() + SETUP_MS_MAX;
      let answered = false;
      while (!answered && Date.now() < deadline) {
        const r = await this.connect(port);
        if (r === undefined) {
          await sleep(200);
          continue;
        }
        answered = (await this.read(r, port, -1)).outcome === 'ok';
        r.disconnect();
        if (!answered) await sleep(200);
      }
      if (!answered) return false;
    }
    return true;
  }
}
