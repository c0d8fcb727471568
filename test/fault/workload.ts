import { assert } from '../../raft/assert.js';
import { SeededRng } from '../../raft/rng.js';
import type { Reply } from '../../src/protocol/resp-reply-parser.js';
import { ClientLink } from './client-link.js';
import type { CallResult } from './client-link.js';
import { GroupKeys } from './group-keys.js';
import type { HistoryOp, OpKind } from './history.js';

/**
 * Concurrent clients, each on its own connection, issuing random single-key
 * SET / GET / DEL with unique values and recording every invocation and its
 * outcome. Keys rotate (as Jepsen's independent keys do): each key slot gets
 * a fresh key every `keyRotateMs`, which bounds every key's history and so
 * the checker's search.
 *
 * The multi-key workload (`multiKey`) adds MSET of one fresh unique value to
 * 2-3 keys, MGET of 2-3 keys and DEL of 2 keys, each naming keys of at least
 * two groups (hash-tagged keys, group-keys.ts) when there are several: the
 * transactions of the front door's 2PC, mixed with the single-key ops.
 */
export interface MultiKeyOptions {
  /** The cluster's Raft groups (config `groups`); key slot s is in group (s mod groups) + 1. */
  readonly groups: number;
}

export interface WorkloadOptions {
  readonly seed: number;
  readonly clients: number;
  readonly keySlots: number;
  readonly keyRotateMs: number;
  readonly requestTimeoutMs: number;
  /** Think time between a client's ops, uniform in [0, thinkMsMax). */
  readonly thinkMsMax: number;
  readonly ports: () => readonly number[];
  readonly multiKey?: MultiKeyOptions;
}

/** What a client does next; `del` names 1 key, or 2 in the multi-key mix. */
type Plan = { readonly kind: OpKind; readonly keys: readonly string[] };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The entries of an MGET reply of `n` keys: each a lab GET reply (or a plain bulk), as readValue reads it. */
export function readValues(reply: Reply, n: number): (string | null)[] | undefined {
  if (reply.type !== 'array' || reply.items === null || reply.items.length !== n) return undefined;
  const out: (string | null)[] = [];
  for (const it of reply.items) {
    const v = readValue(it);
    if (v === undefined) return undefined;
    out.push(v);
  }
  return out;
}

/** The words of a GET reply: joined by one space, or null for the lab's nil (`*1 $3 nil`) and `*-1`/`$-1`. */
export function readValue(reply: Reply): string | null | undefined {
  if (reply.type === 'bulk') return reply.value === null ? null : reply.value.toString('utf8');
  if (reply.type !== 'array') return undefined;
  if (reply.items === null) return null;
  const words: string[] = [];
  for (const it of reply.items) {
    if (it.type !== 'bulk' || it.value === null) return undefined;
    words.push(it.value.toString('utf8'));
  }
  // Workload values never are "nil", so this is the lab's missing-key reply.
  if (words.length === 1 && words[0] === 'nil') return null;
  return words.join(' ');
}

export class Workload {
  readonly history: HistoryOp[] = [];
  private readonly t0 = performance.now();
  private stopAt = Infinity;
  private running: Promise<void>[] = [];
  /** Ops sent and not yet answered (nor given up on): what the coordinator-kill nemesis aims at. */
  private readonly pending = new Set<HistoryOp>();
  private readonly groupKeys: GroupKeys | undefined;

  constructor(private readonly o: WorkloadOptions) {
    // MSET and MGET name 2-3 distinct keys.
    assert(o.multiKey === undefined || o.keySlots >= 3, 'workload: the multi-key mix needs at least 3 key slots');
    this.groupKeys = o.multiKey === undefined ? undefined : new GroupKeys(o.multiKey.groups);
  }

  inFlight(): HistoryOp[] {
    return [...this.pending];
  }

  now(): number {
    return performance.now() - this.t0;
  }

  keysUsed(): string[] {
    return [...new Set(this.history.flatMap((op) => op.keys))].sort();
  }

  start(): void {
    this.running = Array.from({ length: this.o.clients }, (_, c) => this.client(c));
  }

  async stop(): Promise<void> {
    this.stopAt = this.now();
    await Promise.all(this.running);
  }

  private keyAt(slot: number): string {
    const epoch = Math.floor(this.now() / this.o.keyRotateMs);
    return this.groupKeys === undefined ? `k${slot}e${epoch}` : this.groupKeys.key(slot, epoch);
  }

  /** `count` distinct key slots; the first two of different groups when there are several (and slots enough). */
  private slots(rng: SeededRng, count: number): number[] {
    const n = this.o.keySlots;
    const gk = this.groupKeys!;
    const first = rng.intBetween(0, n);
    const out = [first];
    const others = Array.from({ length: n }, (_, s) => s).filter((s) => s !== first);
    const apart = others.filter((s) => gk.groupOfSlot(s) !== gk.groupOfSlot(first));
    while (out.length < count && others.length > 0) {
      const from = out.length === 1 && apart.length > 0 ? apart : others;
      const s = rng.pick(from);
      out.push(s);
      others.splice(others.indexOf(s), 1);
      if (apart.includes(s)) apart.splice(apart.indexOf(s), 1);
    }
    return out;
  }

  private plan(rng: SeededRng): Plan {
    if (this.groupKeys === undefined) {
      const kind = rng.pick(['set', 'set', 'get', 'get', 'get', 'del'] as const);
      return { kind, keys: [this.keyAt(rng.intBetween(0, this.o.keySlots))] };
    }
    const kind = rng.pick(['set', 'get', 'get', 'del', 'mset', 'mset', 'mset', 'mget', 'mget', 'mget', 'mdel'] as const);
    const size = kind === 'mset' || kind === 'mget' ? rng.intBetween(2, 4) : kind === 'mdel' ? 2 : 1;
    const keys = this.slots(rng, size).map((s) => this.keyAt(s));
    return { kind: kind === 'mdel' ? 'del' : kind, keys };
  }

  private async client(c: number): Promise<void> {
    const rng = new SeededRng((this.o.seed ^ Math.imul(c + 1, 0x9e3779b1)) >>> 0);
    let link: ClientLink | undefined;
    let n = 0;
    while (this.now() < this.stopAt) {
      if (link === undefined || !link.usable) {
        link = await ClientLink.open(rng.pick(this.o.ports()), 1_000);
        if (link === undefined) {
          await sleep(100);
          continue;
        }
      }
      const p = this.plan(rng);
      await this.invoke(link, c, p.kind, p.keys, p.kind === 'set' || p.kind === 'mset' ? `c${c}n${n++}` : null);
      if (this.o.thinkMsMax > 0) await sleep(rng.intBetween(0, this.o.thinkMsMax));
    }
    link?.close();
  }

  /** Issues one op on `link` and records it; also used for the final reads (client -1). */
  async invoke(link: ClientLink, client: number, kind: OpKind, keys: readonly string[], value: string | null): Promise<HistoryOp> {
    const op: HistoryOp = {
      id: this.history.length,
      client,
      kind,
      key: keys[0]!,
      keys,
      value,
      invokeMs: this.now(),
      completeMs: null,
      outcome: 'info',
      read: null,
      reads: null,
      count: null,
      note: null,
      port: link.port,
    };
    this.history.push(op);
    this.pending.add(op);
    const r = await link.call(requestWords(op), this.o.requestTimeoutMs);
    this.pending.delete(op);
    record(op, r, this.now());
    return op;
  }
}

function requestWords(op: HistoryOp): string[] {
  switch (op.kind) {
    case 'set':
      return ['SET', op.key, op.value!];
    case 'mset':
      return ['MSET', ...op.keys.flatMap((k) => [k, op.value!])];
    case 'get':
      return ['GET', op.key];
    case 'mget':
      return ['MGET', ...op.keys];
    case 'del':
      return ['DEL', ...op.keys];
  }
}

/** Maps a reply (or its absence) to the op's outcome; see history.ts for what each means. */
function record(op: HistoryOp, r: CallResult, at: number): void {
  if (r.kind !== 'reply') {
    op.note = r.kind === 'timeout' ? 'timeout' : r.why;
    return;
  }
  const reply = r.reply;
  if (reply.type === 'error') {
    op.note = reply.message;
    // A failed read changed nothing; a write may have committed before the error.
    if (op.kind === 'get' || op.kind === 'mget') {
      op.outcome = 'fail';
      op.completeMs = at;
    }
    return;
  }
  op.completeMs = at;
  op.outcome = 'ok';
  switch (op.kind) {
    case 'set':
    case 'mset':
      if (reply.type !== 'simple' || reply.value !== 'OK') unexpected(op, reply);
      return;
    case 'get': {
      const v = readValue(reply);
      if (v === undefined) unexpected(op, reply);
      else op.read = v;
      return;
    }
    case 'mget': {
      const vs = readValues(reply, op.keys.length);
      if (vs === undefined) unexpected(op, reply);
      else op.reads = vs;
      return;
    }
    case 'del':
      if (reply.type === 'integer' && reply.value >= 0 && reply.value <= op.keys.length) op.count = reply.value;
      else unexpected(op, reply);
      return;
  }
}

/** A reply of the wrong shape is recorded as an impossible result, so the checker flags it. */
function unexpected(op: HistoryOp, reply: Reply): void {
  op.note = `unexpected reply ${JSON.stringify(reply)}`;
  const nonsense = `!unexpected ${JSON.stringify(reply)}`;
  if (op.kind === 'del') op.count = -1;
  if (op.kind === 'get') op.read = nonsense;
  if (op.kind === 'mget') op.reads = op.keys.map(() => nonsense);
}
