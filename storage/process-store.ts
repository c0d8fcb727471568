// TEMPORARY stand-in until the multi-storage branch lands: one RaftStore per group in a subdir.
import fs from 'node:fs';
import path from 'node:path';
import { RaftStore } from './raft-store.js';
import type { RaftStoreOptions } from './raft-store.js';
export class ProcessStore {
  private readonly groups: RaftStore[] = [];
  private constructor(readonly dataDir: string, private readonly meta: RaftStore) {}
  static async open(dataDir: string, o: { create?: boolean } = {}): Promise<ProcessStore> {
    const meta = await RaftStore.open(dataDir, { create: o.create ?? true, snapshotData: 'disk' });
    return new ProcessStore(dataDir, meta);
  }
  async openGroup(g: number, o: RaftStoreOptions): Promise<RaftStore> { const s = await RaftStore.open(path.join(this.dataDir, `g${g}`), o); this.groups.push(s); return s; }
  getMeta(n: string): Promise<unknown> { return this.meta.getMeta(n); }
  putMeta(n: string, v: unknown): Promise<void> { return this.meta.putMeta(n, v); }
  async close(): Promise<void> { for (const g of this.groups) await g.close(); await this.meta.close(); void fs; }
}
