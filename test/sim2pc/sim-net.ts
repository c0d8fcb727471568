import type { TxnGroupClient } from '../../src/txn/txn-client.js';
import type { TxnResult } from '../../src/txn/txn-command.js';
import type { GroupReply, GroupRequest, SimGroup } from './sim-group.js';
import type { Sim2pcWorld } from './sim2pc-world.js';

export interface NetParams {
  /** Each message (request or reply) is lost with this chance while faults last. */
  readonly lossP: number;
  /** A request is delivered twice with this chance (the copy later). */
  readonly dupP: number;
  /** A message takes `hugeDelayMs` range instead of 1..8 ms with this chance: late copies arrive after their transaction ended. */
  readonly hugeP: number;
  readonly hugeDelayMs: readonly [number, number];
  /** One attempt's wait for its reply before the caller tries again. */
  readonly attemptTimeoutMs: number;
}

/** A party that sends: a front door incarnation or a group leader. Dead, it sends nothing and hears nothing. */
export interface Sender {
  alive(): boolean;
  /** Called before each request leaves; true = the sender crashes right here (the request is not sent). */
  crashBeforeSend?(req: GroupRequest): boolean;
}

/**
 * The network between front doors and group leaders: requests and replies
 * are delayed, lost, duplicated and reordered (a late copy of a PREPARE can
 * arrive after its transaction was resolved and forgotten) while faults
 * last. Callers retry each request until their deadline, as the shipped
 * forwarding does.
 */
export class SimNet {
  faults = true;
  sent = 0;
  lost = 0;
  duplicated = 0;
  late = 0;

  constructor(
    private readonly world: Sim2pcWorld,
    private readonly groups: ReadonlyMap<number, SimGroup>,
    private readonly p: NetParams,
  ) {}

  #delay(): number {
    const w = this.world;
    if (this.faults && w.rng.chance(this.p.hugeP)) {
      this.late++;
      return w.rng.intBetween(this.p.hugeDelayMs[0], this.p.hugeDelayMs[1]);
    }
    return w.rng.intBetween(1, 9);
  }

  #lost(): boolean {
    if (this.faults && this.world.rng.chance(this.p.lossP)) {
      this.lost++;
      return true;
    }
    return false;
  }

  /** One attempt: resolves with the reply, rejects on an error reply or after the attempt timeout. */
  attempt(from: Sender, g: number, req: GroupRequest, deadlineMs: number): Promise<GroupReply> {
    const w = this.world;
    return new Promise<GroupReply>((resolve, reject) => {
      if (from.crashBeforeSend?.(req) === true || !from.alive()) return; // never settles: the sender is gone
      this.sent++;
      let settled = false;
      const answer = (ok: boolean, v: unknown): void => {
        if (settled || !from.alive()) return;
        settled = true;
        if (ok) resolve(v as GroupReply);
        else reject(v);
      };
      w.at(this.p.attemptTimeoutMs, () => answer(false, new Error('attempt timed out')));
      const deliver = (): void => {
        const group = this.groups.get(g)!;
        if (!group.up) {
          if (!this.#lost()) w.at(this.#delay(), () => answer(false, new Error(`group ${g} has no leader`)));
          return;
        }
        group.handle(req, deadlineMs).then(
          (reply) => {
            if (!this.#lost()) w.at(this.#delay(), () => answer(true, reply));
          },
          (err: unknown) => {
            if (!this.#lost()) w.at(this.#delay(), () => answer(false, err));
          },
        );
      };
      if (!this.#lost()) w.at(this.#delay(), deliver);
      if (this.faults && w.rng.chance(this.p.dupP)) {
        this.duplicated++;
        w.at(this.#delay() + this.#delay(), deliver);
      }
    });
  }

  /** Retries one request until it is answered or the deadline passes. */
  async call(from: Sender, g: number, req: GroupRequest, deadlineMs: number): Promise<GroupReply> {
    const env = this.world.env(() => from.alive());
    let last: unknown;
    while (env.now() < deadlineMs) {
      try {
        return await this.attempt(from, g, req, deadlineMs);
      } catch (err) {
        last = err;
      }
      await env.sleep(3);
    }
    throw last ?? new Error('deadline passed');
  }

  client(from: Sender): TxnGroupClient {
    return {
      run: async (g, cmd, deadlineMs) => (await this.call(from, g, { kind: 'txn', cmd }, deadlineMs)) as TxnResult,
      status: async (g, txn, groups, deadlineMs) => (await this.call(from, g, { kind: 'status', txn, groups }, deadlineMs)) as TxnResult,
    };
  }
}
