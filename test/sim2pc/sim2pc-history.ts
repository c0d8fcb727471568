import { assert } from '../../raft/assert.js';
import type { ApplyResult, EntryCmd } from '../../src/kv/kv-command.js';
import type { TxnResult } from '../../src/txn/txn-command.js';
import type { PreparedTxn } from '../../src/txn/txn-table.js';
import type { ApplyObserver, SimGroup } from './sim-group.js';

/** A checker's verdict: the rule broken and what shows it. */
export class Sim2pcViolation extends Error {
  override readonly name = 'Sim2pcViolation';
  constructor(
    readonly rule: 'atomicity' | 'decidedFirst' | 'undecided' | 'lockOutlived' | 'lostAck' | 'delCount' | 'readIsolation' | 'invariant',
    message: string,
  ) {
    super(`${rule}: ${message}`);
  }
}

interface Version {
  readonly value: string | null;
  readonly writer: string;
  /** Logical time of the commit point (the primary's DECIDE, or a 1PC write's apply). */
  readonly at: number;
}

interface TxnFacts {
  readonly groups: readonly number[];
  readonly primary: number;
  /** The writes of the record each group first prepared, by group. */
  readonly writes: Map<number, PreparedTxn['writes']>;
  first?: { commit: boolean; at: number; indexes: readonly (readonly [number, number])[] };
  readonly appliedIn: Set<number>;
}

export interface OpRecord {
  readonly kind: 'mset' | 'del' | 'mget' | 'get' | 'set1';
  readonly keys: readonly string[];
  readonly start: number;
  end?: number;
  ok?: boolean;
  txn?: string;
  present?: number;
  read?: readonly (string | null)[];
}

/**
 * What happened, in one logical order (a counter bumped at every fact): the
 * versions of every key in commit order, every transaction's records,
 * decisions and applications, and every client operation with its span.
 * The checks after every step and at the end read it.
 */
export class Sim2pcHistory implements ApplyObserver {
  #clock = 0;
  readonly versions = new Map<string, Version[]>();
  readonly txns = new Map<string, TxnFacts>();
  readonly ops: OpRecord[] = [];
  readOnlyPrepares = 0;
  resurrected = 0;
  /** SPREAD entries applied (several transactions' RESOLVEs or FORGETs in one). */
  spreads = 0;

  now(): number {
    return ++this.#clock;
  }

  before(g: SimGroup, index: number, cmd: EntryCmd): unknown {
    // A spread's steps are observed one by one (each from the state before the entry: a step never needs another's effect).
    if (cmd.op === 'tspread') return cmd.steps.map((s) => this.before(g, index, s));
    if (cmd.op === 'tdecide' || cmd.op === 'tresolve' || (cmd.op === 'tprepare' && cmd.commitWith !== undefined)) return { p: g.sm.txns.prepared(cmd.txn), had: g.sm.txns.decision(cmd.txn) !== undefined };
    // A 1PC command's copy answered from the session cache changes nothing: only keys whose value changes get a version.
    const keys = cmd.op === 'set' ? [cmd.key] : cmd.op === 'del' ? cmd.keys : cmd.op === 'mset' ? cmd.pairs.map(([k]) => k) : [];
    return keys.map((k) => g.sm.get(k)?.[0]?.toString('latin1') ?? null);
  }

  after(g: SimGroup, index: number, cmd: EntryCmd, result: ApplyResult, ctx: unknown): void {
    const at = this.now();
    const c = ctx as { p: PreparedTxn | undefined; had: boolean } | undefined;
    const was = ctx as (string | null)[];
    const changed = (i: number, k: Buffer, now: string | null): void => {
      const after = g.sm.get(k)?.[0]?.toString('latin1') ?? null;
      if (was[i] !== now && after === now) this.#version(k.toString('latin1'), now, `1pc:${g.id}:${index}`, at);
    };
    switch (cmd.op) {
      case 'tspread': {
        const r = result as TxnResult;
        assert(r.type === 'spread' && r.results.length === cmd.steps.length, 'sim2pc: a SPREAD answers one result per step');
        this.spreads++;
        cmd.steps.forEach((s, i) => this.after(g, index, s, r.results[i]!, (ctx as unknown[])[i]));
        return;
      }
      case 'set':
        if (result.type === 'ok') changed(0, cmd.key, cmd.values[0]!.toString('latin1'));
        return;
      case 'mset':
        if (result.type === 'ok') cmd.pairs.forEach(([k, v], i) => changed(i, k, v.toString('latin1')));
        return;
      case 'del':
        if (result.type === 'count') cmd.keys.forEach((k, i) => changed(i, k, null));
        return;
      case 'tprepare': {
        const r = result as TxnResult;
        if (cmd.readOnly) {
          if (r.type === 'prepared' && r.index === index) this.readOnlyPrepares++;
          return;
        }
        if (cmd.commitWith !== undefined) {
          // The primary's share: prepared and COMMIT recorded in this entry, refused and ABORT recorded, or expired (nothing).
          if (c!.had) return;
          if (r.type === 'conflict' || r.type === 'unmet') {
            const t = this.#facts(cmd.txn, cmd.groups, g.id);
            if (t.first !== undefined) throw new Sim2pcViolation('atomicity', `${cmd.txn}: a copy of the primary's PREPARE recorded a second decision (ABORT after the first was forgotten)`);
            t.first = { commit: false, at, indexes: [] };
            return;
          }
          if (r.type !== 'decided') return;
          assert(r.commit && cmd.program === undefined, 'sim2pc: a primary PREPARE that decides commits (and the sim runs no programs)');
          const t = this.#facts(cmd.txn, cmd.groups, g.id);
          if (t.first !== undefined) throw new Sim2pcViolation('atomicity', `${cmd.txn}: a copy of the primary's PREPARE recorded a second decision (COMMIT after ${t.first.commit ? 'COMMIT' : 'ABORT'} was forgotten)`);
          t.first = { commit: true, at, indexes: r.indexes };
          const writes: PreparedTxn['writes'] = cmd.writes.map((w) => [w.key.toString('latin1'), w.values === null ? null : w.values[0]!.toString('latin1')]);
          if (!r.indexes.some(([x, i]) => x === g.id && i === index)) throw new Sim2pcViolation('atomicity', `${cmd.txn}: the primary's COMMIT does not name its own entry ${index}`);
          t.writes.set(g.id, writes);
          this.#applied(t, cmd.txn, g.id, { txn: cmd.txn, primary: cmd.primary, groups: cmd.groups, readOnly: false, index, writes }, at);
          return;
        }
        if (r.type !== 'prepared' || r.index !== index) return;
        let t = this.txns.get(cmd.txn);
        if (t === undefined) {
          t = { groups: cmd.groups, primary: cmd.primary, writes: new Map(), appliedIn: new Set() };
          this.txns.set(cmd.txn, t);
        }
        if (t.writes.has(g.id)) this.resurrected++;
        else t.writes.set(g.id, g.sm.txns.prepared(cmd.txn)!.writes);
        return;
      }
      case 'tdecide': {
        const r = result as TxnResult;
        assert(r.type === 'decided', 'sim2pc: DECIDE answers decided');
        const t = this.#facts(cmd.txn, cmd.groups, g.id);
        if (!c!.had && t.first === undefined) t.first = { commit: r.commit, at, indexes: r.indexes };
        // The primary applies its own part in the entry that records COMMIT.
        if (!c!.had && r.commit) {
          const p = c!.p;
          if (p === undefined || p.index !== cmd.at) throw new Sim2pcViolation('atomicity', `${cmd.txn}: group ${g.id} recorded COMMIT without its own prepared record at ${cmd.at}`);
          this.#applied(t, cmd.txn, g.id, p, at);
        }
        return;
      }
      case 'tresolve': {
        const r = result as TxnResult;
        if (r.type !== 'resolved' || !r.applied) return;
        const p = c!.p!;
        const t = this.#facts(cmd.txn, p.groups, p.primary);
        if (t.first === undefined || !t.first.commit) {
          throw new Sim2pcViolation('decidedFirst', `${cmd.txn}: group ${g.id} applied its part at index ${index} while the primary (group ${t.primary}) ${t.first === undefined ? 'has recorded no decision' : 'decided ABORT'}`);
        }
        if (!t.first.indexes.some(([x, i]) => x === g.id && i === p.index)) {
          throw new Sim2pcViolation('atomicity', `${cmd.txn}: group ${g.id} applied a record prepared at ${p.index}, not the one the COMMIT names`);
        }
        this.#applied(t, cmd.txn, g.id, p, t.first.at);
        return;
      }
      case 'tforget':
        return;
    }
  }

  #facts(txn: string, groups: readonly number[], primary: number): TxnFacts {
    let t = this.txns.get(txn);
    if (t === undefined) {
      t = { groups, primary, writes: new Map(), appliedIn: new Set() };
      this.txns.set(txn, t);
    }
    return t;
  }

  #applied(t: TxnFacts, txn: string, g: number, p: PreparedTxn, commitAt: number): void {
    if (t.appliedIn.has(g)) throw new Sim2pcViolation('atomicity', `${txn}: applied twice in group ${g}`);
    t.appliedIn.add(g);
    for (const [k, v] of p.writes) if (v !== false) this.#version(k, v === null ? null : typeof v === 'string' ? v : v[0]!, txn, commitAt);
  }

  #version(key: string, value: string | null, writer: string, at: number): void {
    let h = this.versions.get(key);
    if (h === undefined) {
      h = [];
      this.versions.set(key, h);
    }
    const last = h[h.length - 1];
    if (last !== undefined && last.at > at) {
      throw new Sim2pcViolation('readIsolation', `${JSON.stringify(key)}: ${writer} (committed at ${at}) applied after ${last.writer} (committed at ${last.at}): writes of one key applied out of commit order`);
    }
    h.push({ value, writer, at });
  }

  // ---- final checks ----

  /** Every transaction prepared anywhere was decided at its primary, and applied in all its groups or none. */
  checkAtomicity(): void {
    for (const [txn, t] of this.txns) {
      if (t.writes.size === 0 && t.first === undefined) continue;
      if (t.first === undefined) throw new Sim2pcViolation('undecided', `${txn} was prepared in groups ${[...t.writes.keys()].join(',')} but its primary ${t.primary} never recorded a decision`);
      const want = t.first.commit ? t.groups.length : 0;
      if (t.appliedIn.size !== want) {
        throw new Sim2pcViolation('atomicity', `${txn} (${t.first.commit ? 'COMMIT' : 'ABORT'}) applied in groups [${[...t.appliedIn].join(',')}] of [${t.groups.join(',')}]`);
      }
    }
  }

  /** An acknowledged write committed before its answer; a DEL's count is exact. */
  checkAcks(): void {
    for (const op of this.ops) {
      if (op.ok !== true || op.txn === undefined) continue;
      const t = this.txns.get(op.txn);
      if (t?.first === undefined || !t.first.commit || t.first.at > op.end!) {
        throw new Sim2pcViolation('lostAck', `${op.kind} over ${op.keys.join(',')} was acknowledged as ${op.txn}, which ${t?.first === undefined ? 'has no decision' : t.first.commit ? 'committed after the answer' : 'aborted'}`);
      }
      if (op.kind !== 'del') continue;
      let present = 0;
      for (const k of new Set(op.keys)) {
        const h = this.versions.get(k) ?? [];
        const i = h.findIndex((v) => v.writer === op.txn);
        assert(i >= 0, 'sim2pc: a committed DEL left a version on each key');
        if (i > 0 && h[i - 1]!.value !== null) present++;
      }
      if (present !== op.present) throw new Sim2pcViolation('delCount', `DEL ${op.keys.join(' ')} (${op.txn}) answered ${op.present}, but ${present} of the keys existed when it committed`);
    }
  }

  /**
   * Every read saw the state at one instant inside its span: for each key
   * the read value's version spans [its commit, the next commit), and all
   * keys' spans and the read's own span must share a point. So no read sees
   * an undecided change, and no MGET sees half of a transaction.
   */
  checkReads(): void {
    for (const op of this.ops) {
      if (op.ok !== true || op.read === undefined) continue;
      let live: [number, number][] = [[op.start, op.end!]];
      op.keys.forEach((k, i) => {
        const want = op.read![i]!;
        const h = this.versions.get(k) ?? [];
        const spans: [number, number][] = [];
        for (let j = 0; j <= h.length; j++) {
          const value = j === 0 ? null : h[j - 1]!.value;
          if (value !== want) continue;
          spans.push([j === 0 ? -Infinity : h[j - 1]!.at, j === h.length ? Infinity : h[j]!.at]);
        }
        live = intersect(live, spans);
      });
      if (live.length === 0) {
        const seen = op.keys.map((k, i) => `${k}=${op.read![i] ?? 'nil'}`).join(' ');
        const hist = op.keys.map((k) => `${k}: ${(this.versions.get(k) ?? []).map((v) => `${v.value ?? 'nil'}@${v.at}`).join(' ')}`).join('; ');
        throw new Sim2pcViolation('readIsolation', `${op.kind} during [${op.start}, ${op.end}] saw ${seen}, which held at no one instant in it (histories: ${hist})`);
      }
    }
  }
}

/** Intersection of two sets of intervals (logical times are unique, so open or closed ends never meet). */
function intersect(a: readonly [number, number][], b: readonly [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  for (const [a0, a1] of a) {
    for (const [b0, b1] of b) {
      const lo = Math.max(a0, b0);
      const hi = Math.min(a1, b1);
      if (lo < hi) out.push([lo, hi]);
    }
  }
  return out;
}
