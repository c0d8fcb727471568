import { assert } from '../../raft/assert.js';
import type { Entry, Snapshot } from '../../raft/types.js';

/** Bytes of a client command: a tag byte, the 32-bit op id, then padding. */
const COMMAND_HEADER_BYTES = 5;
const COMMAND_TAG = 0xc1;
/** Bytes of an encoded state machine (its snapshot data). */
const STATE_BYTES = 16;

/** A client write as entry data: its op id, padded to vary message sizes. */
export function encodeCommand(opId: number, padBytes: number): Uint8Array {
  assert(Number.isInteger(opId) && opId > 0 && opId < 2 ** 32, 'command: opId is a positive u32');
  const data = new Uint8Array(COMMAND_HEADER_BYTES + padBytes);
  data[0] = COMMAND_TAG;
  new DataView(data.buffer).setUint32(1, opId);
  for (let i = 0; i < padBytes; i++) data[COMMAND_HEADER_BYTES + i] = (opId + i) & 0xff;
  return data;
}

/** The op id of a client write, or 0 for anything else (a leader's no-op). */
export function decodeCommand(data: Uint8Array): number {
  if (data.length < COMMAND_HEADER_BYTES || data[0] !== COMMAND_TAG) return 0;
  return new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(1);
}

/** A 32-bit digest of what an entry says (its term, type and payload). */
export function entryDigest(e: Entry): number {
  let h = mix(0x811c9dc5, e.term);
  if (e.type === 'normal') {
    h = mix(h, 1);
    for (let i = 0; i < e.data.length; i++) h = Math.imul(h ^ e.data[i]!, 0x01000193);
  } else {
    h = mix(h, e.change.type === 'addLearner' ? 2 : e.change.type === 'promote' ? 3 : 4);
    h = mix(h, e.change.nodeId);
  }
  return h >>> 0;
}

/** The state after applying `e` on top of `chain`: a hash chain over the whole applied history. */
export function chainAfter(chain: number, index: number, digest: number): number {
  return mix(mix(chain, index), digest) >>> 0;
}

function mix(h: number, x: number): number {
  for (let k = 0; k < 4; k++) h = Math.imul(h ^ ((x >>> (8 * k)) & 0xff), 0x01000193);
  return h >>> 0;
}

/**
 * The replicated state machine of the simulation: what matters is WHICH
 * entries were applied in WHICH order, so the state is a hash chain over
 * (index, entry digest) plus the count of client writes. Two nodes agree at
 * index i exactly when their chains at i are equal; a snapshot carries the
 * chain, so a node restored from one keeps agreeing.
 * Invariant: `applied` only moves forward by one entry, or jumps to a
 * snapshot's index on restore.
 */
export class SimStateMachine {
  applied = 0;
  chain = 0;
  writes = 0;

  /** Applies the next entry; returns its digest. */
  apply(e: Entry): number {
    assert(e.index === this.applied + 1, () => `state machine: apply ${e.index} after ${this.applied}`);
    const digest = entryDigest(e);
    this.chain = chainAfter(this.chain, e.index, digest);
    this.applied = e.index;
    if (e.type === 'normal' && decodeCommand(e.data) !== 0) this.writes++;
    return digest;
  }

  /** Replaces the state by a snapshot's (initial snapshots at index 0 carry no data). */
  restore(snap: Snapshot): void {
    if (snap.meta.index === 0 && snap.data.length === 0) {
      this.applied = 0;
      this.chain = 0;
      this.writes = 0;
      return;
    }
    assert(snap.data.length === STATE_BYTES, () => `state machine: snapshot data of ${snap.data.length} bytes`);
    const v = new DataView(snap.data.buffer, snap.data.byteOffset, snap.data.byteLength);
    const applied = v.getFloat64(0);
    assert(applied === snap.meta.index, () => `state machine: snapshot data at ${applied}, meta at ${snap.meta.index}`);
    this.applied = applied;
    this.chain = v.getUint32(8);
    this.writes = v.getUint32(12);
  }

  /** Snapshot data for the current state. */
  encode(): Uint8Array {
    const data = new Uint8Array(STATE_BYTES);
    const v = new DataView(data.buffer);
    v.setFloat64(0, this.applied);
    v.setUint32(8, this.chain);
    v.setUint32(12, this.writes);
    return data;
  }
}
