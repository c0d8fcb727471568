import { assert } from '../../raft/assert.js';
import type { ConfChange, Entry } from '../../raft/types.js';
import type { HostStateMachine } from '../../src/participant/host-contract.js';

/** Bytes of a client command: a tag byte, the 32-bit op id, then padding. */
const COMMAND_HEADER_BYTES = 5;
const COMMAND_TAG = 0xc1;
/** Several commands in one entry (HostStateMachine.combine): tag, u16 count, then each as u32 length + bytes. */
const BATCH_TAG = 0xc2;
const BATCH_HEADER_BYTES = 3;
/** Bytes of an encoded state machine (its snapshot data). */
const STATE_BYTES = 16;

/** A client write as entry data: its op id, padded to vary message sizes. */
export function encodeCommand(opId: number, padBytes: number): Uint8Array {
  assert(Number.isInteger(opId) && opId > 0 && opId < 2 ** 32, 'command: opId is a positive u32');
  const data = new Uint8Array(COMMAND_HEADER_BYTES + padBytes);
  data[0] = COMMAND_TAG;
  data[1] = opId >>> 24;
  data[2] = (opId >>> 16) & 0xff;
  data[3] = (opId >>> 8) & 0xff;
  data[4] = opId & 0xff;
  for (let i = 0; i < padBytes; i++) data[COMMAND_HEADER_BYTES + i] = (opId + i) & 0xff;
  return data;
}

/** The op id of a single client write, or 0 for anything else (a leader's no-op, a batch). */
export function decodeCommand(data: Uint8Array): number {
  if (data.length < COMMAND_HEADER_BYTES || data[0] !== COMMAND_TAG) return 0;
  return new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(1);
}

/** Commands in one entry's data: 0 for a no-op, n for a batch of n. */
export function commandCount(data: Uint8Array): number {
  if (data.length === 0) return 0;
  if (data[0] !== BATCH_TAG) return 1;
  assert(data.length >= BATCH_HEADER_BYTES, 'state machine: short batch');
  return new DataView(data.buffer, data.byteOffset, data.byteLength).getUint16(1);
}

function encodeBatch(datas: readonly Uint8Array[]): Uint8Array {
  assert(datas.length > 1 && datas.length < 2 ** 16, () => `state machine: batch of ${datas.length}`);
  let bytes = BATCH_HEADER_BYTES;
  for (const d of datas) bytes += 4 + d.length;
  const out = new Uint8Array(bytes);
  const v = new DataView(out.buffer);
  out[0] = BATCH_TAG;
  v.setUint16(1, datas.length);
  let at = BATCH_HEADER_BYTES;
  for (const d of datas) {
    v.setUint32(at, d.length);
    out.set(d, at + 4);
    at += 4 + d.length;
  }
  return out;
}

/** A 32-bit digest of a normal entry (its term and payload). */
export function normalDigest(term: number, data: Uint8Array): number {
  let h = mix(mix(0x811c9dc5, term), 1);
  for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data[i]!, 0x01000193);
  return h >>> 0;
}

/** A 32-bit digest of a membership change entry. */
export function confDigest(term: number, change: ConfChange): number {
  const h = mix(0x811c9dc5, term);
  return mix(mix(h, change.type === 'addLearner' ? 2 : change.type === 'promote' ? 3 : 4), change.nodeId);
}

/** A 32-bit digest of what an entry says (its term, type and payload). */
export function entryDigest(e: Entry): number {
  return e.type === 'normal' ? normalDigest(e.term, e.data) : confDigest(e.term, e.change);
}

/** The state after applying an entry with `digest` at `index` on top of `chain`: a hash chain over the applied history. */
export function chainAfter(chain: number, index: number, digest: number): number {
  return mix(mix(chain, index), digest) >>> 0;
}

function mix(h: number, x: number): number {
  for (let k = 0; k < 4; k++) h = Math.imul(h ^ ((x >>> (8 * k)) & 0xff), 0x01000193);
  return h >>> 0;
}

/** What the state machine tells the checks about each entry it applies. */
export interface ApplyObserver {
  /** Entry `index` (of `term`) was applied; `chain` is the state right after it. */
  applied(index: number, term: number, digest: number, chain: number, change: ConfChange | undefined): void;
}

/**
 * The replicated state machine of the simulation, as the shipped host
 * sees it (HostStateMachine): what matters is WHICH entries were applied
 * in WHICH order, so the state is a hash chain over (index, entry digest)
 * plus the count of client writes. Two replicas agree at index i exactly
 * when their chains at i are equal; a snapshot carries the chain, so a
 * replica restored from one keeps agreeing.
 *
 * The host hands over an entry's index and data; its term (part of what
 * "the same entry" means) is read from the replica's log, which holds
 * every entry the host applies (durable before it is applied).
 * Invariant: `applied` only moves forward by one entry, or jumps to a
 * snapshot's index on restore.
 */
export class SimStateMachine implements HostStateMachine {
  applied = 0;
  chain = 0;
  writes = 0;

  constructor(
    private readonly termAt: (index: number) => number | undefined,
    private readonly observer: ApplyObserver,
    /** Teeth only: restore moves to the snapshot's index but keeps the old state. */
    private readonly restoreKeepsState = false,
  ) {}

  /** Applies a normal entry; one result per command inside: the index it was applied at. */
  applyEntry(index: number, data: Uint8Array): unknown[] {
    const term = this.next(index);
    const digest = normalDigest(term, data);
    this.chain = chainAfter(this.chain, index, digest);
    this.applied = index;
    const commands = commandCount(data);
    this.writes += commands;
    this.observer.applied(index, term, digest, this.chain, undefined);
    return commands === 0 ? [] : new Array<unknown>(commands).fill(index);
  }

  applyConfChange(index: number, change: ConfChange): void {
    const term = this.next(index);
    const digest = confDigest(term, change);
    this.chain = chainAfter(this.chain, index, digest);
    this.applied = index;
    this.observer.applied(index, term, digest, this.chain, change);
  }

  snapshot(): Uint8Array {
    const data = new Uint8Array(STATE_BYTES);
    const v = new DataView(data.buffer);
    v.setFloat64(0, this.applied);
    v.setUint32(8, this.chain);
    v.setUint32(12, this.writes);
    return data;
  }

  /** Replaces the state by a snapshot's (the initial snapshot at index 0 carries no data). */
  restore(data: Uint8Array): void {
    if (data.length === 0) {
      this.applied = 0;
      this.chain = 0;
      this.writes = 0;
      return;
    }
    assert(data.length === STATE_BYTES, () => `state machine: snapshot data of ${data.length} bytes`);
    const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.applied = v.getFloat64(0);
    if (this.restoreKeepsState) return;
    this.chain = v.getUint32(8);
    this.writes = v.getUint32(12);
  }

  private next(index: number): number {
    assert(index === this.applied + 1, () => `state machine: apply ${index} after ${this.applied}`);
    const term = this.termAt(index);
    assert(term !== undefined, () => `state machine: entry ${index} is applied but not in the log`);
    return term;
  }
}

/** The same state machine, packing queued commands into one entry (the path the KV store takes). */
export class CombiningSimStateMachine extends SimStateMachine {
  combine(datas: readonly Uint8Array[]): Uint8Array {
    return encodeBatch(datas);
  }
}
