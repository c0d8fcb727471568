import { RpcClient } from '../net/rpc-client.js';
import type { Endpoint } from '../config/address.js';
import { formatEndpoint } from '../config/address.js';
import type { Logger } from '../server/logger.js';

/** What a participant answers a heartbeat with (see participant `status` requests). */
export interface ParticipantStatus {
  readonly id: number;
  readonly role: string;
  readonly term: number;
  readonly leaderId: number;
  readonly commit: number;
  readonly applied: number;
}

export interface TrackerLimits {
  readonly heartbeatMs: number;
  /** Missed beats in a row before a participant is declared dead. */
  readonly deadAfterMisses: number;
}

interface Tracked {
  readonly id: number;
  readonly address: Endpoint;
  readonly rpc: RpcClient;
  alive: boolean;
  missed: number;
  status: ParticipantStatus | undefined;
  inFlight: boolean;
}

function parseStatus(v: unknown): ParticipantStatus | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const nums = ['id', 'term', 'leaderId', 'commit', 'applied'] as const;
  if (typeof o['role'] !== 'string' || nums.some((k) => typeof o[k] !== 'number')) return undefined;
  return {
    id: o['id'] as number,
    role: o['role'],
    term: o['term'] as number,
    leaderId: o['leaderId'] as number,
    commit: o['commit'] as number,
    applied: o['applied'] as number,
  };
}

/**
 * The coordinator's view of its participants: a heartbeat to each every
 * heartbeatMs; several missed beats mark it dead, an answered beat marks it
 * recovered. The leader is the live participant that says it leads in the
 * highest term (or that live participants name).
 */
export class ParticipantTracker {
  private readonly parts: Tracked[];
  private timer: NodeJS.Timeout | undefined;
  private readonly leaderWaiters = new Set<() => void>();

  constructor(
    participants: readonly { id: number; address: Endpoint }[],
    cluster: string,
    private readonly limits: TrackerLimits,
    private readonly log: Logger,
  ) {
    this.parts = participants.map((p) => ({
      id: p.id,
      address: p.address,
      rpc: new RpcClient({ cluster, address: p.address, logger: log }),
      alive: false,
      missed: 0,
      status: undefined,
      inFlight: false,
    }));
  }

  start(): void {
    this.beat();
    this.timer = setInterval(() => this.beat(), this.limits.heartbeatMs);
  }

  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    for (const p of this.parts) p.rpc.close();
    for (const w of this.leaderWaiters) w();
    this.leaderWaiters.clear();
  }

  private beat(): void {
    for (const p of this.parts) {
      if (p.inFlight) continue;
      p.inFlight = true;
      p.rpc.request({ t: 'status' }, this.limits.heartbeatMs * 2).then(
        (reply) => {
          p.inFlight = false;
          const st = parseStatus(reply);
          if (st === undefined) return this.missed(p, 'malformed status reply');
          p.missed = 0;
          p.status = st;
          if (!p.alive) {
            p.alive = true;
            this.log.info({ participant: p.id, address: formatEndpoint(p.address), role: st.role, term: st.term }, 'participant alive');
          }
          if (this.leader() !== undefined) this.wakeLeaderWaiters();
        },
        (err: unknown) => {
          p.inFlight = false;
          this.missed(p, err instanceof Error ? err.message : String(err));
        },
      );
    }
  }

  private missed(p: Tracked, why: string): void {
    p.missed++;
    if (p.alive && p.missed >= this.limits.deadAfterMisses) {
      p.alive = false;
      p.status = undefined;
      this.log.warn({ participant: p.id, address: formatEndpoint(p.address), missed: p.missed, why }, 'participant dead');
    }
  }

  private wakeLeaderWaiters(): void {
    for (const w of this.leaderWaiters) w();
    this.leaderWaiters.clear();
  }

  /** The participant we believe leads, or undefined. */
  leader(): { id: number; rpc: RpcClient } | undefined {
    let best: Tracked | undefined;
    for (const p of this.parts) {
      if (!p.alive || p.status?.role !== 'leader') continue;
      if (best === undefined || p.status.term > (best.status?.term ?? -1)) best = p;
    }
    if (best !== undefined) return { id: best.id, rpc: best.rpc };
    // Nobody we heard from leads; a follower may know who does.
    let named: { id: number; term: number } | undefined;
    for (const p of this.parts) {
      const st = p.status;
      if (p.alive && st !== undefined && st.leaderId !== 0 && (named === undefined || st.term > named.term)) named = { id: st.leaderId, term: st.term };
    }
    const target = named === undefined ? undefined : this.parts.find((p) => p.id === named.id);
    return target === undefined ? undefined : { id: target.id, rpc: target.rpc };
  }

  /** Resolves when a leader is known or after ms. */
  waitForLeader(ms: number): Promise<void> {
    if (this.leader() !== undefined) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.leaderWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.leaderWaiters.add(done);
    });
  }

  /** Marks the leader guess stale after a failed forward: next beat decides again. */
  suspect(id: number): void {
    const p = this.parts.find((x) => x.id === id);
    if (p?.status !== undefined) p.status = { ...p.status, role: 'unknown', leaderId: 0 };
  }

  /** Any live participant, to forward through when no leader is known. */
  anyAlive(): { id: number; rpc: RpcClient } | undefined {
    const p = this.parts.find((x) => x.alive);
    return p === undefined ? undefined : { id: p.id, rpc: p.rpc };
  }

  snapshot(): ReadonlyArray<{ id: number; address: Endpoint; alive: boolean; missed: number; status: ParticipantStatus | undefined }> {
    return this.parts.map((p) => ({ id: p.id, address: p.address, alive: p.alive, missed: p.missed, status: p.status }));
  }
}
