import type { SeededRng } from '../../raft/rng.js';
import type { FaultCluster } from './fault-cluster.js';
import type { HistoryOp } from './history.js';
import type { NodeProcess } from './node-process.js';

/**
 * The seeded fault schedule: quiet, one fault, hold it, undo it, repeat.
 *   kill:      kill -9 a process (often the leader), restart it after the hold;
 *   pause:     SIGSTOP a process (often the leader), SIGCONT after the hold;
 *   partition: random halves, an isolated leader, a majority ring (5 nodes) or
 *              bridge (3 nodes), one node's outgoing links only (one-way), or
 *              in 2pc mode the coordinator cut off from the participants;
 *   kill-coordinator: kill -9 the front door serving a transaction (an MSET
 *              or a DEL of several keys) a seeded fraction of the usual
 *              transaction latency after it was sent, so the kill lands
 *              between its PREPAREs, DECIDE and RESOLVEs (2pc: the
 *              coordinator; raft: the peer whose front door runs it); restart
 *              it after the hold. With no transaction in flight within a
 *              bound, it kills a front door anyway.
 * Only the schedule is seeded; how the processes interleave with it is not.
 */
export const NEMESES = ['kill', 'pause', 'partition', 'kill-coordinator'] as const;
export type Nemesis = (typeof NEMESES)[number];

export function parseNemeses(text: string): Nemesis[] {
  const out = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  for (const n of out) if (!(NEMESES as readonly string[]).includes(n)) throw new Error(`unknown nemesis "${n}" (known: ${NEMESES.join(', ')})`);
  if (out.length === 0) throw new Error('no nemesis named');
  return out as Nemesis[];
}

export interface NemesisTiming {
  readonly quietMsMin: number;
  readonly quietMsMax: number;
  readonly holdMsMin: number;
  readonly holdMsMax: number;
}

export const NEMESIS_TIMING_DEFAULT: NemesisTiming = { quietMsMin: 500, quietMsMax: 2_500, holdMsMin: 1_000, holdMsMax: 4_000 };

/** How long kill-coordinator waits for a transaction in flight before it kills a front door anyway. */
export const MID_TXN_WAIT_MS_MAX = 3_000;
/** How late past its delay a transaction may still be picked (the poll runs about once a ms). */
export const MID_TXN_SLACK_MS = 4;
/** Acknowledged transactions whose latencies set the kill's delay; the delay when there are none yet. */
export const MID_TXN_SAMPLE_OPS = 50;
export const MID_TXN_DELAY_MS_DEFAULT = 10;

/** What kill-coordinator aims at: the workload's ops in flight, and how long its transactions take. */
export interface TxnTarget {
  inFlight(): readonly HistoryOp[];
  readonly history: readonly HistoryOp[];
}

/** The median latency of the last acknowledged transactions: a kill this long after one was sent lands mid-way. */
export function txnLatencyMs(history: readonly HistoryOp[]): number {
  const lat: number[] = [];
  for (let i = history.length - 1; i >= 0 && lat.length < MID_TXN_SAMPLE_OPS; i--) {
    const o = history[i]!;
    if (isTxnWrite(o) && o.outcome === 'ok' && o.completeMs !== null) lat.push(o.completeMs - o.invokeMs);
  }
  if (lat.length === 0) return MID_TXN_DELAY_MS_DEFAULT;
  lat.sort((a, b) => a - b);
  return lat[lat.length >>> 1]!;
}

/** A transaction of the front door's 2PC (when its keys span groups): what kill-coordinator aims at. */
export function isTxnWrite(op: HistoryOp): boolean {
  return op.kind === 'mset' || (op.kind === 'del' && op.keys.length > 1);
}

export interface FaultRecord {
  readonly atMs: number;
  readonly kind: Nemesis;
  readonly what: string;
}

export class NemesisRunner {
  readonly faults: FaultRecord[] = [];
  private stopped = false;
  private loop: Promise<void> = Promise.resolve();
  private wake: (() => void) | undefined;

  constructor(
    private readonly cluster: FaultCluster,
    private readonly kinds: readonly Nemesis[],
    private readonly rng: SeededRng,
    private readonly now: () => number,
    private readonly timing: NemesisTiming = NEMESIS_TIMING_DEFAULT,
    private readonly onFault: (f: FaultRecord) => void = () => {},
    /** The workload (kill-coordinator aims at its transactions in flight). */
    private readonly target: TxnTarget = { inFlight: () => [], history: [] },
  ) {}

  start(): void {
    this.loop = this.run();
  }

  /** Stops after undoing the fault in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  /** A sleep the stop() call cuts short. */
  private nap(ms: number): Promise<void> {
    return new Promise((r) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        r();
      }
      this.wake = done;
    });
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      await this.nap(this.rng.intBetween(this.timing.quietMsMin, this.timing.quietMsMax));
      if (this.stopped) break;
      // Usually one fault at a time; sometimes two at once (e.g. a partition while the leader is paused).
      const count = this.rng.chance(0.3) ? 2 : 1;
      const undos: Array<() => Promise<void>> = [];
      for (let k = 0; k < count; k++) undos.push(await this.inject(this.rng.pick(this.kinds)));
      await this.nap(this.rng.intBetween(this.timing.holdMsMin, this.timing.holdMsMax));
      for (const undo of undos.reverse()) await undo();
    }
  }

  private note(kind: Nemesis, what: string): void {
    const f = { atMs: this.now(), kind, what };
    this.faults.push(f);
    this.onFault(f);
  }

  /** A target process: the leader half the time (when known), else any. */
  private victim(): NodeProcess {
    const c = this.cluster;
    const leader = c.leader();
    if (leader !== undefined && this.rng.chance(0.5)) return c.nodes[leader]!;
    return this.rng.pick(c.processes());
  }

  private async inject(kind: Nemesis): Promise<() => Promise<void>> {
    const c = this.cluster;
    switch (kind) {
      case 'kill': {
        const p = this.victim();
        await p.kill();
        this.note(kind, `kill -9 ${p.name}`);
        return async () => {
          p.start();
          this.note(kind, `restart ${p.name}`);
        };
      }
      case 'pause': {
        const p = this.victim();
        p.pause();
        this.note(kind, `SIGSTOP ${p.name}`);
        return async () => {
          p.resume();
          this.note(kind, `SIGCONT ${p.name}`);
        };
      }
      case 'kill-coordinator': {
        const { p, what } = await this.midTxnVictim();
        await p.kill();
        this.note(kind, `kill -9 ${p.name} ${what}`);
        return async () => {
          p.start();
          this.note(kind, `restart ${p.name}`);
        };
      }
      case 'partition': {
        this.note(kind, this.partition());
        return async () => {
          c.heal();
          this.note(kind, 'heal');
        };
      }
    }
  }

  /**
   * Waits (polling every ms, at most MID_TXN_WAIT_MS_MAX) for a transaction
   * sent a seeded fraction of the usual transaction latency ago (within the
   * slack) and still unanswered: the kill lands between its first PREPARE
   * and its last RESOLVE. Its front door is the victim; else any front door.
   */
  private async midTxnVictim(): Promise<{ p: NodeProcess; what: string }> {
    const c = this.cluster;
    const delayMs = this.rng.next() * txnLatencyMs(this.target.history);
    const fallback = this.rng.pick(c.frontDoors());
    const until = this.now() + MID_TXN_WAIT_MS_MAX;
    // Nothing can be in flight while every front door is down (e.g. the other fault of a pair killed it).
    const serving = (): boolean => c.frontDoors().some((p) => p.alive && !p.paused);
    while (!this.stopped && this.now() < until && serving()) {
      const now = this.now();
      // A fresh one (sent delayMs to delayMs + MID_TXN_SLACK_MS ago), not one stuck for long behind a fault.
      const op = this.target.inFlight().find((o) => isTxnWrite(o) && now - o.invokeMs >= delayMs && now - o.invokeMs < delayMs + MID_TXN_SLACK_MS);
      const p = op === undefined ? undefined : c.processAtPort(op.port);
      if (op !== undefined && p !== undefined && p.alive && !p.paused) {
        return { p, what: `mid-transaction (#${op.id} ${op.kind.toUpperCase()} ${op.keys.join(' ')}, sent ${(now - op.invokeMs).toFixed(1)} ms before)` };
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    return { p: fallback, what: '(no transaction in flight)' };
  }

  /** Applies one random partition shape; returns its description. */
  private partition(): string {
    const c = this.cluster;
    const n = c.nodes.length;
    const ids = Array.from({ length: n }, (_, i) => i);
    const shapes = ['halves', 'isolate-leader', n >= 5 ? 'ring' : 'bridge', 'one-way', ...(c.coordinator !== undefined ? ['coordinator'] : [])];
    const shape = this.rng.pick(shapes);
    switch (shape) {
      case 'halves': {
        const shuffled = shuffle(ids, this.rng);
        const cut = this.rng.intBetween(1, n);
        const a = shuffled.slice(0, cut);
        const b = shuffled.slice(cut);
        // The coordinator stays with one side.
        const withC = (g: Array<number | 'c'>): Array<number | 'c'> => (c.coordinator !== undefined ? [...g, 'c'] : g);
        c.partition(this.rng.chance(0.5) ? [withC(a), b] : [a, withC(b)]);
        return `partition halves {${a.join(',')}} | {${b.join(',')}}`;
      }
      case 'isolate-leader': {
        const l = c.leader() ?? this.rng.pick(ids);
        c.partition([[l], [...ids.filter((i) => i !== l), ...(c.coordinator !== undefined ? (['c'] as const) : [])]]);
        return `partition isolate leader node${l}`;
      }
      case 'ring': {
        // Each node keeps links only to its two ring neighbours: everyone sees a majority, no two the same one.
        const order = shuffle(ids, this.rng);
        const pos = new Map(order.map((id, k) => [id, k]));
        const cut: string[] = [];
        for (const i of ids) {
          for (const j of ids) {
            if (i === j) continue;
            const d = Math.abs(pos.get(i)! - pos.get(j)!);
            if (d !== 1 && d !== n - 1) cut.push(`${i}->${j}`);
          }
        }
        c.cutLinks(cut);
        return `partition majority ring ${order.join('-')}`;
      }
      case 'bridge': {
        // Three nodes: one bridge sees both others, which cannot see each other.
        const [bridge, a, b] = shuffle(ids, this.rng) as [number, number, number];
        c.cutLinks([`${a}->${b}`, `${b}->${a}`]);
        return `partition bridge node${bridge} between node${a} and node${b}`;
      }
      case 'one-way': {
        const from = this.rng.pick(ids);
        c.cutLinks(ids.filter((j) => j !== from).map((j) => `${from}->${j}`));
        return `partition one-way: node${from} cannot send`;
      }
      case 'coordinator': {
        c.cutLinks(ids.map((j) => `c->${j}`));
        return 'partition coordinator from all participants';
      }
      default:
        throw new Error(`unknown partition shape ${shape}`);
    }
  }
}

function shuffle<T>(items: readonly T[], rng: SeededRng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.intBetween(0, i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

