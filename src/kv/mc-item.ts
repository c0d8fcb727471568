/**
 * How a memcached item lives in the shared KV data, so every door sees the
 * same key: an item with flags 0 is stored as its bytes exactly (a Redis GET
 * or a lab GET reads them unchanged); an item with other flags is stored as
 * FLAGGED_MAGIC + flags (4 bytes, big-endian) + its bytes, a 9-byte header
 * the other doors show as part of the value. A value written by another
 * door is an item with flags 0, unless it happens to begin with the magic
 * (five bytes with a NUL at each end: only on purpose).
 *
 * CAS unique: memcached gives every write a new 64-bit number; kvstore keeps
 * no per-key counter, so an item's cas is a 64-bit digest of its stored bytes
 * (header included): any change of value or flags changes it. Writing the
 * same bytes again keeps it (memcached would change it): an ABA write that
 * restores the exact bytes is not detected.
 */
import { createHash } from 'node:crypto';

export const FLAGGED_MAGIC = Buffer.from([0x00, 0x6d, 0x63, 0x66, 0x00]); // "\0mcf\0"
export const FLAGGED_HEADER_BYTES = FLAGGED_MAGIC.length + 4;
/** Largest client flags value (memcached 1.2.1+: 32 bits). */
export const FLAGS_MAX = 0xffff_ffff;

export interface McItem {
  readonly flags: number;
  readonly data: Buffer;
}

function isFlagged(stored: Buffer): boolean {
  return stored.length >= FLAGGED_HEADER_BYTES && stored.subarray(0, FLAGGED_MAGIC.length).equals(FLAGGED_MAGIC);
}

/** The stored bytes of an item. Invariant: decodeItem(encodeItem(i)) equals i. */
export function encodeItem(flags: number, data: Buffer): Buffer {
  if (flags === 0) return data;
  const head = Buffer.alloc(FLAGGED_HEADER_BYTES);
  FLAGGED_MAGIC.copy(head);
  head.writeUInt32BE(flags, FLAGGED_MAGIC.length);
  return Buffer.concat([head, data]);
}

export function decodeItem(stored: Buffer): McItem {
  if (!isFlagged(stored)) return { flags: 0, data: stored };
  return { flags: stored.readUInt32BE(FLAGGED_MAGIC.length), data: stored.subarray(FLAGGED_HEADER_BYTES) };
}

/** The item's cas unique: a digest of its stored bytes, never 0 (decimal text: beyond a safe JS number). */
export function casOf(stored: Buffer): string {
  const n = createHash('sha1').update(stored).digest().readBigUInt64BE(0);
  return (n === 0n ? 1n : n).toString();
}
