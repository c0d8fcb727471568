import type { KvAnswer, KvOp, KvService, KvSession } from '../../src/server/kv-service.js';

/** A KvService over one in-memory map: the front door's contract without Raft, for door tests. */
export class MemoryKv implements KvService {
  readonly data = new Map<string, Buffer[]>();
  /** Ops executed, in order (to check what a door sent). */
  readonly ops: KvOp[] = [];
  /** Makes every op wait this long (ms), to exercise pipelines and ordering. */
  delayMs = 0;

  openSession(): KvSession {
    return {
      execute: async (op) => {
        this.ops.push(op);
        if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
        return this.apply(op);
      },
      close: () => {},
    };
  }

  private apply(op: KvOp): KvAnswer {
    switch (op.type) {
      case 'get':
        return { type: 'values', values: this.data.get(op.key.toString('latin1')) };
      case 'set':
        this.data.set(op.key.toString('latin1'), [...op.values]);
        return { type: 'ok' };
      case 'del': {
        let n = 0;
        for (const k of op.keys) if (this.data.delete(k.toString('latin1'))) n++;
        return { type: 'count', n };
      }
      case 'mset':
        for (const [k, v] of op.pairs) this.data.set(k.toString('latin1'), [v]);
        return { type: 'ok' };
      case 'mget':
        return { type: 'multi', values: op.keys.map((k) => this.data.get(k.toString('latin1'))) };
    }
  }
}
