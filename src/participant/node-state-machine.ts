import { Packr } from 'msgpackr';
import { assert } from '../../raft/assert.js';
import type { ConfChange, NodeId } from '../../raft/types.js';
import { combineEncoded } from './kv-command.js';
import { KvStateMachine } from './kv-state-machine.js';
import type { HostStateMachine, SnapshotEncoder } from './raft-host.js';

const EMPTY = new Uint8Array(0);
const packr = new Packr({ useRecords: false });
/** Opens a format-2 node snapshot: magic, u32 BE header length, header {v, addresses}, then the KV chunks. */
const MAGIC_V2 = Buffer.from('KVS2', 'latin1');

/**
 * What a participant replicates: the KV data plus the address of every
 * member, which rides in conf change contexts so a node added later (or
 * restored from a snapshot) can reach everyone.
 */
export class NodeStateMachine implements HostStateMachine {
  kv = new KvStateMachine();
  /** Member id -> "host:port". */
  readonly addresses = new Map<NodeId, string>();

  constructor(
    initialAddresses: ReadonlyMap<NodeId, string>,
    private readonly onAddressesChanged: (addresses: ReadonlyMap<NodeId, string>) => void = () => {},
  ) {
    for (const [id, addr] of initialAddresses) this.addresses.set(id, addr);
  }

  applyEntry(index: number, data: Uint8Array): unknown[] {
    return this.kv.apply(index, data);
  }

  applyConfChange(index: number, change: ConfChange): void {
    this.kv.apply(index, EMPTY);
    if (change.type === 'addLearner' && change.context !== undefined) {
      this.addresses.set(change.nodeId, change.context);
      this.onAddressesChanged(this.addresses);
    }
  }

  combine(datas: readonly Uint8Array[]): Uint8Array {
    return combineEncoded(datas);
  }

  snapshot(): Uint8Array {
    const enc = this.snapshotLater();
    while (!enc.step()) {
      /* encodes the next chunk */
    }
    return enc.result();
  }

  /**
   * Freezes the state now; the encoder writes it chunk by chunk into one
   * buffer sized for the worst case (pages never written are never
   * resident), so no second copy of the snapshot is ever made.
   */
  snapshotLater(): SnapshotEncoder {
    const frozen = this.kv.freeze();
    const head = packr.pack({ v: 2, addresses: [...this.addresses.entries()] });
    const chunks = frozen.chunks();
    const first = chunks.next();
    assert(first.done !== true, 'node snapshot: no header chunk');
    let pending: Uint8Array | undefined = first.value;
    // The header and session chunks are not in keyBytesMax: the buffer grows if they do not fit.
    let buf = Buffer.allocUnsafe(MAGIC_V2.length + 4 + head.length + frozen.keyBytesMax() + 4 * pending.length + 64 * 1024);
    let at = MAGIC_V2.copy(buf, 0);
    at = buf.writeUInt32BE(head.length, at);
    at += Buffer.from(head).copy(buf, at);
    const put = (chunk: Uint8Array): void => {
      if (at + chunk.length > buf.length) {
        const bigger = Buffer.allocUnsafe(Math.max(2 * buf.length, at + chunk.length));
        buf.copy(bigger, 0, 0, at);
        buf = bigger;
      }
      at += Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).copy(buf, at);
    };
    let done = false;
    return {
      step: () => {
        if (done) return true;
        if (pending !== undefined) {
          put(pending);
          pending = undefined;
          return false;
        }
        const next = chunks.next();
        if (next.done === true) {
          done = true;
          return true;
        }
        put(next.value);
        return false;
      },
      result: () => {
        assert(done, 'node snapshot: result() before the encoder finished');
        return buf.subarray(0, at);
      },
    };
  }

  restore(data: Uint8Array): void {
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (bytes.length >= MAGIC_V2.length + 4 && bytes.subarray(0, MAGIC_V2.length).equals(MAGIC_V2)) {
      const headLen = bytes.readUInt32BE(MAGIC_V2.length);
      const start = MAGIC_V2.length + 4;
      assert(start + headLen <= bytes.length, 'node snapshot: header runs past the end');
      const head = packr.unpack(bytes.subarray(start, start + headLen)) as { v?: unknown; addresses?: unknown };
      assert(head !== null && typeof head === 'object' && head.v === 2, 'node snapshot: bad format-2 header');
      assert(Array.isArray(head.addresses), 'node snapshot: addresses missing');
      this.kv = KvStateMachine.restore(bytes.subarray(start + headLen));
      this.adoptAddresses(head.addresses as unknown[]);
      return;
    }
    // Format 1 (snapshots written before format 2): one msgpack map.
    const raw = packr.unpack(bytes) as {
      v?: unknown;
      addresses?: unknown;
      kv?: unknown;
    };
    assert(raw !== null && typeof raw === 'object' && raw.v === 1, 'node snapshot: unknown format');
    assert(Array.isArray(raw.addresses), 'node snapshot: addresses missing');
    assert(raw.kv instanceof Uint8Array, 'node snapshot: kv missing');
    this.kv = KvStateMachine.restore(raw.kv);
    this.adoptAddresses(raw.addresses as unknown[]);
  }

  private adoptAddresses(pairs: readonly unknown[]): void {
    for (const pair of pairs) {
      assert(Array.isArray(pair) && typeof pair[0] === 'number' && typeof pair[1] === 'string', 'node snapshot: bad address entry');
      this.addresses.set(pair[0], pair[1]);
    }
    this.onAddressesChanged(this.addresses);
  }
}
