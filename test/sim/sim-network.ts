import { assert } from '../../raft/assert.js';
import type { Message } from '../../raft/messages.js';
import type { SeededRng } from '../../raft/rng.js';
import type { NodeId } from '../../raft/types.js';

/** The longest a message may spend in flight, in ticks (sizes the delay ring). */
export const DELAY_TICKS_MAX = 64;
/** Messages in flight at once; beyond it the network drops (a full socket buffer). */
export const INFLIGHT_MSGS_MAX = 100_000;

/** The network's current weather; the nemesis changes it over a run. */
export interface LinkFaults {
  /** Probability a message is lost. */
  readonly dropRate: number;
  /** Probability a message is delivered twice (each copy with its own delay). */
  readonly dupRate: number;
  /** Delay range in ticks, inclusive. Invariant: 1 <= min <= max <= DELAY_TICKS_MAX. */
  readonly delayTicksMin: number;
  readonly delayTicksMax: number;
  /** Probability that a tick's deliveries are shuffled (reordering beyond delays). */
  readonly shuffleRate: number;
}

export const CALM_LINKS: LinkFaults = {
  dropRate: 0,
  dupRate: 0,
  delayTicksMin: 1,
  delayTicksMax: 2,
  shuffleRate: 0,
};

export const DROP_REASONS = ['loss', 'partition', 'overflow'] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** What became of one message this tick. */
export type Fate =
  | { readonly msg: Message; readonly group: number; readonly delivered: true; readonly copy: boolean }
  | { readonly msg: Message; readonly group: number; readonly delivered: false; readonly copy: boolean; readonly reason: DropReason };

interface InFlight {
  readonly msg: Message;
  /** The Raft group the message belongs to (the frame names it, as kvproto's RaftMessage does). */
  readonly group: number;
  /** A duplicate: its fate must not be reported to the sender a second time. */
  readonly copy: boolean;
}

/**
 * A seeded virtual network. Every message gets a random delay (which
 * reorders), may be dropped or duplicated, and is cut by partitions, which
 * are sets of blocked one-way links (a two-way partition blocks both
 * directions). Links are checked at delivery time, so a partition also
 * loses what was already in flight.
 * Links join processes (node ids): every group's messages between two
 * processes share their fate under a partition.
 * Fates are decided when a message falls due, never inside send(): send()
 * runs in the middle of a host loop turn, where nothing may be reported back.
 */
export class SimNetwork {
  faults: LinkFaults = CALM_LINKS;
  /** Blocked directed links, key from * 4096 + to. */
  private readonly blocked = new Set<number>();
  /** Invariant: ring[t % ring.length] holds the messages due at tick t; ring.length > DELAY_TICKS_MAX. */
  private readonly ring: InFlight[][];
  /** The current tick. Invariant: messages in flight are due in (now, now + DELAY_TICKS_MAX]. */
  private now = -1;
  private inflight = 0;
  /** Totals for the campaign report. */
  sent = 0;
  droppedCount = 0;
  duplicated = 0;

  constructor(private readonly rng: SeededRng) {
    this.ring = Array.from({ length: DELAY_TICKS_MAX + 1 }, () => []);
  }

  setFaults(f: LinkFaults): void {
    assert(f.delayTicksMin >= 1 && f.delayTicksMin <= f.delayTicksMax, 'network: 1 <= delayTicksMin <= delayTicksMax');
    assert(f.delayTicksMax <= DELAY_TICKS_MAX, () => `network: delayTicksMax ${f.delayTicksMax} > ${DELAY_TICKS_MAX}`);
    this.faults = f;
  }

  /** Queues messages of `group` sent at the current tick; they fall due at least one tick later. */
  send(msgs: readonly Message[], group = 1): void {
    for (const msg of msgs) this.sendOne(msg, group);
  }

  sendOne(msg: Message, group: number): void {
    this.sent++;
    this.enqueue(msg, group, false);
    // A snapshot is reported to its sender once; never duplicate it.
    if (msg.type !== 'snap' && this.faults.dupRate > 0 && this.rng.chance(this.faults.dupRate)) {
      this.duplicated++;
      this.enqueue(msg, group, true);
    }
  }

  /** Starts tick `tick`: must be called for every tick, in order, before takeDue(). */
  beginTick(tick: number): void {
    assert(tick === this.now + 1, () => `network: beginTick(${tick}) after tick ${this.now}`);
    assert(this.now < 0 || this.ring[this.now % this.ring.length]!.length === 0, 'network: previous tick not drained');
    this.now = tick;
  }

  /**
   * The fate of every message due at the current tick. Messages sent while
   * handling them are due at a later tick (delay >= 1).
   */
  takeDue(): Fate[] {
    const slot = this.now % this.ring.length;
    const due = this.ring[slot]!;
    this.ring[slot] = [];
    this.inflight -= due.length;
    if (due.length > 1 && this.faults.shuffleRate > 0 && this.rng.chance(this.faults.shuffleRate)) {
      for (let i = due.length - 1; i > 0; i--) {
        const j = this.rng.intBetween(0, i + 1);
        const tmp = due[i]!;
        due[i] = due[j]!;
        due[j] = tmp;
      }
    }
    const fates: Fate[] = [];
    for (const { msg, group, copy } of due) {
      if (this.isBlocked(msg.from, msg.to)) {
        this.droppedCount++;
        fates.push({ msg, group, delivered: false, copy, reason: 'partition' });
      } else if (this.faults.dropRate > 0 && this.rng.chance(this.faults.dropRate)) {
        this.droppedCount++;
        fates.push({ msg, group, delivered: false, copy, reason: 'loss' });
      } else {
        fates.push({ msg, group, delivered: true, copy });
      }
    }
    return fates;
  }

  /** Messages dropped because the network was full are reported through here. */
  private overflow: Fate[] = [];
  takeOverflow(): Fate[] {
    const out = this.overflow;
    this.overflow = [];
    return out;
  }

  inflightCount(): number {
    return this.inflight;
  }

  block(from: NodeId, to: NodeId): void {
    this.blocked.add(linkKey(from, to));
  }

  blockBoth(a: NodeId, b: NodeId): void {
    this.block(a, b);
    this.block(b, a);
  }

  /** Cuts `side` off from everyone in `others`, both ways. */
  partition(side: readonly NodeId[], others: readonly NodeId[]): void {
    for (const a of side) for (const b of others) this.blockBoth(a, b);
  }

  healAll(): void {
    this.blocked.clear();
  }

  isBlocked(from: NodeId, to: NodeId): boolean {
    return this.blocked.size > 0 && this.blocked.has(linkKey(from, to));
  }

  blockedLinks(): number {
    return this.blocked.size;
  }

  /** `n1-x>n2 n3-x>n1 ...` for trace lines, sorted so output is stable. */
  describeBlocked(): string {
    return [...this.blocked]
      .sort((x, y) => x - y)
      .map((k) => `n${Math.floor(k / 4096)}-x>n${k % 4096}`)
      .join(' ');
  }

  private enqueue(msg: Message, group: number, copy: boolean): void {
    if (this.inflight >= INFLIGHT_MSGS_MAX) {
      this.droppedCount++;
      this.overflow.push({ msg, group, delivered: false, copy, reason: 'overflow' });
      return;
    }
    const { delayTicksMin, delayTicksMax } = this.faults;
    const delay = delayTicksMin === delayTicksMax ? delayTicksMin : this.rng.intBetween(delayTicksMin, delayTicksMax + 1);
    assert(this.now >= 0, 'network: send before the first tick');
    const due = this.now + delay;
    this.ring[due % this.ring.length]!.push({ msg, group, copy });
    this.inflight++;
  }
}

function linkKey(from: NodeId, to: NodeId): number {
  assert(from < 4096 && to < 4096, 'network: node ids below 4096');
  return from * 4096 + to;
}
