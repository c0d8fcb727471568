import { Packr } from 'msgpackr';
import { assertNever } from '../raft/assert.js';
import type { ConfChange, ConfState, Entry, HardState } from '../raft/types.js';

/**
 * The disk codec: every LevelDB value is one msgpackr value, packed by this
 * single shared Packr. Plain MessagePack (no record extension), so a value
 * decodes alone without shared structure state; binary comes back as a
 * Buffer copied out of the value it was read from, which decoders hand on as
 * a plain Uint8Array (what the Raft core itself creates).
 *
 * Decoders check the shape of what they read and throw DecodeError with the
 * reason; the loader turns that into a CORRUPT StorageError naming the key.
 */
export const packr = new Packr({ useRecords: false, copyBuffers: true, mapsAsObjects: true });

export class DecodeError extends Error {
  override readonly name = 'DecodeError';
}

/**
 * The format this build writes and reads (also in the KVSTORE marker file).
 * 1: one Raft group per data dir, keys unprefixed. 2: one database per
 * process shared by its groups, group keys prefixed with the group id
 * (storage/keys.ts). A dir of another version is refused, not converted.
 */
export const FORMAT_NAME = 'kvstore';
export const FORMAT_VERSION = 2;

/** Why a data dir of format `version` is refused, and what the operator can do. */
export function versionProblem(version: number): string {
  if (version > FORMAT_VERSION) {
    return `it holds kvstore data of format ${version}, newer than this build's format ${FORMAT_VERSION}; run the kvstore build that wrote it`;
  }
  return (
    `it holds kvstore data of format ${version}; this build reads format ${FORMAT_VERSION} only and does not convert it: ` +
    'move the dir away (this node then starts with no data) or run the kvstore build that wrote it'
  );
}

export interface FormatMarker {
  readonly name: string;
  readonly version: number;
}

/** What the snapshot meta key holds: the snapshot's meta and how to find its data. */
export interface StoredSnapshotMeta {
  readonly index: number;
  readonly term: number;
  readonly conf: ConfState;
  /** Number of chunk keys, 0..chunks-1 under chunkKey(index, n). */
  readonly chunks: number;
  readonly bytes: number;
  /** sha256 of the data, so a snapshot is checked whole at load. */
  readonly sha256: Uint8Array;
}

/** Index and term of the entry just before the first stored entry. */
export interface LogStart {
  readonly index: number;
  readonly term: number;
}

export function encode(value: unknown): Uint8Array {
  return packr.pack(value);
}

function decodeRaw(bytes: Uint8Array): unknown {
  try {
    return packr.unpack(bytes);
  } catch (err) {
    throw new DecodeError(`not MessagePack (${(err as Error).message})`);
  }
}

/** A plain Uint8Array view of decoded binary (msgpackr gives a Buffer), so data compares equal to what was written. */
export function plainBytes(b: Uint8Array): Uint8Array {
  return b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function need(cond: boolean, what: string): asserts cond {
  if (!cond) throw new DecodeError(what);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function isIdList(v: unknown): v is number[] {
  if (!Array.isArray(v)) return false;
  for (let k = 0; k < v.length; k++) {
    const id: unknown = v[k];
    if (!isCount(id) || id === 0) return false;
    if (k > 0 && (v[k - 1] as number) >= id) return false; // sorted ascending, no duplicates
  }
  return true;
}

function field(obj: unknown, name: string): unknown {
  need(typeof obj === 'object' && obj !== null && !Array.isArray(obj), 'not a map');
  return (obj as Record<string, unknown>)[name];
}

export function decodeFormat(bytes: Uint8Array): FormatMarker {
  const v = decodeRaw(bytes);
  const name = field(v, 'name');
  const version = field(v, 'version');
  need(typeof name === 'string' && isCount(version), 'format marker needs a name and a version');
  return { name, version };
}

export function encodeHardState(hs: HardState): Uint8Array {
  return packr.pack([hs.term, hs.vote, hs.commit]);
}

export function decodeHardState(bytes: Uint8Array): HardState {
  const v = decodeRaw(bytes);
  need(Array.isArray(v) && v.length === 3 && v.every(isCount), 'hard state must be [term, vote, commit]');
  return { term: v[0] as number, vote: v[1] as number, commit: v[2] as number };
}

export function encodeConf(conf: ConfState): { voters: readonly number[]; learners: readonly number[] } {
  return { voters: conf.voters, learners: conf.learners };
}

function decodeConf(v: unknown): ConfState {
  const voters = field(v, 'voters');
  const learners = field(v, 'learners');
  need(isIdList(voters) && isIdList(learners), 'conf needs sorted voter and learner id lists');
  need(!voters.some((id) => learners.includes(id)), 'conf voters and learners overlap');
  return { voters, learners };
}

export function encodeSnapshotMeta(m: StoredSnapshotMeta): Uint8Array {
  return packr.pack({ index: m.index, term: m.term, conf: encodeConf(m.conf), chunks: m.chunks, bytes: m.bytes, sha256: m.sha256 });
}

export function decodeSnapshotMeta(bytes: Uint8Array): StoredSnapshotMeta {
  const v = decodeRaw(bytes);
  const [index, term, chunks, size, sha256] = ['index', 'term', 'chunks', 'bytes', 'sha256'].map((f) => field(v, f));
  need(isCount(index) && isCount(term) && isCount(chunks) && isCount(size), 'snapshot meta needs index, term, chunks, bytes');
  need(sha256 instanceof Uint8Array && sha256.length === 32, 'snapshot meta needs a 32-byte sha256');
  return { index, term, conf: decodeConf(field(v, 'conf')), chunks, bytes: size, sha256 };
}

export function encodeLogStart(s: LogStart): Uint8Array {
  return packr.pack([s.index, s.term]);
}

export function decodeLogStart(bytes: Uint8Array): LogStart {
  const v = decodeRaw(bytes);
  need(Array.isArray(v) && v.length === 2 && v.every(isCount), 'log start must be [index, term]');
  return { index: v[0] as number, term: v[1] as number };
}

/** Entry kinds on disk; the index lives in the key, not the value. */
const ENTRY_NORMAL = 0;
const ENTRY_CONF = 1;

export function encodeEntry(e: Entry): Uint8Array {
  switch (e.type) {
    case 'normal':
      return packr.pack([e.term, ENTRY_NORMAL, e.data]);
    case 'conf':
      return packr.pack([e.term, ENTRY_CONF, [e.change.type, e.change.nodeId]]);
    default:
      return assertNever(e, 'entry');
  }
}

const CONF_CHANGE_TYPES: readonly ConfChange['type'][] = ['addLearner', 'promote', 'remove'];

export function decodeEntry(index: number, bytes: Uint8Array): Entry {
  const v = decodeRaw(bytes);
  need(Array.isArray(v) && v.length === 3 && isCount(v[0]), 'entry must be [term, kind, payload]');
  const term = v[0] as number;
  if (v[1] === ENTRY_NORMAL) {
    need(v[2] instanceof Uint8Array, 'normal entry data must be binary');
    return { type: 'normal', term, index, data: plainBytes(v[2]) };
  }
  need(v[1] === ENTRY_CONF, `unknown entry kind ${String(v[1])}`);
  const c: unknown = v[2];
  need(Array.isArray(c) && c.length === 2 && isCount(c[1]) && c[1] > 0, 'conf change must be [type, nodeId]');
  const type = CONF_CHANGE_TYPES.find((t) => t === c[0]);
  need(type !== undefined, `unknown conf change type ${String(c[0])}`);
  return { type: 'conf', term, index, change: { type, nodeId: c[1] as number } };
}

export function encodeChunk(data: Uint8Array): Uint8Array {
  return packr.pack(data);
}

export function decodeChunk(bytes: Uint8Array): Uint8Array {
  const v = decodeRaw(bytes);
  need(v instanceof Uint8Array, 'snapshot chunk must be binary');
  return plainBytes(v);
}

/** Node metadata is any MessagePack value; it only has to decode. */
export function decodeMeta(bytes: Uint8Array): unknown {
  return decodeRaw(bytes);
}
