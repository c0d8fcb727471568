import { workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { assert } from '../../raft/assert.js';
import type { MemoryStorage } from '../../raft/memory-storage.js';
import { RaftStore } from '../../storage/raft-store.js';
import { shapeOf } from './leveldb-disk.js';
import type { DiskReply, DiskRequest, LoadedLog } from './leveldb-disk.js';

/**
 * The thread that owns the simulator's RaftStores (LevelDB is asynchronous;
 * the simulation thread blocks on `flag` until each request's reply is
 * posted, so the simulation itself stays synchronous and deterministic).
 * Requests arrive one at a time: the simulation waits for every reply.
 */
const { port, flag } = workerData as { port: MessagePort; flag: Int32Array };
const stores = new Map<string, RaftStore>();

port.on('message', (req: DiskRequest) => {
  void serve(req).then(
    (reply) => answer(reply),
    (err: unknown) => answer({ ok: false, error: err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ''}` : String(err) }),
  );
});

/** Posts the reply, then wakes the simulation thread (which reads it with receiveMessageOnPort). */
function answer(reply: DiskReply): void {
  port.postMessage(reply);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

async function serve(req: DiskRequest): Promise<DiskReply> {
  switch (req.op) {
    case 'open': {
      assert(!stores.has(req.dir), () => `leveldb disk: ${req.dir} already open`);
      const store = await RaftStore.open(req.dir, { create: true, initialConf: req.conf });
      stores.set(req.dir, store);
      return { ok: true, shape: shapeOf(store.log), loaded: loaded(store.log) };
    }
    case 'persist': {
      const store = get(req.dir);
      const w = req.write;
      await store.persist({
        entries: w.entries,
        ...(w.hardState !== undefined ? { hardState: w.hardState } : {}),
        ...(w.snapshot !== undefined ? { snapshot: w.snapshot } : {}),
      });
      return { ok: true, shape: shapeOf(store.log) };
    }
    case 'saveSnapshot': {
      // As the shipped host does: the snapshot is recorded in the log, then made durable.
      const store = get(req.dir);
      const snap = store.log.createSnapshot(req.index, req.conf, req.data);
      await store.saveSnapshot(snap);
      return { ok: true, shape: shapeOf(store.log) };
    }
    case 'compact': {
      const store = get(req.dir);
      await store.compact(req.index);
      return { ok: true, shape: shapeOf(store.log) };
    }
    case 'crash': {
      // Nothing is in flight here (each call above awaited its write; the
      // simulated store decided what landed); the restart reads back what is on disk.
      await get(req.dir).crash();
      stores.delete(req.dir);
      const store = await RaftStore.open(req.dir, { create: false });
      stores.set(req.dir, store);
      return { ok: true, shape: shapeOf(store.log), loaded: loaded(store.log) };
    }
    case 'close': {
      const store = stores.get(req.dir);
      stores.delete(req.dir);
      await store?.close();
      return { ok: true, shape: undefined };
    }
    default: {
      const never: never = req;
      return never;
    }
  }
}

function get(dir: string): RaftStore {
  const store = stores.get(dir);
  assert(store !== undefined, () => `leveldb disk: ${dir} is not open`);
  return store;
}

function loaded(log: MemoryStorage): LoadedLog {
  const startIndex = log.firstIndex() - 1;
  const startTerm = log.term(startIndex);
  assert(startTerm !== undefined, () => `leveldb disk: no term at the log start ${startIndex}`);
  return {
    snapshot: log.snapshot(),
    start: { index: startIndex, term: startTerm },
    entries: log.allEntries(),
    hardState: log.hardState(),
  };
}
