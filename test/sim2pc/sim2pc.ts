/**
 * One seeded run of the 2PC world: G groups (replicated-log stand-ins with
 * the real KV state machine and the shipped TxnParticipant), front doors
 * running the shipped TxnDriver for concurrent clients (MSET and DEL over
 * several groups, MGET, and 1PC SET / GET / MSET / DEL of one group), a
 * network that loses, duplicates and reorders, front doors killed at every
 * protocol step and before any message they send, and leaders that fail
 * over. Then the faults stop, the world goes quiet, and the checks run:
 * every transaction decided and applied in all its groups or none, no lock
 * or decision left, every acknowledged write committed before its answer,
 * exact DEL counts, and every read (GET, MGET) the state at one instant.
 */
import type { SessionCmd } from '../../src/kv/kv-command.js';
import type { TxnWrite } from '../../src/txn/txn-command.js';
import { DEFAULT_TXN_DRIVER_OPTIONS, TxnDriver, type TxnStep } from '../../src/txn/txn-driver.js';
import type { TxnGroupClient } from '../../src/txn/txn-client.js';
import { SimGroup, type GroupReply } from './sim-group.js';
import { Sim2pcHistory, Sim2pcViolation, type OpRecord } from './sim2pc-history.js';
import { SimNet, type NetParams, type Sender } from './sim-net.js';
import { Sim2pcWorld } from './sim2pc-world.js';

export interface Sim2pcParams {
  readonly groups: number;
  readonly keys: number;
  readonly frontDoors: number;
  readonly clientsPerDoor: number;
  readonly faultMs: number;
  readonly requestTimeoutMs: number;
  readonly lockTimeoutMs: number;
  readonly decisionTimeoutMs: number;
  /** A front door crashes before a message it sends / at a protocol step with these chances. */
  readonly crashSendP: number;
  readonly crashStepP: number;
  /** A group's leader fails over every this many ms (uniform in the range) while faults last. */
  readonly failoverEveryMs: readonly [number, number];
  readonly net: NetParams;
  /**
   * The driver's spread linger (txn-outbox): the shipped default, 0 (spread
   * at once) on odd seeds, or a long one on seeds 2 mod 4 (spreads then
   * gather many transactions' steps, as under load).
   */
  readonly spreadLingerMs: number;
  /**
   * The primary PREPARE's window (its notAfter): longer than the huge delays
   * (late copies meet the decision FORGET keeps), or, every third seed,
   * shorter (late copies outlive it and meet their own expiry).
   */
  readonly commitWindowMs: number;
}

export const DEFAULT_SIM2PC_PARAMS: Sim2pcParams = {
  groups: 3,
  keys: 9,
  frontDoors: 2,
  clientsPerDoor: 3,
  faultMs: 1_500,
  requestTimeoutMs: 1_000,
  lockTimeoutMs: 200,
  decisionTimeoutMs: 600,
  crashSendP: 0.01,
  crashStepP: 0.02,
  failoverEveryMs: [150, 1_200],
  net: { lossP: 0.04, dupP: 0.05, hugeP: 0.015, hugeDelayMs: [200, 1_200], attemptTimeoutMs: 80 },
  spreadLingerMs: DEFAULT_TXN_DRIVER_OPTIONS.spreadLingerMs ?? 0,
  commitWindowMs: 1_500,
};

/**
 * Every fourth seed runs a calmer world (more keys, rarer faults), where
 * most transactions commit and the common path gets its share of checking.
 */
export const CALM_SIM2PC_PARAMS: Sim2pcParams = {
  ...DEFAULT_SIM2PC_PARAMS,
  keys: 30,
  crashSendP: 0.003,
  crashStepP: 0.005,
  failoverEveryMs: [400, 3_000],
  net: { ...DEFAULT_SIM2PC_PARAMS.net, lossP: 0.01, dupP: 0.02, hugeP: 0.005 },
};

const LONG_SPREAD_LINGER_MS = 60;

export function paramsOfSeed(seed: number): Sim2pcParams {
  const base = seed % 4 === 0 ? CALM_SIM2PC_PARAMS : DEFAULT_SIM2PC_PARAMS;
  const window = seed % 3 === 0 ? { commitWindowMs: 150 } : {};
  const linger = seed % 2 === 1 ? { spreadLingerMs: 0 } : seed % 4 === 2 ? { spreadLingerMs: LONG_SPREAD_LINGER_MS } : {};
  return { ...base, ...window, ...linger };
}

export interface Sim2pcResult {
  readonly seed: number;
  readonly violation: Sim2pcViolation | undefined;
  readonly error: unknown;
  readonly stats: Record<string, number>;
  /** Front-door crashes by where they happened (`step:<step>` or `send:<op>`). */
  readonly crashes: Record<string, number>;
  readonly replay: string;
}

class FrontDoor {
  incarnation = 0;
  private dead = false;
  driver!: TxnDriver;
  client!: TxnGroupClient;
  sender!: Sender;
  ops = 0;

  constructor(
    readonly id: number,
    private readonly w: Sim2pcWorld,
    private readonly net: SimNet,
    private readonly params: Sim2pcParams,
    private readonly history: Sim2pcHistory,
    private readonly crashes: Record<string, number>,
    private readonly faultsOn: () => boolean,
  ) {}

  start(): void {
    const inc = ++this.incarnation;
    this.dead = false;
    const alive = (): boolean => !this.dead && this.incarnation === inc;
    this.sender = {
      alive,
      crashBeforeSend: (req) => {
        if (!alive() || !this.faultsOn() || !this.w.rng.chance(this.params.crashSendP)) return false;
        this.crash(`send:${req.kind === 'txn' ? req.cmd.op : req.kind}`);
        return true;
      },
    };
    this.client = this.net.client(this.sender);
    this.driver = new TxnDriver(this.client, this.w.env(alive), `f${this.id}.${inc}`, {
      backoffMinMs: 2,
      backoffMaxMs: 30,
      spreadLingerMs: this.params.spreadLingerMs,
      commitWindowMs: this.params.commitWindowMs,
      onStep: (_txn, step: TxnStep) => {
        if (alive() && this.faultsOn() && this.w.rng.chance(this.params.crashStepP)) this.crash(`step:${step}`);
      },
      onFatal: (err) => this.w.fail(err),
    });
    for (let c = 0; c < this.params.clientsPerDoor; c++) void this.#clientLoop(inc, c, alive);
  }

  crash(where: string): void {
    this.dead = true;
    this.crashes[where] = (this.crashes[where] ?? 0) + 1;
    this.w.at(this.w.rng.intBetween(20, 300), () => this.start());
  }

  async #clientLoop(inc: number, c: number, alive: () => boolean): Promise<void> {
    const w = this.w;
    const env = w.env(alive);
    const clientId = `s${this.id}.${inc}.${c}`;
    let seq = 0;
    let n = 0;
    while (alive() && this.faultsOn()) {
      await env.sleep(w.rng.intBetween(0, 15));
      if (!alive() || !this.faultsOn()) return;
      const roll = w.rng.next();
      const keys = this.#pickKeys(roll < 0.75 ? w.rng.intBetween(2, 5) : 1);
      const groups = new Set(keys.map((k) => this.#groupOf(k)));
      const value = `v${this.id}.${inc}.${c}.${++n}`;
      const deadline = w.now + this.params.requestTimeoutMs;
      const kind: OpRecord['kind'] = keys.length === 1 ? (roll < 0.88 ? 'get' : 'set1') : roll < 0.35 ? 'mset' : roll < 0.48 ? 'del' : 'mget';
      const op: OpRecord = { kind, keys, start: this.history.now() };
      this.history.ops.push(op);
      this.ops++;
      try {
        if (kind === 'mget' || kind === 'get') {
          op.read = groups.size === 1 ? await this.#read1(keys, deadline) : await this.#readTxn(keys, deadline);
        } else if (groups.size === 1 || kind === 'set1') {
          const cmd: SessionCmd =
            kind === 'del'
              ? { op: 'del', clientId, seq: ++seq, keys: keys.map((k) => Buffer.from(k, 'latin1')) }
              : { op: 'mset', clientId, seq: ++seq, pairs: keys.map((k) => [Buffer.from(k, 'latin1'), Buffer.from(value, 'latin1')] as const) };
          await this.net.call(this.sender, this.#groupOf(keys[0]!), { kind: 'write1', cmd }, deadline);
        } else {
          const parts = new Map<number, TxnWrite[]>();
          for (const k of keys) {
            const g = this.#groupOf(k);
            if (!parts.has(g)) parts.set(g, []);
            parts.get(g)!.push({ key: Buffer.from(k, 'latin1'), values: kind === 'del' ? null : [Buffer.from(value, 'latin1')] });
          }
          const out = await this.driver.write(parts, deadline);
          op.txn = out.txn;
          op.present = out.present;
        }
        if (!alive()) return;
        op.end = this.history.now();
        op.ok = true;
      } catch {
        op.end = this.history.now();
        op.ok = false;
      }
    }
  }

  #pickKeys(n: number): string[] {
    const out = new Set<string>();
    while (out.size < n) out.add(`k${this.w.rng.intBetween(0, this.params.keys)}`);
    return [...out];
  }

  #groupOf(key: string): number {
    return (Number(key.slice(1)) % this.params.groups) + 1;
  }

  async #read1(keys: readonly string[], deadline: number): Promise<(string | null)[]> {
    const r = (await this.net.call(this.sender, this.#groupOf(keys[0]!), { kind: 'read', keys: keys.map((k) => Buffer.from(k, 'latin1')) }, deadline)) as GroupReply;
    if (r.type !== 'values') throw new Error('bad read reply');
    return r.values.map((v) => (v === null ? null : v.toString('latin1')));
  }

  async #readTxn(keys: readonly string[], deadline: number): Promise<(string | null)[]> {
    const parts = new Map<number, Buffer[]>();
    for (const k of keys) {
      const g = this.#groupOf(k);
      if (!parts.has(g)) parts.set(g, []);
      parts.get(g)!.push(Buffer.from(k, 'latin1'));
    }
    const got = await this.driver.read(parts, deadline);
    const next = new Map<number, number>();
    return keys.map((k) => {
      const g = this.#groupOf(k);
      const i = next.get(g) ?? 0;
      next.set(g, i + 1);
      const v = got.get(g)![i];
      return v === null || v === undefined ? null : v[0]!.toString('latin1');
    });
  }
}

export async function runSim2pc(seed: number, params: Sim2pcParams = paramsOfSeed(seed)): Promise<Sim2pcResult> {
  const w = new Sim2pcWorld(seed);
  const history = new Sim2pcHistory();
  const groups = new Map<number, SimGroup>();
  let faults = true;
  const net = new SimNet(w, groups, params.net);
  const opts = { lockTimeoutMs: params.lockTimeoutMs, decisionTimeoutMs: params.decisionTimeoutMs, onFatal: (err: unknown) => w.fail(err) };
  for (let g = 1; g <= params.groups; g++) {
    groups.set(g, new SimGroup(g, w, (self) => net.client({ alive: () => self.up }), opts, history));
  }
  const crashes: Record<string, number> = {};
  const doors = Array.from({ length: params.frontDoors }, (_, i) => new FrontDoor(i + 1, w, net, params, history, crashes, () => faults));
  for (const d of doors) d.start();
  // Resolvers sweep a few times per lock bound, for the whole run.
  const sweepEvery = Math.max(1, Math.floor(params.lockTimeoutMs / 4));
  const sweep = (): void => {
    for (const g of groups.values()) g.sweep();
    w.at(sweepEvery, sweep);
  };
  w.at(sweepEvery, sweep);
  for (const g of groups.values()) {
    const failover = (): void => {
      if (!faults) return;
      g.failover(w.rng.intBetween(5, 150));
      w.at(w.rng.intBetween(params.failoverEveryMs[0], params.failoverEveryMs[1]), failover);
    };
    w.at(w.rng.intBetween(params.failoverEveryMs[0], params.failoverEveryMs[1]), failover);
  }
  w.at(params.faultMs, () => {
    faults = false;
    net.faults = false;
  });

  let violation: Sim2pcViolation | undefined;
  let error: unknown;
  const quietMs = params.net.hugeDelayMs[1] + params.requestTimeoutMs + 4 * params.lockTimeoutMs + 2 * params.decisionTimeoutMs + 500;
  await w.runUntil(params.faultMs + quietMs);
  error = w.failure;
  if (error === undefined) {
    try {
      for (const g of groups.values()) {
        const t = g.sm.txns;
        if (t.preparedCount + t.lockedKeys + t.decisionCount > 0) {
          const open = [...t.allPrepared()].map((p) => `${p.txn}@${p.index}${p.readOnly ? 'r' : ''}`).join(',');
          throw new Sim2pcViolation('lockOutlived', `${quietMs} ms after the faults stopped, group ${g.id} still holds ${t.preparedCount} prepared (${open}), ${t.lockedKeys} locked keys, ${t.decisionCount} decisions not forgotten`);
        }
      }
      history.checkAtomicity();
      history.checkAcks();
      history.checkReads();
    } catch (err) {
      error = err;
    }
  }
  if (error instanceof Sim2pcViolation) violation = error;
  const ok = history.ops.filter((o) => o.ok === true);
  const stats: Record<string, number> = {
    events: w.events,
    ops: history.ops.length,
    ok: ok.length,
    committedTxns: [...history.txns.values()].filter((t) => t.first?.commit === true).length,
    abortedTxns: [...history.txns.values()].filter((t) => t.first?.commit === false).length,
    crossGroupMsets: ok.filter((o) => o.kind === 'mset' && o.txn !== undefined).length,
    crossGroupMgets: ok.filter((o) => o.kind === 'mget').length,
    readOnlyPrepares: history.readOnlyPrepares,
    resurrectedPrepares: history.resurrected,
    appliedSpreads: history.spreads,
    failovers: [...groups.values()].reduce((s, g) => s + g.failovers, 0),
    locksResolved: [...groups.values()].reduce((s, g) => s + g.participant.resolvedLocks, 0),
    lost: net.lost,
    duplicated: net.duplicated,
    late: net.late,
  };
  return { seed, violation, error, stats, crashes, replay: `npm run sim:2pc -- --seed ${seed}` };
}

/** For reports: one line per failed run. */
export function describeFailure(r: Sim2pcResult): string {
  const e = r.error;
  return `seed ${r.seed} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n  replay: ${r.replay}`;
}
