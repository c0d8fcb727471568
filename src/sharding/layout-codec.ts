import { LAYOUT_LIMITS, layoutProblem, type Layout } from './layout.js';
import { SLOTS } from './slot.js';

/**
 * A layout as a plain value (JSON and msgpackr alike), for a participant's
 * data dir and for the wire. Stable: the same layout always encodes to the
 * same value with the same key order, so encodings can be compared as
 * bytes. `version` names the placement and slot rules of layout.ts; a
 * change to either is a new version, never a silent reinterpretation of
 * stored layouts. `slots` is stored so that a build with another slot
 * count refuses the layout instead of routing keys elsewhere.
 */
export const LAYOUT_ENCODING_VERSION = 1;

export interface EncodedLayout {
  readonly version: typeof LAYOUT_ENCODING_VERSION;
  readonly slots: number;
  readonly groups: number;
  readonly replicas: number;
  /** In rank order, as in Layout. */
  readonly participants: readonly string[];
}

const ENCODED_KEYS = ['version', 'slots', 'groups', 'replicas', 'participants'] as const;

/** What decodeLayout found: a layout, or why the value is not one. */
export type DecodedLayout =
  | { readonly ok: true; readonly layout: Layout }
  | { readonly ok: false; readonly reason: string };

export function encodeLayout(layout: Layout): EncodedLayout {
  return { version: LAYOUT_ENCODING_VERSION, slots: SLOTS, groups: layout.groups, replicas: layout.replicas, participants: [...layout.participants] };
}

function refuse(reason: string): DecodedLayout {
  return { ok: false, reason: `not a layout: ${reason}` };
}

/** A short, bounded description of a value for a reason string. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'number':
      return String(value);
    case 'string':
      return `the string ${JSON.stringify(value.slice(0, 40))}`;
    case 'undefined':
      return 'undefined';
    case 'object':
      return 'an object';
    default:
      return `a ${typeof value}`;
  }
}

/**
 * The layout a stored or received value holds. Strict: a plain object with
 * exactly the keys of EncodedLayout, this version and slot count, and parts
 * that pass layoutProblem (participants already in rank order). Anything
 * else yields a reason; it never throws on plain data.
 */
export function decodeLayout(value: unknown): DecodedLayout {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return refuse(`expected an object, got ${describe(value)}`);
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return refuse('expected a plain object');
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  const extra = keys.find((k) => !(ENCODED_KEYS as readonly string[]).includes(k));
  if (extra !== undefined) return refuse(`unknown field ${JSON.stringify(extra.slice(0, 40))}`);
  const missing = ENCODED_KEYS.find((k) => !keys.includes(k));
  if (missing !== undefined) return refuse(`missing field ${missing}`);
  const { version, slots, groups, replicas, participants } = record;
  if (version !== LAYOUT_ENCODING_VERSION) return refuse(`version must be ${LAYOUT_ENCODING_VERSION}, got ${describe(version)}`);
  if (slots !== SLOTS) return refuse(`slots must be ${SLOTS}, got ${describe(slots)}`);
  if (typeof groups !== 'number') return refuse(`groups must be a number, got ${describe(groups)}`);
  if (typeof replicas !== 'number') return refuse(`replicas must be a number, got ${describe(replicas)}`);
  if (!Array.isArray(participants)) return refuse(`participants must be an array, got ${describe(participants)}`);
  // Bounded before the elements are looked at.
  if (participants.length > LAYOUT_LIMITS.participantsMax) return refuse(`${participants.length} participants, more than ${LAYOUT_LIMITS.participantsMax}`);
  const addresses: string[] = [];
  for (const [k, p] of participants.entries()) {
    if (typeof p !== 'string') return refuse(`participant ${k + 1} must be a string, got ${describe(p)}`);
    addresses.push(p);
  }
  const problem = layoutProblem(addresses, groups, replicas);
  if (problem !== null) return refuse(problem.reason);
  return { ok: true, layout: Object.freeze({ groups, replicas, participants: Object.freeze(addresses) }) };
}
