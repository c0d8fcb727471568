import { assert } from '../../raft/assert.js';

/**
 * Key -> slot, exactly as Redis Cluster does it (redis/redis `src/cluster.c`
 * keyHashSlot, `src/crc16.c`): slot = CRC16(key or its hash tag) mod 16384.
 * Clients that compute slots themselves (cluster-mode libraries,
 * `redis-benchmark --cluster`, `{tag}` keys chosen to land together) get the
 * same answer from us as from Redis.
 */

/** Slots in the key space (Redis's CLUSTER_SLOTS). Invariant: a power of two. */
export const SLOTS = 16384;
assert(SLOTS > 0 && (SLOTS & (SLOTS - 1)) === 0, 'SLOTS is a power of two, so mod is a mask');

/** CRC-16/XMODEM: polynomial x^16 + x^12 + x^5 + 1, initial value 0, no reflection, no final xor. */
const CRC16_POLY = 0x1021;

const OPEN_BRACE = 0x7b; // '{'
const CLOSE_BRACE = 0x7d; // '}'

/**
 * The CRC of each byte value shifted to the top of the register, computed
 * once at module load from the polynomial, one bit at a time. The per-byte
 * loop in crc16 then costs one lookup instead of eight shifts.
 */
const CRC16_TABLE: Uint16Array = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? (crc << 1) ^ CRC16_POLY : crc << 1;
    }
    table[byte] = crc & 0xffff;
  }
  return table;
})();

/** CRC-16/XMODEM of bytes[start, end); the check value of "123456789" is 0x31C3. */
export function crc16(bytes: Uint8Array, start = 0, end = bytes.length): number {
  assert(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= bytes.length, 'crc16 range within the bytes');
  let crc = 0;
  for (let i = start; i < end; i++) {
    // Both indexes are in range by construction: i < end <= length, and a byte xor a byte is a byte.
    crc = ((crc << 8) ^ CRC16_TABLE[((crc >>> 8) ^ bytes[i]!) & 0xff]!) & 0xffff;
  }
  return crc;
}

/**
 * The slot of a key (0 .. SLOTS-1). Redis hash tags: if the key has a `{`
 * and a `}` somewhere after it, and at least one byte lies between the
 * first `{` and the first `}` after it, only those bytes are hashed, so
 * `{user1000}.following` and `{user1000}.followers` share a slot. An empty
 * tag (`foo{}{bar}`) or a `{` never closed hashes the whole key.
 */
export function keySlot(key: Uint8Array): number {
  const open = key.indexOf(OPEN_BRACE);
  if (open >= 0) {
    const close = key.indexOf(CLOSE_BRACE, open + 1);
    if (close > open + 1) return crc16(key, open + 1, close) & (SLOTS - 1);
  }
  return crc16(key) & (SLOTS - 1);
}

/**
 * keySlot of a key held as latin1 text (one char per byte, as the state
 * machine keeps keys), without making a Buffer: the same slot, byte for
 * byte (a property test checks the two agree).
 */
export function keySlotOfLatin1(key: string): number {
  let start = 0;
  let end = key.length;
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) {
      start = open + 1;
      end = close;
    }
  }
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) ^ CRC16_TABLE[((crc >>> 8) ^ key.charCodeAt(i)) & 0xff]!) & 0xffff;
  return crc & (SLOTS - 1);
}
