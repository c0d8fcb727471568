import { assert } from '../../raft/assert.js';
import type { StrResult } from '../kv/str-command.js';
import type { TxnWrite } from '../txn/txn-command.js';
import type { ProgramShare, TxnDriver } from '../txn/txn-driver.js';
import type { ProgramOp } from '../txn/txn-program.js';
import type { ExecOp, KvAnswer, KvOp, KvService, KvSession } from './kv-service.js';
import type { SlotRange } from '../sharding/layout.js';
import { routedReplicas, routedScan, slotMapOf } from './routed-scan.js';

/** Maps a key to the Raft group that owns it (src/sharding: slot, then slot range). */
export interface KeyRouter {
  groupOf(key: Uint8Array): number;
  /** The group owning a slot and the slots of a group (SCAN walks groups in slot order); absent: no SCAN. */
  groupOfSlot?(slot: number): number;
  slotRangeOf?(g: number): SlotRange;
}

/** A command that would touch several groups where no transaction driver is configured. */
export class CrossGroupError extends Error {
  override readonly name = 'CrossGroupError';
  readonly code = 'CROSS_GROUP';
  constructor(readonly groups: readonly number[]) {
    super(`the keys fall in groups ${groups.join(', ')}; a command over several groups is refused rather than applied in part`);
  }
}

export interface RoutedKvOptions {
  /** Runs commands over several groups as one transaction (2PC); absent, they are refused. */
  readonly txn?: TxnDriver;
  /** A cross-group command gives up (-ERROR) after this long. */
  readonly requestTimeoutMs: number;
  /**
   * A transaction's budget (default 4 x requestTimeoutMs): it may meet other
   * transactions' locks and retry, and under a flood it waits its turn
   * (txn-driver inFlightMax) before this starts.
   */
  readonly txnTimeoutMs?: number;
  /** Throws when this front door must not serve now (e.g. its layout disagrees with the participants'). */
  readonly admit?: () => void;
  /** Counts each multi-key command by the path it took, and each cross-group one's end. */
  readonly onPath?: (path: 'single' | 'cross', op: KvOp['type']) => void;
  readonly onCrossEnd?: (op: KvOp['type'], ok: boolean) => void;
}

/** Keys of a multi-key command by group, each key once, in the order first named. */
type Split = Map<number, Buffer[]>;

/**
 * The front door's KV service over several groups: a command whose keys
 * fall in one group goes whole to that group's service (one Raft entry,
 * 1PC); MSET / DEL / MGET over several groups run as one transaction
 * through the 2PC driver. The same code routes in the coordinator (each
 * group's service forwards to that group's leader) and in a multi-group
 * Raft peer (each group's service is its local replica).
 * Invariant: a command is applied by exactly one group's service whole, or
 * by one transaction over every group it names: never in part.
 */
export class RoutedKv implements KvService {
  constructor(
    private readonly router: KeyRouter,
    private readonly groups: ReadonlyMap<number, KvService>,
    private readonly opts: RoutedKvOptions = { requestTimeoutMs: 1_500 },
  ) {}

  openSession(): KvSession {
    const sessions = new Map<number, KvSession>();
    /** `keys`: those the command to g touches (absent: it may touch any key of g). */
    const sessionOf = (g: number, keys?: readonly Uint8Array[]): KvSession => {
      // Spread steps held for g that unlock one of these keys (a RESOLVE) leave now, in the same frame as this command.
      this.opts.txn?.flushSpread(g, keys);
      let s = sessions.get(g);
      if (s === undefined) {
        const service = this.groups.get(g);
        if (service === undefined) throw new Error(`routed kv: no service for group ${g}`);
        s = service.openSession();
        sessions.set(g, s);
      }
      return s;
    };
    /** Groups this session wrote to (WAIT counts the replicas of these). */
    const written = new Set<number>();
    return {
      execute: (op: KvOp): Promise<KvAnswer> => {
        try {
          if (op.type === 'scan') return routedScan(slotMapOf(this.router, [...this.groups.keys()]), op, sessionOf);
          if (op.type === 'replicas') return routedReplicas(written.size > 0 ? written : this.groups.keys(), sessionOf);
          if (op.type === 'get' || op.type === 'set' || op.type === 'str') {
            const g = this.router.groupOf(op.key);
            if (op.type !== 'get') written.add(g);
            return this.#single(sessionOf(g, [op.key]), op);
          }
          if (op.type === 'exec') {
            for (const o of op.ops) if (o.kind === 'str') written.add(this.router.groupOf(o.key));
            return this.#exec(op.ops);
          }
          if (op.type === 'flush') {
            for (const g of this.groups.keys()) written.add(g);
            return this.#flush();
          }
          const split = this.#split(op.type === 'mset' ? op.pairs.map(([k]) => k) : op.keys);
          if (op.type !== 'mget') for (const g of split.keys()) written.add(g);
          if (split.size === 1) {
            const [g, keys] = split.entries().next().value!;
            return this.#single(sessionOf(g, keys), op);
          }
          if (op.type === 'mget' && op.eachKey === true) return this.#eachGroup(op.keys, split, sessionOf);
          return this.#cross(op, split);
        } catch (err) {
          return Promise.reject(err);
        }
      },
      close: () => {
        for (const s of sessions.values()) s.close();
        sessions.clear();
      },
    };
  }

  /** An MGET of independent reads: each group's keys read at once in that group (no locks), all groups in parallel. */
  async #eachGroup(keys: readonly Buffer[], split: Split, sessionOf: (g: number, keys: readonly Uint8Array[]) => KvSession): Promise<KvAnswer> {
    const byKey = new Map<string, readonly Buffer[] | undefined>();
    await Promise.all(
      [...split].map(async ([g, ks]) => {
        const a = await sessionOf(g, ks).execute({ type: 'mget', keys: ks });
        if (a.type !== 'multi' || a.values.length !== ks.length) throw new Error(`routed kv: group ${g} answered ${a.type} to a read`);
        ks.forEach((k, i) => byKey.set(k.toString('latin1'), a.values[i]));
      }),
    );
    return { type: 'multi', values: keys.map((k) => byKey.get(k.toString('latin1'))) };
  }

  #txnTimeoutMs(): number {
    return this.opts.txnTimeoutMs ?? 4 * this.opts.requestTimeoutMs;
  }

  #single(session: KvSession, op: KvOp): Promise<KvAnswer> {
    this.opts.onPath?.('single', op.type);
    return session.execute(op);
  }

  async #cross(op: Exclude<KvOp, { type: 'get' | 'set' | 'str' | 'exec' | 'flush' | 'scan' | 'replicas' }>, split: Split): Promise<KvAnswer> {
    const driver = this.opts.txn;
    if (driver === undefined) throw new CrossGroupError([...split.keys()].sort((a, b) => a - b));
    this.opts.admit?.();
    this.opts.onPath?.('cross', op.type);
    let ok = false;
    try {
      const answer = await this.#transaction(driver, op, split);
      ok = true;
      return answer;
    } finally {
      this.opts.onCrossEnd?.(op.type, ok);
    }
  }

  /**
   * EXEC: always a transaction, over one group or several (its checks and
   * read-modify-writes need the locks). Each group runs its share of the
   * ops in order; the results go back in the order asked.
   */
  async #exec(ops: readonly ExecOp[]): Promise<KvAnswer> {
    const driver = this.opts.txn;
    if (driver === undefined) throw new Error('routed kv: EXEC needs a transaction driver');
    this.opts.admit?.();
    const shares = new Map<number, { keys: Buffer[]; index: Map<string, number>; ops: ProgramOp[]; at: number[] }>();
    ops.forEach((o, at) => {
      const g = this.router.groupOf(o.key);
      let share = shares.get(g);
      if (share === undefined) shares.set(g, (share = { keys: [], index: new Map(), ops: [], at: [] }));
      const name = o.key.toString('latin1');
      let k = share.index.get(name);
      if (k === undefined) {
        k = share.keys.length;
        share.index.set(name, k);
        share.keys.push(o.key);
      }
      share.ops.push(programOp(o, k));
      share.at.push(at);
    });
    const path = shares.size === 1 ? 'single' : 'cross';
    this.opts.onPath?.(path, 'exec');
    let ok = false;
    try {
      const parts = new Map<number, ProgramShare>([...shares].map(([g, s]) => [g, { keys: s.keys, ops: s.ops }]));
      const got = await driver.program(parts, Date.now() + this.#txnTimeoutMs());
      ok = true;
      if (got === 'unmet') return { type: 'exec', outs: undefined };
      const outs: StrResult[] = new Array<StrResult>(ops.length);
      for (const [g, s] of shares) {
        const rs = got.get(g);
        assert(rs !== undefined && rs.length === s.ops.length, () => `routed kv: group ${g} answered ${rs?.length ?? 'no'} results for ${s.ops.length} ops`);
        s.at.forEach((at, i) => (outs[at] = rs[i]!));
      }
      return { type: 'exec', outs };
    } finally {
      if (path === 'cross') this.opts.onCrossEnd?.('exec', ok);
    }
  }

  /** FLUSHALL: one transaction over every group, each emptied under a lock on the whole group. */
  async #flush(): Promise<KvAnswer> {
    const driver = this.opts.txn;
    if (driver === undefined) throw new Error('routed kv: FLUSHALL needs a transaction driver');
    this.opts.admit?.();
    const parts = new Map<number, ProgramShare>([...this.groups.keys()].map((g) => [g, { keys: [], ops: [{ kind: 'flush' }] }]));
    const got = await driver.program(parts, Date.now() + this.#txnTimeoutMs());
    assert(got !== 'unmet', 'routed kv: a flush has no check to fail');
    return { type: 'ok' };
  }

  #split(keys: readonly Buffer[]): Split {
    const split: Split = new Map();
    const seen = new Set<string>();
    for (const k of keys) {
      const s = k.toString('latin1');
      if (seen.has(s)) continue;
      seen.add(s);
      const g = this.router.groupOf(k);
      let list = split.get(g);
      if (list === undefined) split.set(g, (list = []));
      list.push(k);
    }
    return split;
  }

  async #transaction(driver: TxnDriver, op: Exclude<KvOp, { type: 'get' | 'set' | 'str' | 'exec' | 'flush' | 'scan' | 'replicas' }>, split: Split): Promise<KvAnswer> {
    const deadline = Date.now() + this.#txnTimeoutMs();
    switch (op.type) {
      case 'mget': {
        const got = await driver.read(split, deadline);
        const byKey = new Map<string, readonly Buffer[] | undefined>();
        for (const [g, keys] of split) {
          const values = got.get(g)!;
          keys.forEach((k, i) => byKey.set(k.toString('latin1'), values[i] ?? undefined));
        }
        return { type: 'multi', values: op.keys.map((k) => byKey.get(k.toString('latin1'))) };
      }
      case 'mset': {
        // A key named twice takes its last value, as in Redis.
        const last = new Map<string, Buffer>();
        for (const [k, v] of op.pairs) last.set(k.toString('latin1'), v);
        const parts = new Map<number, TxnWrite[]>();
        for (const [g, keys] of split) parts.set(g, keys.map((key) => ({ key, values: [last.get(key.toString('latin1'))!] })));
        await driver.write(parts, deadline);
        return { type: 'ok' };
      }
      case 'del': {
        const parts = new Map<number, TxnWrite[]>();
        for (const [g, keys] of split) parts.set(g, keys.map((key) => ({ key, values: null })));
        // Counted under the transaction's locks: the keys present when each group prepared, which commit removed.
        const { present } = await driver.write(parts, deadline);
        return { type: 'count', n: present };
      }
    }
  }
}

function programOp(o: ExecOp, k: number): ProgramOp {
  switch (o.kind) {
    case 'str':
      return { k, kind: 'str', change: o.change };
    case 'watch':
      return { k, kind: 'watch', digest: o.digest };
    case 'get':
    case 'absent':
      return { k, kind: o.kind };
  }
}
