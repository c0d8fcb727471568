import { assert } from '../../raft/assert.js';
import { addressProblem, formatEndpoint, type Endpoint } from '../config/address.js';
import { LayoutError, type LayoutErrorCode } from './layout-error.js';
import { addressKey, rankAddresses } from './rank.js';
import { SLOTS } from './slot.js';

/**
 * The cluster layout: which Raft groups exist, which participants hold each
 * one, and which slots each one owns. Pure data plus pure functions of it;
 * the coordinator and every participant compute the same answers from the
 * same layout, so nothing here may depend on anything but the layout.
 *
 * Placement (static, decided once from the coordinator's config):
 * - Participants are ranked by address (rank.ts): participant id k+1 is
 *   `participants[k]`, ids 1..P.
 * - Group g (1..N) lives on R participants in ring order starting at
 *   participant ((g-1) mod P) + 1: for P = 3, R = 3, group 1 is on 1, 2, 3,
 *   group 2 on 2, 3, 1, group 3 on 3, 1, 2, group 4 on 1, 2, 3 again.
 *   The first of them is the group's preferred leader, so with every
 *   participant alive each leads N/P groups (rounded up or down).
 * - Slots are cut into N contiguous ranges in group order, as even as
 *   possible: the first SLOTS mod N groups own one slot more than the rest.
 */
export interface Layout {
  /** N: groups, with ids 1..groups. Invariant: 1 <= groups <= groupsMax. */
  readonly groups: number;
  /** R: replicas of each group. Invariant: 1 <= replicas <= participants.length. */
  readonly replicas: number;
  /**
   * `IP:PORT` of each participant in rank order: id k+1 is participants[k].
   * Invariant: non-empty, at most participantsMax, valid addresses, distinct
   * by addressKey, sorted by addressKey.
   */
  readonly participants: readonly string[];
}

export const LAYOUT_LIMITS = {
  /** Participants in one layout; the same as the config's addressesMax. */
  participantsMax: 256,
  /** Groups: each owns at least one slot. */
  groupsMax: SLOTS,
  /** R when the config names none, capped at the number of participants (Raft's usual 3: one may fail). */
  replicasDefault: 3,
} as const;

export interface LayoutOptions {
  /** N; default: one group per participant. */
  readonly groups?: number | undefined;
  /** R; default: min(replicasDefault, participants). */
  readonly replicas?: number | undefined;
}

/** What is wrong with the parts of a layout, or null if they make one. */
export interface LayoutProblem {
  readonly code: LayoutErrorCode;
  readonly reason: string;
}

/**
 * The layout of these participants (in any order: they are ranked here).
 * Throws LayoutError on a bad participant list, `groups` or `replicas`.
 */
export function makeLayout(participants: ReadonlyArray<string | Endpoint>, options: LayoutOptions = {}): Layout {
  const texts = participants.map((p) => (typeof p === 'string' ? p : formatEndpoint(p)));
  // Addresses are checked before ranking: a garbage address has no rank.
  for (const text of texts) {
    const bad = addressProblem(text);
    if (bad !== null) throw new LayoutError('BAD_ADDRESS', bad);
  }
  const ranked = rankAddresses(texts).map((r) => r.address);
  const groups = options.groups ?? ranked.length;
  const replicas = options.replicas ?? Math.min(LAYOUT_LIMITS.replicasDefault, ranked.length);
  const problem = layoutProblem(ranked, groups, replicas);
  if (problem !== null) throw new LayoutError(problem.code, problem.reason);
  return Object.freeze({ groups, replicas, participants: Object.freeze(ranked) });
}

/**
 * Checks every invariant of Layout on its parts; `participants` must
 * already be in rank order (a caller that ranked them cannot get that one
 * wrong; a decoder of stored or received layouts can).
 */
export function layoutProblem(participants: readonly string[], groups: number, replicas: number): LayoutProblem | null {
  if (participants.length === 0) return { code: 'NO_PARTICIPANTS', reason: 'no participants' };
  if (participants.length > LAYOUT_LIMITS.participantsMax) {
    return { code: 'TOO_MANY_PARTICIPANTS', reason: `${participants.length} participants, more than ${LAYOUT_LIMITS.participantsMax}` };
  }
  let previousKey = '';
  for (const [k, address] of participants.entries()) {
    const bad = addressProblem(address);
    if (bad !== null) return { code: 'BAD_ADDRESS', reason: `participant ${k + 1}: ${bad}` };
    const key = addressKey(address);
    if (key === previousKey) return { code: 'DUPLICATE_ADDRESS', reason: `participant ${address} is listed twice` };
    if (key < previousKey) return { code: 'NOT_RANKED', reason: `participants are not in rank order: ${address} comes after ${participants[k - 1]}` };
    previousKey = key;
  }
  if (!Number.isSafeInteger(groups) || groups < 1 || groups > LAYOUT_LIMITS.groupsMax) {
    return { code: 'BAD_GROUPS', reason: `groups must be an integer in 1..${LAYOUT_LIMITS.groupsMax}, got ${groups}` };
  }
  if (!Number.isSafeInteger(replicas) || replicas < 1 || replicas > participants.length) {
    return { code: 'BAD_REPLICAS', reason: `replicas must be an integer in 1..${participants.length} (the number of participants), got ${replicas}` };
  }
  return null;
}

function assertGroup(layout: Layout, g: number): void {
  assert(Number.isInteger(g) && g >= 1 && g <= layout.groups, () => `group ${g} is not in 1..${layout.groups}`);
}

function assertParticipant(layout: Layout, id: number): void {
  assert(Number.isInteger(id) && id >= 1 && id <= layout.participants.length, () => `participant ${id} is not in 1..${layout.participants.length}`);
}

/** The participant id that follows `id` `steps` places later in ring order. */
function ringStep(layout: Layout, id: number, steps: number): number {
  return ((id - 1 + steps) % layout.participants.length) + 1;
}

/** The participants holding group g, preferred leader first, then in ring order. */
export function groupReplicas(layout: Layout, g: number): number[] {
  assertGroup(layout, g);
  const first = ringStep(layout, 1, g - 1);
  return Array.from({ length: layout.replicas }, (_, i) => ringStep(layout, first, i));
}

/** The groups participant `id` holds a replica of, in group order. */
export function groupsOf(layout: Layout, id: number): number[] {
  assertParticipant(layout, id);
  const p = layout.participants.length;
  const out: number[] = [];
  for (let g = 1; g <= layout.groups; g++) {
    // id is in group g iff it lies within `replicas` ring steps of the group's first replica.
    const first = ringStep(layout, 1, g - 1);
    if ((id - first + p) % p < layout.replicas) out.push(g);
  }
  return out;
}

/** The participant that should lead group g when it is alive: its first replica. */
export function preferredLeader(layout: Layout, g: number): number {
  assertGroup(layout, g);
  return ringStep(layout, 1, g - 1);
}

/** A contiguous, inclusive range of slots. Invariant: 0 <= first <= last < SLOTS. */
export interface SlotRange {
  readonly first: number;
  readonly last: number;
}

/** Slots in every group's range (the first `extra` groups own one more). */
function slotSplit(layout: Layout): { base: number; extra: number } {
  return { base: Math.floor(SLOTS / layout.groups), extra: SLOTS % layout.groups };
}

/** The slots group g owns. The ranges of groups 1..N tile 0..SLOTS-1 in order. */
export function slotRange(layout: Layout, g: number): SlotRange {
  assertGroup(layout, g);
  const { base, extra } = slotSplit(layout);
  const first = (g - 1) * base + Math.min(g - 1, extra);
  const size = base + (g <= extra ? 1 : 0);
  return { first, last: first + size - 1 };
}

/** The group owning a slot, in O(1). Inverse of slotRange. */
export function groupOfSlot(layout: Layout, slot: number): number {
  assert(Number.isInteger(slot) && slot >= 0 && slot < SLOTS, () => `slot ${slot} is not in 0..${SLOTS - 1}`);
  const { base, extra } = slotSplit(layout);
  // The first `extra` groups own base+1 slots each, the rest own base (>= 1, as groups <= SLOTS).
  const bigSlots = extra * (base + 1);
  return slot < bigSlots ? Math.floor(slot / (base + 1)) + 1 : extra + Math.floor((slot - bigSlots) / base) + 1;
}

/**
 * The same layout: the same N and R and the same participants by socket
 * address (`localhost:8002` equals `127.0.0.1:8002`), hence the same ids.
 */
export function layoutEquals(a: Layout, b: Layout): boolean {
  return (
    a.groups === b.groups &&
    a.replicas === b.replicas &&
    a.participants.length === b.participants.length &&
    a.participants.every((address, k) => addressKey(address) === addressKey(b.participants[k]!))
  );
}
