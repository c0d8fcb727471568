import { assert } from '../../raft/assert.js';
import { ClientLink } from './client-link.js';
import type { ExperimentClock } from './experiment-clock.js';
import type { RequestOutcome, RequestRecord } from './samples.js';

/** Requests kept at most: past that the load keeps running but stops recording (and says so). */
export const requestsMax = 2_000_000;

export interface ClientLoadOptions {
  readonly clients: number;
  /** Where clients connect; a client moves to the next one after any failure. */
  readonly ports: readonly number[];
  /** One hash tag per group (group-keys.ts): SETs rotate over the groups. */
  readonly groupTags: readonly string[];
  /** Every k-th request of a client is an MSET over every group (0: none). */
  readonly msetEvery: number;
  readonly requestTimeoutMs: number;
  /** Pause after a failed request, so a dead front door is not hammered. */
  readonly failurePauseMs: number;
}

/**
 * The experiment's own steady load: `clients` connections, each one
 * request at a time, each request writing fresh keys with a unique value,
 * so every acknowledged write can be checked at the end. Every request's
 * start, end and outcome is recorded.
 */
export class ClientLoad {
  readonly records: RequestRecord[] = [];
  dropped = 0;
  private running = false;
  private loops: Array<Promise<void>> = [];

  constructor(
    private readonly o: ClientLoadOptions,
    private readonly clock: ExperimentClock,
  ) {
    assert(o.clients >= 1 && o.ports.length >= 1 && o.groupTags.length >= 1, 'a load needs clients, ports and groups');
  }

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loops = Array.from({ length: this.o.clients }, (_, c) => this.client(c));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.loops = [];
  }

  /** Ok requests so far, and the others. */
  counts(): { ok: number; failed: number } {
    let ok = 0;
    for (const r of this.records) if (r.outcome === 'ok') ok++;
    return { ok, failed: this.records.length - ok };
  }

  private async client(c: number): Promise<void> {
    let portAt = c % this.o.ports.length;
    let link: ClientLink | undefined;
    // Sequence numbers continue across stop/start: keys never repeat.
    let seq = this.records.filter((r) => r.client === c).length;
    while (this.running) {
      seq++;
      const mset = this.o.msetEvery > 0 && seq % this.o.msetEvery === 0;
      const tags = this.o.groupTags;
      const value = `v${c}-${seq}`;
      const groups = mset ? tags.map((_, g) => g + 1) : [((c + seq) % tags.length) + 1];
      const keys = groups.map((g) => `{${tags[g - 1]!}}exp:c${c}:${seq}`);
      const words = mset ? ['MSET', ...keys.flatMap((k) => [k, value])] : ['SET', keys[0]!, value];
      const startMs = this.clock.nowMs();
      if (link === undefined || !link.usable) link = await ClientLink.open(this.o.ports[portAt]!, this.o.requestTimeoutMs);
      let outcome: RequestOutcome;
      if (link === undefined) outcome = 'closed';
      else {
        const r = await link.call(words, this.o.requestTimeoutMs);
        outcome = r.kind === 'reply' ? (r.reply.type === 'simple' && r.reply.value === 'OK' ? 'ok' : 'error') : r.kind;
      }
      const endMs = this.clock.nowMs();
      if (this.records.length < requestsMax) this.records.push({ client: c, op: mset ? 'mset' : 'set', keys, value, groups, startMs, endMs, outcome });
      else this.dropped++;
      if (outcome !== 'ok') {
        portAt = (portAt + 1) % this.o.ports.length;
        if (outcome !== 'error') {
          link?.close();
          link = undefined;
        }
        await new Promise((r) => setTimeout(r, this.o.failurePauseMs));
      }
    }
    link?.close();
  }
}
