import { Packr } from 'msgpackr';
import { assert } from '../../raft/assert.js';
import type { ConfChange, NodeId } from '../../raft/types.js';
import { combineEncoded } from '../kv/kv-command.js';
import { KvStateMachine, SnapshotRestorer } from './kv-state-machine.js';
import type { HostStateMachine, SnapshotEncoder } from './host-contract.js';

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
    const pieces: Uint8Array[] = [];
    const enc = this.snapshotLater();
    for (let piece = enc.next(); piece !== undefined; piece = enc.next()) pieces.push(piece);
    return Buffer.concat(pieces);
  }

  /**
   * Freezes the state now; the encoder hands out the snapshot's bytes a
   * piece at a time (magic, header length and header, then each KV chunk),
   * so a host can write them to disk as they come and never hold the whole.
   */
  snapshotLater(): SnapshotEncoder {
    const frozen = this.kv.freeze();
    const head = packr.pack({ v: 2, addresses: [...this.addresses.entries()] });
    const prefix = Buffer.alloc(MAGIC_V2.length + 4 + head.length);
    MAGIC_V2.copy(prefix, 0);
    prefix.writeUInt32BE(head.length, MAGIC_V2.length);
    Buffer.from(head).copy(prefix, MAGIC_V2.length + 4);
    const chunks = frozen.chunks();
    let started = false;
    return {
      next: () => {
        if (!started) {
          started = true;
          return prefix;
        }
        const n = chunks.next();
        // A copy: the packer's result is a view of a buffer it keeps writing into.
        return n.done === true ? undefined : Buffer.from(n.value);
      },
    };
  }

  restore(data: Uint8Array): void {
    // The old state goes first: a big one and its replacement need not both fit in memory.
    this.kv = new KvStateMachine();
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (bytes.length >= MAGIC_V2.length + 4 && bytes.subarray(0, MAGIC_V2.length).equals(MAGIC_V2)) {
      const headLen = bytes.readUInt32BE(MAGIC_V2.length);
      const start = MAGIC_V2.length + 4;
      assert(start + headLen <= bytes.length, 'node snapshot: header runs past the end');
      const addresses = parseHeaderV2(bytes.subarray(start, start + headLen));
      this.kv = KvStateMachine.restore(bytes.subarray(start + headLen));
      this.adoptAddresses(addresses);
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

  /**
   * Like restore, from the snapshot's bytes in pieces cut anywhere (as read
   * back from disk): a format-2 snapshot is decoded as it streams in and is
   * never held whole; a format-1 one is gathered, then restored.
   */
  async restoreFrom(pieces: AsyncIterable<Uint8Array>): Promise<void> {
    this.kv = new KvStateMachine();
    /** Bytes before the KV part starts (magic, header length, header). */
    let head = Buffer.alloc(0);
    let kv: SnapshotRestorer | undefined;
    let addresses: unknown[] = [];
    let formatOne: Buffer[] | undefined;
    for await (const piece of pieces) {
      const bytes = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
      if (kv !== undefined) {
        kv.pushBytes(bytes);
        continue;
      }
      if (formatOne !== undefined) {
        formatOne.push(bytes);
        continue;
      }
      head = Buffer.concat([head, bytes]);
      if (head.length < MAGIC_V2.length + 4) continue;
      if (!head.subarray(0, MAGIC_V2.length).equals(MAGIC_V2)) {
        formatOne = [head];
        continue;
      }
      const start = MAGIC_V2.length + 4;
      const headLen = head.readUInt32BE(MAGIC_V2.length);
      if (head.length < start + headLen) continue;
      addresses = parseHeaderV2(head.subarray(start, start + headLen));
      kv = new SnapshotRestorer();
      kv.pushBytes(head.subarray(start + headLen));
    }
    if (kv === undefined) {
      // Format 1, or too short to be format 2: restore() says what is wrong.
      this.restore(Buffer.concat(formatOne ?? [head]));
      return;
    }
    this.kv = kv.finish();
    this.adoptAddresses(addresses);
  }

  private adoptAddresses(pairs: readonly unknown[]): void {
    for (const pair of pairs) {
      assert(Array.isArray(pair) && typeof pair[0] === 'number' && typeof pair[1] === 'string', 'node snapshot: bad address entry');
      this.addresses.set(pair[0], pair[1]);
    }
    this.onAddressesChanged(this.addresses);
  }
}

/** The addresses in a format-2 snapshot's header. */
function parseHeaderV2(bytes: Buffer): unknown[] {
  const head = packr.unpack(bytes) as { v?: unknown; addresses?: unknown };
  assert(head !== null && typeof head === 'object' && head.v === 2, 'node snapshot: bad format-2 header');
  assert(Array.isArray(head.addresses), 'node snapshot: addresses missing');
  return head.addresses as unknown[];
}
