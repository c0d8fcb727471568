import { assert } from '../raft/assert.js';

/**
 * LevelDB keys. One byte names the kind; indexes follow as fixed-width
 * big-endian integers so LevelDB's bytewise order is numeric order and a
 * kind's keys form one contiguous range.
 *
 *   0x01                       format marker
 *   0x02                       hard state
 *   0x03                       snapshot meta (index, term, conf, chunk count, digest)
 *   0x04                       log start: index and term just before the first stored entry
 *   0x10 <index u64>           log entry
 *   0x20 <index u64> <n u32>   chunk n of the snapshot taken at index
 *   0x30 <utf8 name>           small node metadata (putMeta/getMeta)
 */
export const KEY_KINDS = {
  format: 0x01,
  hardState: 0x02,
  snapshotMeta: 0x03,
  logStart: 0x04,
  entry: 0x10,
  chunk: 0x20,
  meta: 0x30,
} as const;
export type KeyKind = keyof typeof KEY_KINDS;

const kindByByte = new Map<number, KeyKind>(
  (Object.keys(KEY_KINDS) as KeyKind[]).map((k) => [KEY_KINDS[k], k]),
);

/** Largest index a key can carry exactly (JS numbers are exact to 2^53). */
export const indexMax = Number.MAX_SAFE_INTEGER;
/** Snapshot chunk numbers are u32. */
export const chunkNumberMax = 0xffff_ffff;
/** Names of node metadata keys, in UTF-8 bytes. */
export const metaNameBytesMax = 255;

const TWO_32 = 2 ** 32;

/** Writes n as 8 big-endian bytes at `at` (byte stores: cheaper than a DataView per key). */
function writeU64(key: Uint8Array, at: number, n: number): void {
  assert(Number.isSafeInteger(n) && n >= 0, () => `key index ${n} not a safe non-negative integer`);
  const hi = Math.floor(n / TWO_32);
  const lo = n >>> 0;
  key[at] = hi >>> 24;
  key[at + 1] = (hi >>> 16) & 0xff;
  key[at + 2] = (hi >>> 8) & 0xff;
  key[at + 3] = hi & 0xff;
  key[at + 4] = lo >>> 24;
  key[at + 5] = (lo >>> 16) & 0xff;
  key[at + 6] = (lo >>> 8) & 0xff;
  key[at + 7] = lo & 0xff;
}

function readU64(view: DataView, at: number): number {
  return view.getUint32(at) * TWO_32 + view.getUint32(at + 4);
}

export function singletonKey(kind: 'format' | 'hardState' | 'snapshotMeta' | 'logStart'): Uint8Array {
  return Uint8Array.of(KEY_KINDS[kind]);
}

export function entryKey(index: number): Uint8Array {
  const key = new Uint8Array(9);
  key[0] = KEY_KINDS.entry;
  writeU64(key, 1, index);
  return key;
}

export function chunkKey(snapshotIndex: number, chunk: number): Uint8Array {
  assert(Number.isInteger(chunk) && chunk >= 0 && chunk <= chunkNumberMax, () => `chunk number ${chunk}`);
  const key = new Uint8Array(13);
  key[0] = KEY_KINDS.chunk;
  writeU64(key, 1, snapshotIndex);
  new DataView(key.buffer).setUint32(9, chunk);
  return key;
}

export function metaKey(name: string): Uint8Array {
  const bytes = new TextEncoder().encode(name);
  assert(bytes.length > 0 && bytes.length <= metaNameBytesMax, () => `meta name "${name}" must be 1..${metaNameBytesMax} bytes`);
  const key = new Uint8Array(1 + bytes.length);
  key[0] = KEY_KINDS.meta;
  key.set(bytes, 1);
  return key;
}

/** The key range holding every key of one kind: [gte, lt). */
export function kindRange(kind: KeyKind): { gte: Uint8Array; lt: Uint8Array } {
  const b = KEY_KINDS[kind];
  return { gte: Uint8Array.of(b), lt: Uint8Array.of(b + 1) };
}

/** A key taken apart; `undefined` kind when the first byte names no kind of ours. */
export type ParsedKey =
  | { readonly kind: 'format' | 'hardState' | 'snapshotMeta' | 'logStart' }
  | { readonly kind: 'entry'; readonly index: number }
  | { readonly kind: 'chunk'; readonly snapshotIndex: number; readonly chunk: number }
  | { readonly kind: 'meta'; readonly name: string };

/** Parses a stored key; returns a reason string when it is not one of ours. */
export function parseKey(key: Uint8Array): ParsedKey | string {
  const kind = key.length > 0 ? kindByByte.get(key[0]!) : undefined;
  if (kind === undefined) return `unknown key ${hex(key)}`;
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
  switch (kind) {
    case 'format':
    case 'hardState':
    case 'snapshotMeta':
    case 'logStart':
      return key.length === 1 ? { kind } : `malformed ${kind} key ${hex(key)}`;
    case 'entry':
      return key.length === 9 ? { kind, index: readU64(view, 1) } : `malformed entry key ${hex(key)}`;
    case 'chunk':
      return key.length === 13
        ? { kind, snapshotIndex: readU64(view, 1), chunk: view.getUint32(9) }
        : `malformed snapshot chunk key ${hex(key)}`;
    case 'meta': {
      try {
        const name = new TextDecoder('utf-8', { fatal: true }).decode(key.subarray(1));
        return name.length > 0 ? { kind, name } : `malformed meta key ${hex(key)}`;
      } catch {
        return `malformed meta key ${hex(key)}`;
      }
    }
  }
}

export function hex(bytes: Uint8Array, max = 24): string {
  const shown = Buffer.from(bytes.subarray(0, max)).toString('hex');
  return bytes.length > max ? `0x${shown}…` : `0x${shown}`;
}
