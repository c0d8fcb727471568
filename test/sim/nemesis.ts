import type { SeededRng } from '../../raft/rng.js';
import type { NodeId } from '../../raft/types.js';
import { CRASH_MODES } from './sim-process.js';
import type { SimProcess } from './sim-process.js';
import { CALM_LINKS, DELAY_TICKS_MAX } from './sim-network.js';
import type { LinkFaults, SimNetwork } from './sim-network.js';
import type { Trace } from './trace.js';

/** A process told to crash at a point of its next disk batch that has none within this many ticks crashes between turns. */
export const CRASH_PENDING_TICKS_MAX = 5;

/** How hostile one seed's run is. Rates are per tick. */
export interface NemesisParams {
  readonly faultRate: number;
  readonly downTicksMin: number;
  readonly downTicksMax: number;
  readonly partitionTicksMin: number;
  readonly partitionTicksMax: number;
  /** Processes down at once (a majority may go down: safety must still hold). */
  readonly maxDown: number;
  /** Worst link weather this seed may see. */
  readonly dropRateMax: number;
  readonly dupRateMax: number;
  readonly delayTicksMax: number;
}

/** The part of the cluster the nemesis acts on. */
export interface NemesisCluster {
  readonly tick: number;
  readonly net: SimNetwork;
  readonly trace: Trace;
  processes(): readonly SimProcess[];
  groupIds(): readonly number[];
  leader(group: number): SimProcess | undefined;
  restart(p: SimProcess): void;
}

export const FAULT_KINDS = [
  'partitionHalves',
  'isolateLeader',
  'oneWayLink',
  'heal',
  'crash',
  'crashLeader',
  'restart',
  'weather',
  'calm',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * The fault schedule: every tick it may partition the network (random
 * halves, an isolated leader, one-way links), crash a process (every group
 * it hosts) at a random point of its host loop, restart one, or change the
 * link weather (loss, duplication, delay). Partitions heal and crashed
 * processes restart after random spells, all drawn from the seed.
 */
export class Nemesis {
  private healAt = -1;
  /** Process id -> tick at which it restarts. */
  private readonly restartAt = new Map<NodeId, number>();
  /** Process id -> tick by which a pending crash must have happened. */
  private readonly crashBy = new Map<NodeId, number>();
  readonly counts = new Map<FaultKind, number>();
  faults = 0;

  constructor(
    private readonly rng: SeededRng,
    private readonly cluster: NemesisCluster,
    private readonly p: NemesisParams,
  ) {}

  step(): void {
    const now = this.cluster.tick;
    this.settleCrashes(now);
    for (const [id, at] of [...this.restartAt]) {
      if (at > now) continue;
      this.restartAt.delete(id);
      const n = this.cluster.processes().find((x) => x.id === id);
      if (n !== undefined && !n.up && !n.retired) this.cluster.restart(n);
    }
    if (this.healAt >= 0 && now >= this.healAt) this.heal();
    if (this.rng.chance(this.p.faultRate)) this.inject(this.rng.pick(FAULT_KINDS));
  }

  /** Faults stop: heal, calm links, restart everyone, cancel pending crashes. */
  stop(): void {
    this.heal();
    this.cluster.net.setFaults({ ...CALM_LINKS, delayTicksMax: 3 });
    this.crashBy.clear();
    this.restartAt.clear();
    for (const n of this.cluster.processes()) {
      n.crashPending = undefined;
      if (!n.up && !n.retired) this.cluster.restart(n);
    }
    this.cluster.trace.event(this.cluster.tick, 'nemesis: faults stop (healed, all restarted)');
  }

  private inject(kind: FaultKind): void {
    const done = this.apply(kind);
    if (!done) return;
    this.faults++;
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
  }

  private apply(kind: FaultKind): boolean {
    const net = this.cluster.net;
    const members = this.cluster.processes().filter((n) => !n.retired);
    const ids = members.map((n) => n.id);
    const event = (text: string): void => this.cluster.trace.event(this.cluster.tick, `nemesis: ${text}`);
    switch (kind) {
      case 'partitionHalves': {
        if (ids.length < 2) return false;
        const shuffled = this.shuffle(ids);
        const k = this.rng.intBetween(1, shuffled.length);
        const side = shuffled.slice(0, k).sort((a, b) => a - b);
        const rest = shuffled.slice(k).sort((a, b) => a - b);
        net.partition(side, rest);
        this.scheduleHeal();
        event(`partition [${side.join(',')}] | [${rest.join(',')}]`);
        return true;
      }
      case 'isolateLeader': {
        const leader = this.someLeader();
        if (leader === undefined) return false;
        net.partition([leader.id], ids.filter((id) => id !== leader.id));
        this.scheduleHeal();
        event(`isolate leader n${leader.id}`);
        return true;
      }
      case 'oneWayLink': {
        if (ids.length < 2) return false;
        const leader = this.someLeader();
        const a = leader !== undefined && this.rng.chance(0.5) ? leader.id : this.rng.pick(ids);
        const b = this.rng.pick(ids.filter((id) => id !== a));
        if (this.rng.chance(0.5)) net.block(a, b);
        else net.block(b, a);
        this.scheduleHeal();
        event(`one-way cut ${net.describeBlocked()}`);
        return true;
      }
      case 'heal':
        if (net.blockedLinks() === 0) return false;
        this.heal();
        return true;
      case 'crash':
        return this.crash(this.rng.pick(members));
      case 'crashLeader': {
        const leader = this.someLeader();
        return leader !== undefined && this.crash(leader);
      }
      case 'restart': {
        const down = members.filter((n) => !n.up);
        if (down.length === 0) return false;
        const n = this.rng.pick(down);
        this.restartAt.delete(n.id);
        this.cluster.restart(n);
        return true;
      }
      case 'weather': {
        const f: LinkFaults = {
          dropRate: this.rng.next() * this.p.dropRateMax,
          dupRate: this.rng.next() * this.p.dupRateMax,
          delayTicksMin: 1,
          delayTicksMax: this.rng.intBetween(1, Math.min(this.p.delayTicksMax, DELAY_TICKS_MAX) + 1),
          shuffleRate: this.rng.next(),
        };
        net.setFaults(f);
        event(
          `weather drop=${f.dropRate.toFixed(2)} dup=${f.dupRate.toFixed(2)} delay=1..${f.delayTicksMax} shuffle=${f.shuffleRate.toFixed(2)}`,
        );
        return true;
      }
      case 'calm':
        net.setFaults(CALM_LINKS);
        event('weather calm');
        return true;
      default: {
        const never: never = kind;
        return never;
      }
    }
  }

  /** The leader of the only group, or of a random one. */
  private someLeader(): SimProcess | undefined {
    const groups = this.cluster.groupIds();
    return this.cluster.leader(groups.length === 1 ? groups[0]! : this.rng.pick(groups));
  }

  private crash(n: SimProcess): boolean {
    const down = this.cluster.processes().filter((x) => !x.retired && (!x.up || x.crashPending !== undefined)).length;
    if (!n.up || n.crashPending !== undefined || down >= this.p.maxDown) return false;
    const now = this.cluster.tick;
    const downTicks = this.rng.intBetween(this.p.downTicksMin, this.p.downTicksMax + 1);
    this.restartAt.set(n.id, now + downTicks);
    if (this.rng.chance(0.25)) {
      n.crash('between turns');
    } else {
      n.crashPending = this.rng.pick(CRASH_MODES);
      this.crashBy.set(n.id, now + CRASH_PENDING_TICKS_MAX);
      this.cluster.trace.event(now, `nemesis: n${n.id} will crash ${n.crashPending} (down ${downTicks} ticks)`);
    }
    return true;
  }

  /** Pending crashes whose process wrote nothing in time happen now, between turns. */
  private settleCrashes(now: number): void {
    for (const [id, by] of [...this.crashBy]) {
      const n = this.cluster.processes().find((x) => x.id === id);
      if (n === undefined || !n.up || n.crashPending === undefined) {
        this.crashBy.delete(id);
      } else if (now >= by) {
        this.crashBy.delete(id);
        n.crash('between turns (deadline)');
      }
    }
  }

  private heal(): void {
    this.healAt = -1;
    if (this.cluster.net.blockedLinks() === 0) return;
    this.cluster.net.healAll();
    this.cluster.trace.event(this.cluster.tick, 'nemesis: heal all links');
  }

  private scheduleHeal(): void {
    const spell = this.rng.intBetween(this.p.partitionTicksMin, this.p.partitionTicksMax + 1);
    this.healAt = Math.max(this.healAt, this.cluster.tick + spell);
  }

  private shuffle<T>(xs: readonly T[]): T[] {
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.rng.intBetween(0, i + 1);
      const t = out[i]!;
      out[i] = out[j]!;
      out[j] = t;
    }
    return out;
  }
}
