import { Packr } from 'msgpackr';
import { assert } from '../../raft/assert.js';
import type { ConfChange, NodeId } from '../../raft/types.js';
import { combineEncoded } from './kv-command.js';
import { KvStateMachine } from './kv-state-machine.js';
import type { HostStateMachine } from './raft-host.js';

const EMPTY = new Uint8Array(0);
const packr = new Packr({ useRecords: false });

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
    return packr.pack({ v: 1, addresses: [...this.addresses.entries()], kv: this.kv.snapshot() });
  }

  restore(data: Uint8Array): void {
    const raw = packr.unpack(Buffer.from(data.buffer, data.byteOffset, data.byteLength)) as {
      v?: unknown;
      addresses?: unknown;
      kv?: unknown;
    };
    assert(raw !== null && typeof raw === 'object' && raw.v === 1, 'node snapshot: unknown format');
    assert(Array.isArray(raw.addresses), 'node snapshot: addresses missing');
    assert(raw.kv instanceof Uint8Array, 'node snapshot: kv missing');
    this.kv = KvStateMachine.restore(raw.kv);
    for (const pair of raw.addresses as unknown[]) {
      assert(Array.isArray(pair) && typeof pair[0] === 'number' && typeof pair[1] === 'string', 'node snapshot: bad address entry');
      this.addresses.set(pair[0], pair[1]);
    }
    this.onAddressesChanged(this.addresses);
  }
}
