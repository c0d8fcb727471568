import { SeededRng } from '../../raft/rng.js';
import type { Reply } from '../../src/protocol/resp-reply-parser.js';
import { ClientLink } from './client-link.js';
import type { CallResult } from './client-link.js';
import type { HistoryOp, OpKind } from './history.js';

/**
 * Concurrent clients, each on its own connection, issuing random single-key
 * SET / GET / DEL with unique values and recording every invocation and its
 * outcome. Keys rotate (as Jepsen's independent keys do): each key slot gets
 * a fresh key every `keyRotateMs`, which bounds every key's history and so
 * the checker's search.
 */
export interface WorkloadOptions {
  readonly seed: number;
  readonly clients: number;
  readonly keySlots: number;
  readonly keyRotateMs: number;
  readonly requestTimeoutMs: number;
  /** Think time between a client's ops, uniform in [0, thinkMsMax). */
  readonly thinkMsMax: number;
  readonly ports: () => readonly number[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

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

  constructor(private readonly o: WorkloadOptions) {}

  now(): number {
    return performance.now() - this.t0;
  }

  keysUsed(): string[] {
    return [...new Set(this.history.map((op) => op.key))].sort();
  }

  start(): void {
    this.running = Array.from({ length: this.o.clients }, (_, c) => this.client(c));
  }

  async stop(): Promise<void> {
    this.stopAt = this.now();
    await Promise.all(this.running);
  }

  private keyAt(slot: number): string {
    return `k${slot}e${Math.floor(this.now() / this.o.keyRotateMs)}`;
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
      const kind = rng.pick(['set', 'set', 'get', 'get', 'get', 'del'] as const);
      const key = this.keyAt(rng.intBetween(0, this.o.keySlots));
      await this.invoke(link, c, kind, key, kind === 'set' ? `c${c}n${n++}` : null);
      if (this.o.thinkMsMax > 0) await sleep(rng.intBetween(0, this.o.thinkMsMax));
    }
    link?.close();
  }

  /** Issues one op on `link` and records it; also used for the final reads (client -1). */
  async invoke(link: ClientLink, client: number, kind: OpKind, key: string, value: string | null): Promise<HistoryOp> {
    const op: HistoryOp = {
      id: this.history.length,
      client,
      kind,
      key,
      value,
      invokeMs: this.now(),
      completeMs: null,
      outcome: 'info',
      read: null,
      count: null,
      note: null,
      port: link.port,
    };
    this.history.push(op);
    const words = kind === 'set' ? ['SET', key, value!] : [kind.toUpperCase(), key];
    const r = await link.call(words, this.o.requestTimeoutMs);
    record(op, r, this.now());
    return op;
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
    if (op.kind === 'get') {
      op.outcome = 'fail';
      op.completeMs = at;
    }
    return;
  }
  op.completeMs = at;
  op.outcome = 'ok';
  switch (op.kind) {
    case 'set':
      if (reply.type !== 'simple' || reply.value !== 'OK') unexpected(op, reply);
      return;
    case 'get': {
      const v = readValue(reply);
      if (v === undefined) unexpected(op, reply);
      else op.read = v;
      return;
    }
    case 'del':
      if (reply.type === 'integer') op.count = reply.value;
      else unexpected(op, reply);
      return;
  }
}

/** A reply of the wrong shape is recorded as an impossible result, so the checker flags it. */
function unexpected(op: HistoryOp, reply: Reply): void {
  op.note = `unexpected reply ${JSON.stringify(reply)}`;
  if (op.kind === 'del') op.count = -1;
  else op.read = `!unexpected ${JSON.stringify(reply)}`;
  if (op.kind === 'set') op.read = null;
}
