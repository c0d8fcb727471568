import { assert } from '../raft/assert.js';

/**
 * LevelDB keys of one process's database, shared by the Raft groups it
 * hosts. The first byte names the kind; integers follow as fixed-width
 * big-endian, so LevelDB's bytewise order is numeric order.
 *
 * Process kinds, one byte and no group:
 *   0x01                                       format marker
 *   0x02 <utf8 name>                           process metadata (ProcessStore.putMeta)
 * Group kinds, all behind the group byte and the group id, so one group's
 * keys are one contiguous range (groupRange) and its entries sort by index:
 *   0x10 <group u32> 0x02                      hard state
 *   0x10 <group u32> 0x03                      snapshot meta (index, term, conf, chunk count, digest)
 *   0x10 <group u32> 0x04                      log start: index and term just before the first stored entry
 *   0x10 <group u32> 0x10 <index u64>          log entry
 *   0x10 <group u32> 0x20 <index u64> <n u32>  chunk n of the snapshot taken at index
 *   0x10 <group u32> 0x30 <utf8 name>          group metadata (RaftStore.putMeta)
 */
export const PROCESS_KINDS = { format: 0x01, processMeta: 0x02 } as const;
export const GROUP_BYTE = 0x10;
export const GROUP_KINDS = {
  hardState: 0x02,
  snapshotMeta: 0x03,
  logStart: 0x04,
  entry: 0x10,
  chunk: 0x20,
  meta: 0x30,
} as const;
export type GroupKeyKind = keyof typeof GROUP_KINDS;
export type GroupSingletonKind = 'hardState' | 'snapshotMeta' | 'logStart';

const groupKindByByte = new Map<number, GroupKeyKind>(
  (Object.keys(GROUP_KINDS) as GroupKeyKind[]).map((k) => [GROUP_KINDS[k], k]),
);

/** Group ids are u32 and never 0. */
export const groupIdMax = 0xffff_ffff;
/** Largest index a key can carry exactly (JS numbers are exact to 2^53). */
export const indexMax = Number.MAX_SAFE_INTEGER;
/** Snapshot chunk numbers are u32. */
export const chunkNumberMax = 0xffff_ffff;
/** Names of metadata keys, in UTF-8 bytes. */
export const metaNameBytesMax = 255;

/** Bytes before a group key's kind byte: the group byte and the group id. */
const GROUP_PREFIX_BYTES = 5;
const TWO_32 = 2 ** 32;

export function isGroupId(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= groupIdMax;
}

/** Writes n as 8 big-endian bytes at `at` (byte stores: cheaper than a DataView per key). */
function writeU64(key: Uint8Array, at: number, n: number): void {
  assert(Number.isSafeInteger(n) && n >= 0, () => `key index ${n} not a safe non-negative integer`);
  const hi = Math.floor(n / TWO_32);
  const lo = n >>> 0;
  writeU32(key, at, hi);
  writeU32(key, at + 4, lo);
}

function writeU32(key: Uint8Array, at: number, n: number): void {
  key[at] = n >>> 24;
  key[at + 1] = (n >>> 16) & 0xff;
  key[at + 2] = (n >>> 8) & 0xff;
  key[at + 3] = n & 0xff;
}

/** A group key of `length` bytes with its prefix and kind byte written. */
function groupKey(group: number, kind: GroupKeyKind, length: number): Uint8Array {
  assert(isGroupId(group), () => `group id ${group} not in 1..${groupIdMax}`);
  const key = new Uint8Array(length);
  key[0] = GROUP_BYTE;
  writeU32(key, 1, group);
  key[GROUP_PREFIX_BYTES] = GROUP_KINDS[kind];
  return key;
}

export function formatKey(): Uint8Array {
  return Uint8Array.of(PROCESS_KINDS.format);
}

export function processMetaKey(name: string): Uint8Array {
  const bytes = nameBytes(name);
  const key = new Uint8Array(1 + bytes.length);
  key[0] = PROCESS_KINDS.processMeta;
  key.set(bytes, 1);
  return key;
}

export function groupSingletonKey(group: number, kind: GroupSingletonKind): Uint8Array {
  return groupKey(group, kind, GROUP_PREFIX_BYTES + 1);
}

export function entryKey(group: number, index: number): Uint8Array {
  const key = groupKey(group, 'entry', GROUP_PREFIX_BYTES + 9);
  writeU64(key, GROUP_PREFIX_BYTES + 1, index);
  return key;
}

export function chunkKey(group: number, snapshotIndex: number, chunk: number): Uint8Array {
  assert(Number.isInteger(chunk) && chunk >= 0 && chunk <= chunkNumberMax, () => `chunk number ${chunk}`);
  const key = groupKey(group, 'chunk', GROUP_PREFIX_BYTES + 13);
  writeU64(key, GROUP_PREFIX_BYTES + 1, snapshotIndex);
  writeU32(key, GROUP_PREFIX_BYTES + 9, chunk);
  return key;
}

export function groupMetaKey(group: number, name: string): Uint8Array {
  const bytes = nameBytes(name);
  const key = groupKey(group, 'meta', GROUP_PREFIX_BYTES + 1 + bytes.length);
  key.set(bytes, GROUP_PREFIX_BYTES + 1);
  return key;
}

function nameBytes(name: string): Uint8Array {
  const bytes = new TextEncoder().encode(name);
  assert(bytes.length > 0 && bytes.length <= metaNameBytesMax, () => `meta name "${name}" must be 1..${metaNameBytesMax} bytes`);
  return bytes;
}

/** Every key of one group: [gte, lt). */
export function groupRange(group: number): { gte: Uint8Array; lt: Uint8Array } {
  assert(isGroupId(group), () => `group id ${group} not in 1..${groupIdMax}`);
  const gte = Uint8Array.of(GROUP_BYTE, 0, 0, 0, 0);
  writeU32(gte, 1, group);
  if (group === groupIdMax) return { gte, lt: Uint8Array.of(GROUP_BYTE + 1) };
  const lt = Uint8Array.of(GROUP_BYTE, 0, 0, 0, 0);
  writeU32(lt, 1, group + 1);
  return { gte, lt };
}

/** Every key of one kind in one group: [gte, lt). */
export function groupKindRange(group: number, kind: GroupKeyKind): { gte: Uint8Array; lt: Uint8Array } {
  const gte = groupKey(group, kind, GROUP_PREFIX_BYTES + 1);
  const lt = Uint8Array.from(gte);
  lt[GROUP_PREFIX_BYTES] = GROUP_KINDS[kind] + 1;
  return { gte, lt };
}

/** Every group key of every group: [gte, lt). Process keys sort before it; nothing of ours after. */
export function allGroupsRange(): { gte: Uint8Array; lt: Uint8Array } {
  return { gte: Uint8Array.of(GROUP_BYTE), lt: Uint8Array.of(GROUP_BYTE + 1) };
}

/** True if `key` lies in `group`'s range (its first 5 bytes are the group's prefix). */
export function inGroup(key: Uint8Array, group: number): boolean {
  return (
    key.length > GROUP_PREFIX_BYTES &&
    key[0] === GROUP_BYTE &&
    key[1] === group >>> 24 &&
    key[2] === ((group >>> 16) & 0xff) &&
    key[3] === ((group >>> 8) & 0xff) &&
    key[4] === (group & 0xff)
  );
}

/** A key taken apart. */
export type ParsedKey =
  | { readonly kind: 'format' }
  | { readonly kind: 'processMeta'; readonly name: string }
  | { readonly kind: GroupSingletonKind; readonly group: number }
  | { readonly kind: 'entry'; readonly group: number; readonly index: number }
  | { readonly kind: 'chunk'; readonly group: number; readonly snapshotIndex: number; readonly chunk: number }
  | { readonly kind: 'meta'; readonly group: number; readonly name: string };

/**
 * Parses a stored key; total: any bytes give either a key of ours or a
 * reason string saying why they are not one (never throws).
 */
export function parseKey(key: Uint8Array): ParsedKey | string {
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
  switch (key[0]) {
    case PROCESS_KINDS.format:
      return key.length === 1 ? { kind: 'format' } : `malformed format key ${hex(key)}`;
    case PROCESS_KINDS.processMeta: {
      const name = decodeName(key, 1);
      return name !== undefined ? { kind: 'processMeta', name } : `malformed process meta key ${hex(key)}`;
    }
    case GROUP_BYTE:
      return parseGroupKey(key, view);
    default:
      return `unknown key ${hex(key)}`;
  }
}

/**
 * The group a key in the group key range belongs to, from its prefix alone
 * (what follows is the group's to check), or undefined if it has none.
 */
export function keyGroup(key: Uint8Array): number | undefined {
  if (key.length < GROUP_PREFIX_BYTES || key[0] !== GROUP_BYTE) return undefined;
  const group = new DataView(key.buffer, key.byteOffset, key.byteLength).getUint32(1);
  return group === 0 ? undefined : group;
}

function parseGroupKey(key: Uint8Array, view: DataView): ParsedKey | string {
  if (key.length < GROUP_PREFIX_BYTES) return `malformed group key ${hex(key)}`;
  const group = view.getUint32(1);
  if (group === 0) return `group key of group 0 ${hex(key)}`;
  const kind = groupKindByByte.get(key[GROUP_PREFIX_BYTES] ?? -1);
  if (kind === undefined) return `unknown group ${group} key ${hex(key)}`;
  const body = key.length - GROUP_PREFIX_BYTES - 1;
  const at = GROUP_PREFIX_BYTES + 1;
  switch (kind) {
    case 'hardState':
    case 'snapshotMeta':
    case 'logStart':
      return body === 0 ? { kind, group } : `malformed group ${group} ${kind} key ${hex(key)}`;
    case 'entry': {
      const index = body === 8 ? readIndex(view, at) : undefined;
      return index !== undefined ? { kind, group, index } : `malformed group ${group} entry key ${hex(key)}`;
    }
    case 'chunk': {
      const snapshotIndex = body === 12 ? readIndex(view, at) : undefined;
      return snapshotIndex !== undefined
        ? { kind, group, snapshotIndex, chunk: view.getUint32(at + 8) }
        : `malformed group ${group} snapshot chunk key ${hex(key)}`;
    }
    case 'meta': {
      const name = decodeName(key, at);
      return name !== undefined ? { kind, group, name } : `malformed group ${group} meta key ${hex(key)}`;
    }
  }
}

/** The u64 index at `at`, or undefined beyond indexMax (no key of ours carries one). */
function readIndex(view: DataView, at: number): number | undefined {
  const n = view.getUint32(at) * TWO_32 + view.getUint32(at + 4);
  return n <= indexMax ? n : undefined;
}

/** The UTF-8 name from `at` to the end, or undefined if empty, too long or not UTF-8. */
function decodeName(key: Uint8Array, at: number): string | undefined {
  const bytes = key.subarray(at);
  if (bytes.length === 0 || bytes.length > metaNameBytesMax) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

export function hex(bytes: Uint8Array, max = 24): string {
  const shown = Buffer.from(bytes.subarray(0, max)).toString('hex');
  return bytes.length > max ? `0x${shown}…` : `0x${shown}`;
}
