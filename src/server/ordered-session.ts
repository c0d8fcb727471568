import type { KvAnswer, KvOp, KvSession } from './kv-service.js';

type Kind = 'read' | 'write';

/**
 * A client's pipelined commands keep their order where it shows, as Redis
 * does: a GET sees every SET and DEL sent before it on its connection, and
 * never one sent after it. Commands of one kind still run concurrently
 * (a pipeline of writes is group-committed, a pipeline of reads shares a
 * ReadIndex); only where the kind changes does a command wait until every
 * earlier one has been answered.
 * Invariant: when an op of kind K starts, every earlier op of the other kind has settled.
 */
export function orderedSession(inner: KvSession): KvSession {
  let runKind: Kind | undefined;
  /** The ops of the current run of one kind, started or gated. */
  let run: Array<Promise<unknown>> = [];
  /** Settles when every op before the current run has settled. */
  let gate: Promise<unknown> | undefined;
  return {
    execute(op: KvOp): Promise<KvAnswer> {
      // WAIT ('replicas') runs as a write: it waits until every earlier write has been answered.
      const kind: Kind = op.type === 'get' || op.type === 'mget' || op.type === 'scan' ? 'read' : 'write';
      if (kind !== runKind) {
        gate = run.length === 0 ? gate : Promise.allSettled(run);
        run = [];
        runKind = kind;
      }
      const p = gate === undefined ? inner.execute(op) : gate.then(() => inner.execute(op));
      run.push(p);
      // Bounded: a long run of one kind is released as its ops settle.
      if (run.length > 1024) run = [Promise.allSettled(run)];
      return p;
    },
    close: () => inner.close(),
  };
}
