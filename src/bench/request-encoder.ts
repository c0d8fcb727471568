import { assert } from '../../raft/assert.js';
import { SeededRng } from '../../raft/rng.js';
import { SLOTS, keySlot } from '../sharding/slot.js';
import type { CommandMix, KeyPattern } from './bench-options.js';

export const BenchCommand = { set: 0, get: 1, del: 2, mset: 3, mset1: 4 } as const;
export type BenchCommand = (typeof BenchCommand)[keyof typeof BenchCommand];

const keyPrefix = 'key:';

/**
 * The first hash tag whose slot falls in [lo, hi): keys `{tag}key:<n>`
 * then share that slot. With groups cut into even slot ranges, a tag in
 * the first eighth and one in the last eighth are in different groups for
 * any 2..8 groups (and for more, unless the ranges are finer than that).
 */
function tagInSlots(lo: number, hi: number): string {
  for (let i = 0; ; i++) {
    const s = keySlot(Buffer.from(`t${i}`));
    if (s >= lo && s < hi) return `t${i}`;
  }
}
const TAG_FIRST = tagInSlots(0, SLOTS / 8);
const TAG_LAST = tagInSlots((SLOTS * 7) / 8, SLOTS);

/**
 * Encodes the load generator's requests as RESP arrays of bulk strings,
 * a whole batch into one buffer so a connection writes it with one
 * socket write. Keys are `key:<n>` zero-padded to one width, so every
 * request of a command has the same length and its header is precomputed.
 * Commands and keys come from a seeded generator: a run is repeatable.
 * Sequential keys count up from key:0 across everything this encoder makes.
 */
export class RequestEncoder {
  private readonly rng: SeededRng;
  private readonly keyspace: number;
  private readonly digits: number;
  private readonly keyPattern: KeyPattern;
  /** The next key when sequential. Invariant: 0 <= nextKey < keyspace. */
  private nextKey = 0;
  /** Cumulative weights: a draw r in [0, total) is SET if r < setUpTo, GET if r < getUpTo, DEL if r < delUpTo, then MSET, MSET1. */
  private readonly setUpTo: number;
  private readonly getUpTo: number;
  private readonly delUpTo: number;
  private readonly msetUpTo: number;
  private readonly total: number;
  /** MSET heads: `*5 $4 MSET $<kl+tag>` + `{tag}key:`; the second key's head is `$<kl+tag>` + `{tag}key:`. */
  private readonly msetHead: Buffer;
  private readonly msetSecond: Buffer;
  private readonly mset1Head: Buffer;
  private readonly mset1Second: Buffer;
  /** `*3 $3 SET $<kl>` + `key:` ; value section `\r\n$<vl>\r\n<value>\r\n`. */
  private readonly setHead: Buffer;
  private readonly getHead: Buffer;
  private readonly delHead: Buffer;
  private readonly setTail: Buffer;
  private readonly shortTail = Buffer.from('\r\n');
  /** Longest single request, for sizing a batch. */
  readonly requestBytesMax: number;

  constructor(mix: CommandMix, keyspace: number, valueBytes: number, seed: number, keyPattern: KeyPattern = 'random') {
    assert(keyspace >= 1, 'encoder: keyspace >= 1');
    this.rng = new SeededRng(seed);
    this.keyspace = keyspace;
    this.keyPattern = keyPattern;
    this.digits = String(keyspace - 1).length;
    this.setUpTo = mix.set;
    this.getUpTo = mix.set + mix.get;
    this.delUpTo = this.getUpTo + mix.del;
    this.msetUpTo = this.delUpTo + (mix.mset ?? 0);
    this.total = this.msetUpTo + (mix.mset1 ?? 0);
    assert(this.total > 0, 'encoder: mix weights sum to 0');
    const keyLen = keyPrefix.length + this.digits;
    const head = (n: number, name: string): Buffer => Buffer.from(`*${n}\r\n$${name.length}\r\n${name}\r\n$${keyLen}\r\n${keyPrefix}`);
    this.setHead = head(3, 'SET');
    this.getHead = head(2, 'GET');
    this.delHead = head(2, 'DEL');
    // One word of printable bytes: the lab's SET stores value words.
    const value = Buffer.alloc(valueBytes, 0x76);
    this.setTail = Buffer.concat([Buffer.from(`\r\n$${valueBytes}\r\n`), value, this.shortTail]);
    const tagged = (tag: string): string => `{${tag}}${keyPrefix}`;
    const msetHead = (tag: string): Buffer => Buffer.from(`*5\r\n$4\r\nMSET\r\n$${keyLen + tag.length + 2}\r\n${tagged(tag)}`);
    const second = (tag: string): Buffer => Buffer.from(`$${keyLen + tag.length + 2}\r\n${tagged(tag)}`);
    this.msetHead = msetHead(TAG_FIRST);
    this.msetSecond = second(TAG_LAST);
    this.mset1Head = msetHead(TAG_FIRST);
    this.mset1Second = second(TAG_FIRST);
    const msetBytes = Math.max(this.msetHead.length + this.msetSecond.length, this.mset1Head.length + this.mset1Second.length) + 2 * (this.digits + this.setTail.length);
    this.requestBytesMax = Math.max(this.setHead.length + this.digits + this.setTail.length, msetBytes);
  }

  /** The next command of the mix. */
  nextCommand(): BenchCommand {
    const r = this.rng.intBetween(0, this.total);
    if (r < this.setUpTo) return BenchCommand.set;
    if (r < this.getUpTo) return BenchCommand.get;
    if (r < this.delUpTo) return BenchCommand.del;
    return r < this.msetUpTo ? BenchCommand.mset : BenchCommand.mset1;
  }

  /**
   * Fills a new buffer with `count` requests; calls onCommand for each in
   * order (the caller counts them). One allocation per batch: the socket
   * keeps a written buffer until flushed, so batches are never reused.
   */
  encodeBatch(count: number, onCommand: (c: BenchCommand) => void): Buffer {
    const buf = Buffer.allocUnsafe(count * this.requestBytesMax);
    let at = 0;
    for (let k = 0; k < count; k++) {
      const command = this.nextCommand();
      onCommand(command);
      if (command === BenchCommand.mset || command === BenchCommand.mset1) {
        // Two keys of one number: `{first}key:n` and `{last}key:n` (two groups) or `{first}key:n` and `{first}key:n+1` (one group).
        const n = this.nextKeyNumber();
        at += (command === BenchCommand.mset ? this.msetHead : this.mset1Head).copy(buf, at);
        at = this.writeKeyDigits(buf, at, n);
        at += this.setTail.copy(buf, at);
        at += (command === BenchCommand.mset ? this.msetSecond : this.mset1Second).copy(buf, at);
        at = this.writeKeyDigits(buf, at, (n + 1) % this.keyspace);
        at += this.setTail.copy(buf, at);
        continue;
      }
      const head = command === BenchCommand.set ? this.setHead : command === BenchCommand.get ? this.getHead : this.delHead;
      at += head.copy(buf, at);
      at = this.writeKeyDigits(buf, at, this.nextKeyNumber());
      const tail = command === BenchCommand.set ? this.setTail : this.shortTail;
      at += tail.copy(buf, at);
    }
    return buf.subarray(0, at);
  }

  private nextKeyNumber(): number {
    if (this.keyPattern === 'random') return this.rng.intBetween(0, this.keyspace);
    const n = this.nextKey;
    this.nextKey = n + 1 === this.keyspace ? 0 : n + 1;
    return n;
  }

  private writeKeyDigits(buf: Buffer, at: number, n: number): number {
    let v = n;
    for (let d = this.digits - 1; d >= 0; d--) {
      buf[at + d] = 0x30 + (v % 10);
      v = Math.floor(v / 10);
    }
    return at + this.digits;
  }
}
