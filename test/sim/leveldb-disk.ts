import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { assert } from '../../raft/assert.js';
import type { MemoryStorage } from '../../raft/memory-storage.js';
import type { ConfState, Entry, HardState, Snapshot } from '../../raft/types.js';
import type { LogStart } from '../../storage/codec.js';
import { buildLog } from '../../storage/load.js';
import type { DiskWrite, SimDisk } from './sim-disk.js';

/**
 * A simulated node's disk on a real RaftStore (LevelDB) in its own dir.
 *
 * LevelDB only answers asynchronously, at times the world does not decide;
 * the simulation decides when a write lands (sim-store.ts) and must then
 * see it durable at once, or its runs would not replay. So the stores live
 * on a worker thread and every call here blocks (Atomics.wait) until its
 * write is synced. Simulated time is virtual, so a LevelDB run of a seed
 * must make the same decisions, and print the same trace, as a memory run.
 *
 * `log` is a mirror the core reads, updated (as RaftStore does its own)
 * only after the worker reports the write durable, and checked after every
 * write against the store's own copy. A crash is RaftStore.crash() then
 * RaftStore.open(): `log` becomes what LevelDB gives back, after checking
 * that it is exactly what was acknowledged as durable.
 */

/** A disk call (one synced batch, or a reopen) may take this long before we call the disk hung. */
export const DISK_CALL_MS_MAX = 60_000;

/** The summary of a log both sides compare after every write. */
export interface LogShape {
  readonly first: number;
  readonly last: number;
  readonly term: number;
  readonly vote: number;
  readonly commit: number;
  readonly snapIndex: number;
  readonly snapTerm: number;
}

/** A whole log as the store loaded it from disk. */
export interface LoadedLog {
  readonly snapshot: Snapshot;
  /** Index and term just before the first stored entry (the compaction point). */
  readonly start: LogStart;
  readonly entries: readonly Entry[];
  readonly hardState: HardState;
}

export type DiskRequest =
  | { readonly op: 'open'; readonly dir: string; readonly conf: ConfState }
  | { readonly op: 'persist'; readonly dir: string; readonly write: DiskWrite }
  | { readonly op: 'saveSnapshot'; readonly dir: string; readonly index: number; readonly conf: ConfState; readonly data: Uint8Array }
  | { readonly op: 'compact'; readonly dir: string; readonly index: number }
  | { readonly op: 'crash'; readonly dir: string }
  | { readonly op: 'close'; readonly dir: string };

export type DiskReply =
  | { readonly ok: true; readonly shape: LogShape | undefined; readonly loaded?: LoadedLog }
  | { readonly ok: false; readonly error: string };

/** The worker thread owning this thread's stores, and the blocking call into it. */
class DiskThread {
  private readonly port: MessagePort;
  /** 0 while a request is out, set to 1 by the worker once its reply is posted. */
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  /** Calls made (each one synced batch or a reopen). */
  calls = 0;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    // Built (npm run sim) the worker is a .js file; under tsx (tests) it is a
    // .ts one, which a worker thread on Node 20 loads only through tsx's API.
    const file = new URL('./leveldb-disk-worker.js', import.meta.url);
    const workerData = { port: port2, flag: this.flag };
    const worker = import.meta.url.endsWith('.ts')
      ? new Worker(tsxBootstrap(new URL('./leveldb-disk-worker.ts', import.meta.url).href), { eval: true, workerData, transferList: [port2] })
      : new Worker(file, { workerData, transferList: [port2] });
    // Idle between runs, it must not keep the process alive.
    worker.unref();
    this.port = port1;
    this.port.unref();
  }

  call(req: DiskRequest): DiskReply & { ok: true } {
    this.calls++;
    Atomics.store(this.flag, 0, 0);
    this.port.postMessage(req);
    // Wait for the flag itself, not for a wake-up: the worker sets the flag,
    // then notifies, and may be descheduled in between; its late notify then
    // wakes the NEXT call's wait before that call's reply exists.
    const deadline = Date.now() + DISK_CALL_MS_MAX;
    while (Atomics.load(this.flag, 0) === 0) {
      const leftMs = deadline - Date.now();
      assert(leftMs > 0, () => `leveldb disk: ${req.op} ${req.dir} got no answer within ${DISK_CALL_MS_MAX} ms`);
      Atomics.wait(this.flag, 0, 0, leftMs);
    }
    const got = receiveMessageOnPort(this.port);
    assert(got !== undefined, () => `leveldb disk: ${req.op} ${req.dir}: woken without a reply`);
    const reply = got.message as DiskReply;
    if (!reply.ok) throw new Error(`leveldb disk: ${req.op} ${req.dir} failed: ${reply.error}`);
    return reply;
  }
}

/** Worker code that imports a TypeScript module through tsx. */
function tsxBootstrap(href: string): string {
  const h = JSON.stringify(href);
  return `import('tsx/esm/api').then(({ tsImport }) => tsImport(${h}, ${h}))`;
}

let thread: DiskThread | undefined;

/** Disk calls made by this thread so far (each a synced batch, an open, a reopen or a close). */
export function leveldbDiskCalls(): number {
  return thread?.calls ?? 0;
}

/** One worker per thread, started on first use and shared by every run. */
function diskThread(): DiskThread {
  thread ??= new DiskThread();
  return thread;
}

export class LevelDbDisk implements SimDisk {
  readonly kind = 'leveldb';
  log: MemoryStorage;
  private closed = false;

  /** Opens (creating) the store in `dir`, a fresh database whose snapshot at 0 holds `conf`. */
  constructor(
    readonly dir: string,
    conf: ConfState,
  ) {
    const reply = diskThread().call({ op: 'open', dir, conf });
    assert(reply.loaded !== undefined, 'leveldb disk: open returned no log');
    this.log = rebuild(reply.loaded);
    this.checkShape('open', reply.shape);
  }

  persist(w: DiskWrite): void {
    // A Ready with nothing durable in it (messages or applies only) needs no batch.
    if (w.snapshot === undefined && w.entries.length === 0 && w.hardState === undefined) return;
    // Only what is durable crosses to the worker (a Ready also holds messages and applies).
    const write: DiskWrite = { entries: w.entries, hardState: w.hardState, snapshot: w.snapshot };
    const reply = this.call({ op: 'persist', dir: this.dir, write });
    if (w.snapshot !== undefined) this.log.applySnapshot(w.snapshot);
    this.log.append(w.entries);
    if (w.hardState !== undefined) this.log.setHardState(w.hardState);
    this.checkShape('persist', reply.shape);
  }

  saveSnapshot(index: number, conf: ConfState, data: Uint8Array): void {
    const reply = this.call({ op: 'saveSnapshot', dir: this.dir, index, conf, data });
    this.log.createSnapshot(index, conf, data);
    this.checkShape('saveSnapshot', reply.shape);
  }

  compact(index: number): void {
    const reply = this.call({ op: 'compact', dir: this.dir, index });
    this.log.compact(index);
    this.checkShape('compact', reply.shape);
  }

  crash(): void {
    const reply = this.call({ op: 'crash', dir: this.dir });
    assert(reply.loaded !== undefined, 'leveldb disk: reopen returned no log');
    const reloaded = rebuild(reply.loaded);
    const diff = logDiff(this.log, reloaded);
    assert(diff === undefined, () => `leveldb disk ${this.dir}: after a crash the store reads back other than what was synced: ${diff}`);
    this.log = reloaded;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    diskThread().call({ op: 'close', dir: this.dir });
  }

  private call(req: DiskRequest): DiskReply & { ok: true } {
    assert(!this.closed, () => `leveldb disk ${this.dir}: ${req.op} after close`);
    return diskThread().call(req);
  }

  /** The store's own in-memory copy must match the mirror the core reads. */
  private checkShape(what: string, theirs: LogShape | undefined): void {
    const ours = JSON.stringify(shapeOf(this.log));
    assert(ours === JSON.stringify(theirs), () => `leveldb disk ${this.dir}: after ${what} the store holds ${JSON.stringify(theirs)}, the mirror ${ours}`);
  }
}

function rebuild(l: LoadedLog): MemoryStorage {
  return buildLog(l.snapshot, l.start, l.entries, l.hardState);
}

export function shapeOf(log: MemoryStorage): LogShape {
  const hs = log.hardState();
  const meta = log.snapshot().meta;
  return {
    first: log.firstIndex(),
    last: log.lastIndex(),
    term: hs.term,
    vote: hs.vote,
    commit: hs.commit,
    snapIndex: meta.index,
    snapTerm: meta.term,
  };
}

/** The first difference between two logs, or undefined when they hold the same. */
export function logDiff(a: MemoryStorage, b: MemoryStorage): string | undefined {
  const sa = JSON.stringify(shapeOf(a));
  const sb = JSON.stringify(shapeOf(b));
  if (sa !== sb) return `shape ${sa} vs ${sb}`;
  const ma = a.snapshot().meta;
  const mb = b.snapshot().meta;
  if (JSON.stringify(ma.conf) !== JSON.stringify(mb.conf)) return `snapshot conf ${JSON.stringify(ma.conf)} vs ${JSON.stringify(mb.conf)}`;
  if (!bytesEqual(a.snapshot().data, b.snapshot().data)) return `snapshot data at ${ma.index} differs`;
  const ea = a.allEntries();
  const eb = b.allEntries();
  for (let k = 0; k < ea.length; k++) {
    const x = ea[k]!;
    const y = eb[k]!;
    if (x.index !== y.index || x.term !== y.term || x.type !== y.type) return `entry ${x.index}: (${x.term},${x.type}) vs (${y.term},${y.type})`;
    if (x.type === 'normal' && y.type === 'normal' && !bytesEqual(x.data, y.data)) return `entry ${x.index}: data differs`;
    if (x.type === 'conf' && y.type === 'conf' && JSON.stringify(x.change) !== JSON.stringify(y.change)) return `entry ${x.index}: conf change differs`;
  }
  return undefined;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
