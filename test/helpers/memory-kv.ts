import { applyStrChange } from '../../src/kv/str-command.js';
import { runProgram, type ProgramOp } from '../../src/txn/txn-program.js';
import type { KvAnswer, KvOp, KvService, KvSession } from '../../src/server/kv-service.js';
import { SlottedMap } from '../../src/participant/slot-key-index.js';
import { globMatch } from '../../src/kv/glob-match.js';

/** A KvService over one in-memory map: the front door's contract without Raft, for door tests. */
export class MemoryKv implements KvService {
  readonly data = new SlottedMap<Buffer[]>();
  /** Absolute expiry (ms) of keys that have one. Reads and SET/DEL honour it as the state machine does. */
  readonly expires = new Map<string, number>();
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

  private live(key: string): Buffer[] | undefined {
    const at = this.expires.get(key);
    return at !== undefined && at <= Date.now() ? undefined : this.data.get(key);
  }

  private apply(op: KvOp): KvAnswer {
    switch (op.type) {
      case 'get':
        return { type: 'values', values: this.live(op.key.toString('latin1')) };
      case 'set':
        this.data.set(op.key.toString('latin1'), [...op.values]);
        this.expires.delete(op.key.toString('latin1'));
        return { type: 'ok' };
      case 'del': {
        let n = 0;
        for (const k of op.keys) {
          const live = this.live(k.toString('latin1')) !== undefined;
          this.expires.delete(k.toString('latin1'));
          if (this.data.delete(k.toString('latin1')) && live) n++;
        }
        return { type: 'count', n };
      }
      case 'mset':
        for (const [k, v] of op.pairs) {
          this.data.set(k.toString('latin1'), [v]);
          this.expires.delete(k.toString('latin1'));
        }
        return { type: 'ok' };
      case 'mget':
        return { type: 'multi', values: op.keys.map((k) => this.live(k.toString('latin1'))) };
      case 'scan': {
        const match = op.match;
        const { keys, next, visited } = this.data.index.scan(op.from, op.toSlot, op.count, (k) => this.live(k) !== undefined && (match === undefined || globMatch(match, Buffer.from(k, 'latin1'))));
        return { type: 'scan', keys: keys.map((k) => Buffer.from(k, 'latin1')), next, visited };
      }
      case 'replicas':
        return { type: 'replicas', n: 0 };
      case 'str': {
        // As the leader would: its clock is the command's now.
        const key = op.key.toString('latin1');
        const before = this.data.get(key)?.map((b) => b.toString('latin1'));
        const { next, atMs, result } = applyStrChange(before === undefined ? undefined : before.length === 1 ? before[0]! : before, this.expires.get(key), op.change, Date.now());
        if (next === undefined) {
          this.data.delete(key);
          this.expires.delete(key);
        } else {
          if (next !== 'unchanged') this.data.set(key, [Buffer.from(next, 'latin1')]);
          if (atMs === undefined) this.expires.delete(key);
          else this.expires.set(key, atMs);
        }
        return { type: 'str', result };
      }
      case 'flush':
        this.data.clear();
        this.expires.clear();
        return { type: 'ok' };
      case 'exec': {
        // One program over the whole map, as one group's share would run: the shared evaluator.
        const keys = [...new Set(op.ops.map((o) => o.key.toString('latin1')))];
        const ops: ProgramOp[] = op.ops.map((o) => {
          const k = keys.indexOf(o.key.toString('latin1'));
          return o.kind === 'str' ? { k, kind: 'str', change: o.change } : o.kind === 'watch' ? { k, kind: 'watch', digest: o.digest } : { k, kind: o.kind };
        });
        const ran = runProgram({ nowMs: Date.now(), ops }, (k) => {
          const v = this.data.get(keys[k]!)?.map((b) => b.toString('latin1'));
          return { value: v === undefined ? undefined : v.length === 1 ? v[0]! : v, atMs: this.expires.get(keys[k]!) };
        });
        if (ran.type === 'unmet') return { type: 'exec', outs: undefined };
        for (const [k, f] of ran.finals) {
          const key = keys[k]!;
          if (f.value === undefined) {
            this.data.delete(key);
            this.expires.delete(key);
            continue;
          }
          this.data.set(key, (typeof f.value === 'string' ? [f.value] : [...f.value]).map((v) => Buffer.from(v, 'latin1')));
          if (f.atMs === undefined) this.expires.delete(key);
          else this.expires.set(key, f.atMs);
        }
        return { type: 'exec', outs: ran.outs };
      }
    }
  }
}
