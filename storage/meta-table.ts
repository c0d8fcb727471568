import { assert } from '../raft/assert.js';
import { encode, packr } from './codec.js';
import type { GroupWrite } from './group-commit.js';

/**
 * Small named values stored one key each (a process's metadata, or a
 * group's): the durable values in memory, and per name the last put
 * submitted, so get() reads a caller's own writes.
 *
 * Invariant: `durable` holds exactly what is on disk after every batch
 * that has landed; a put is mirrored into it only once its batch is synced.
 */
export class MetaTable {
  /** The last put submitted per name, until it settles. */
  private readonly pending = new Map<string, Promise<void>>();

  constructor(
    private readonly durable: Map<string, unknown>,
    /** Encoded size of one value at most. */
    private readonly valueBytesMax: number,
    private readonly keyOf: (name: string) => Uint8Array,
    /** Plans the write synchronously and group commits it (synced). */
    private readonly submit: (plan: () => GroupWrite) => Promise<void>,
  ) {}

  /** The value as durable, after any put of the same name submitted before. */
  async get(name: string): Promise<unknown> {
    await this.pending.get(name)?.catch(() => undefined);
    return this.durable.get(name);
  }

  /** Stores a small MessagePack-able value under `name`, synced. */
  put(name: string, value: unknown): Promise<void> {
    const p = this.submit(() => {
      const bytes = encode(value);
      assert(bytes.length <= this.valueBytesMax, () => `putMeta(${name}): ${bytes.length} bytes > ${this.valueBytesMax}`);
      // Keep what was written, not the caller's object (which it may change later).
      const stored: unknown = packr.unpack(bytes);
      return { ops: [[this.keyOf(name), bytes]], onDurable: () => this.durable.set(name, stored) };
    });
    this.pending.set(name, p);
    void p.catch(() => undefined).finally(() => {
      if (this.pending.get(name) === p) this.pending.delete(name);
    });
    return p;
  }
}
