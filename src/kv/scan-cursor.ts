import { assert } from '../../raft/assert.js';
import { SLOTS } from '../sharding/slot.js';

/**
 * Where a SCAN stands in kvstore's key order: by slot (0..16383, Redis
 * Cluster's slot of the key), then by a 48-bit hash of the key within its
 * slot. Every replica of every group orders the same keys the same way, so
 * a cursor means the same thing whichever leader serves the next call, and
 * groups own contiguous slot ranges, so one order covers every group.
 *
 * The client sees it as Redis does, an unsigned 64-bit decimal:
 * cursor = slot * 2^48 + hash. 0 is the start (slot 0, hash 0) and, in a
 * reply, the end: a position after some key is never (0, 0).
 *
 * Guarantee (as Redis's SCAN): a key present for the whole iteration is
 * returned at least once: positions only grow, every key at or after the
 * cursor's position is still ahead, and keys of one (slot, hash) are always
 * returned together. A key added or removed meanwhile may or may not be.
 */
export interface ScanPosition {
  /** Invariant: 0 <= slot <= SLOTS; SLOTS means past the last slot. */
  readonly slot: number;
  /** Invariant: 0 <= hash < 2^48. */
  readonly hash: number;
}

export const HASH_BITS = 48;
const HASH_SPAN = 2 ** HASH_BITS;
const UINT64_MAX = 2n ** 64n - 1n;

export const SCAN_START: ScanPosition = Object.freeze({ slot: 0, hash: 0 });

export function assertPosition(p: ScanPosition): void {
  assert(Number.isInteger(p.slot) && p.slot >= 0 && p.slot <= SLOTS, () => `scan position: slot ${p.slot} outside 0..${SLOTS}`);
  assert(Number.isInteger(p.hash) && p.hash >= 0 && p.hash < HASH_SPAN, () => `scan position: hash ${p.hash} outside 48 bits`);
}

/** The position right after every key of (slot, hash). */
export function after(slot: number, hash: number): ScanPosition {
  return hash + 1 < HASH_SPAN ? { slot, hash: hash + 1 } : { slot: slot + 1, hash: 0 };
}

/** Orders positions: negative when a comes first. */
export function comparePositions(a: ScanPosition, b: ScanPosition): number {
  return a.slot !== b.slot ? a.slot - b.slot : a.hash - b.hash;
}

/** The cursor a reply carries: "0" once the position is past the last slot. */
export function encodeCursor(p: ScanPosition): string {
  assertPosition(p);
  if (p.slot >= SLOTS) return '0';
  return ((BigInt(p.slot) << BigInt(HASH_BITS)) | BigInt(p.hash)).toString();
}

/**
 * A cursor as Redis 7's parseScanCursorOrReply reads it (db.c: strtoul in
 * base 10, nothing after the digits, no leading white space, no overflow;
 * a minus negates modulo 2^64, and the empty string is 0), or undefined:
 * `ERR invalid cursor`. A cursor beyond the last slot (never one kvstore
 * gave) is past the end: it iterates nothing.
 */
export function decodeCursor(text: string): ScanPosition | undefined {
  const n = parseUnsigned64(text);
  if (n === undefined) return undefined;
  const slot = n >> BigInt(HASH_BITS);
  if (slot >= BigInt(SLOTS)) return { slot: SLOTS, hash: 0 };
  return { slot: Number(slot), hash: Number(n & BigInt(HASH_SPAN - 1)) };
}

function parseUnsigned64(text: string): bigint | undefined {
  if (text === '') return 0n;
  const m = /^([+-]?)([0-9]+)$/.exec(text);
  if (m === null) return undefined;
  const n = BigInt(m[2]!);
  if (n > UINT64_MAX) return undefined; // ERANGE
  return m[1] === '-' ? (UINT64_MAX + 1n - n) & UINT64_MAX : n;
}

/**
 * A key's place within its slot: 48 bits from two 32-bit multiplicative
 * hashes of its bytes (latin1 text, one char per byte, as the state machine
 * keeps keys). Only needs to be the same everywhere and spread keys out.
 */
export function keyHash48(key: string): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x9747b28c;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h2 ^= h2 >>> 16;
  h2 = Math.imul(h2, 0xc2b2ae35);
  h2 ^= h2 >>> 16;
  return (h1 >>> 16) * 2 ** 32 + (h2 >>> 0);
}
