import { deepStrictEqual, strictEqual } from 'node:assert/strict';
import test from 'ava';
import fc from 'fast-check';
import { encode, type ApplyResult, type SessionCmd } from '../../src/kv/kv-command.js';
import { KvStateMachine } from '../../src/participant/kv-state-machine.js';

/**
 * Property: any sequence of entries (single commands, batches, no-ops,
 * retries of earlier commands, snapshot/restore in between) leaves the state
 * machine equal to a plain model: a Map of keys plus an unbounded table of
 * every result, with the documented window rule.
 */
const windowSeqs = 4; // small, so stale retries are common
const limits = { sessionsMax: 1000, windowSeqs };
const keyPool = [[0x61], [0x0d, 0x0a], [0x00], [0x61, 0x00], [0xff], [0xc3, 0xa9]].map((k) => Buffer.from(k));
const clients = ['c0', 'c1', 'c2'];

type Action =
  | { kind: 'set'; client: number; key: number; values: Uint8Array[] }
  | { kind: 'del'; client: number; keys: number[] }
  | { kind: 'retry'; pick: number }
  | { kind: 'cut' }
  | { kind: 'noop' }
  | { kind: 'snapshot' };

const bytes = fc.uint8Array({ maxLength: 4 });
const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('set' as const), client: fc.nat(2), key: fc.nat(5), values: fc.array(bytes, { minLength: 1, maxLength: 3 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('del' as const), client: fc.nat(2), keys: fc.array(fc.nat(5), { minLength: 1, maxLength: 4 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('retry' as const), pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'cut' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'noop' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'snapshot' as const }) },
);

class Model {
  readonly data = new Map<string, Buffer[]>();
  readonly sessions = new Map<string, { lastSeq: number; results: Map<number, ApplyResult> }>();

  apply(cmd: SessionCmd): ApplyResult {
    const s = this.sessions.get(cmd.clientId);
    if (s === undefined && cmd.seq > windowSeqs) return { type: 'error', code: 'SESSION_EXPIRED' };
    if (s !== undefined && cmd.seq <= s.lastSeq) {
      if (cmd.seq <= s.lastSeq - windowSeqs) return { type: 'error', code: 'STALE_SESSION' };
      const cached = s.results.get(cmd.seq);
      if (cached !== undefined) return cached;
    }
    const result = this.#exec(cmd);
    const session = s ?? { lastSeq: 0, results: new Map() };
    session.lastSeq = Math.max(session.lastSeq, cmd.seq);
    session.results.set(cmd.seq, result);
    this.sessions.set(cmd.clientId, session);
    return result;
  }

  #exec(cmd: SessionCmd): ApplyResult {
    if (cmd.op === 'set') {
      this.data.set(cmd.key.toString('hex'), cmd.values.map((v) => Buffer.from(v)));
      return { type: 'ok' };
    }
    if (cmd.op === 'mset') {
      for (const [k, v] of cmd.pairs) this.data.set(k.toString('hex'), [Buffer.from(v)]);
      return { type: 'ok' };
    }
    if (cmd.op === 'str') throw new Error('the model generates no str commands');
    const unique = new Set(cmd.keys.map((k) => k.toString('hex')));
    let n = 0;
    for (const k of unique) if (this.data.delete(k)) n++;
    return { type: 'count', n };
  }
}

// Assertions inside the property throw (node:assert), so fast-check can shrink a failure.
test('random command sequences match a model Map (binary keys, batches, retries, snapshots)', (t) => {
  fc.assert(
    fc.property(fc.array(action, { maxLength: 150, size: 'max' }), (actions) => {
      let sm = new KvStateMachine(limits);
      const model = new Model();
      const issued: SessionCmd[] = [];
      const nextSeq = [0, 0, 0];
      let pending: SessionCmd[] = [];
      const flush = (): void => {
        if (pending.length === 0) return;
        const [only] = pending;
        const data = encode(pending.length === 1 && only !== undefined ? only : { op: 'batch', cmds: pending });
        const got = sm.apply(sm.appliedIndex + 1, data);
        const want = pending.map((c) => model.apply(c));
        deepStrictEqual(got, want);
        pending = [];
      };
      const seqFor = (client: number): number => (nextSeq[client] = (nextSeq[client] ?? 0) + 1);
      for (const a of actions) {
        switch (a.kind) {
          case 'set':
          case 'del': {
            const clientId = clients[a.client] ?? 'c0';
            const cmd: SessionCmd =
              a.kind === 'set'
                ? { op: 'set', clientId, seq: seqFor(a.client), key: keyPool[a.key] as Buffer, values: a.values.map((v) => Buffer.from(v)) }
                : { op: 'del', clientId, seq: seqFor(a.client), keys: a.keys.map((k) => keyPool[k] as Buffer) };
            issued.push(cmd);
            pending.push(cmd);
            break;
          }
          case 'retry': {
            const cmd = issued[a.pick % Math.max(1, issued.length)];
            if (cmd !== undefined) pending.push(cmd);
            break;
          }
          case 'cut':
            flush();
            break;
          case 'noop':
            flush();
            deepStrictEqual(sm.apply(sm.appliedIndex + 1, new Uint8Array(0)), []);
            break;
          case 'snapshot':
            flush();
            sm = KvStateMachine.restore(sm.snapshot(), limits);
            break;
        }
      }
      flush();
      sm.checkInvariants();
      strictEqual(sm.size, model.data.size);
      for (const k of keyPool) deepStrictEqual(sm.get(k), model.data.get(k.toString('hex')));
    }),
    { numRuns: 300 }, // on failure fast-check prints the seed and path that replay it
  );
  t.pass();
});
