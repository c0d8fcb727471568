import { RpcClient } from '../net/rpc-client.js';
import type { ClusterSecret } from '../net/peer-auth.js';
import type { PeerTraffic } from '../net/peer-transport.js';
import type { Endpoint } from '../config/address.js';
import { formatEndpoint } from '../config/address.js';
import type { Logger } from '../server/logger.js';
import { parseParticipantStatus, STATUS_REQUEST } from '../rpc/participant-status.js';
import type { GroupStatus, ParticipantStatus } from '../rpc/participant-status.js';

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
  /** Why the layout this participant holds is not ours; undefined when it agrees (or it holds none yet). */
  layoutProblem: string | undefined;
}

export interface TrackerOptions {
  /** Checks the layout a participant reports: a reason when it differs from ours. */
  readonly checkLayout?: (reported: unknown) => string | undefined;
  /** config cluster_secret: proved both ways when dialing each participant. */
  readonly clusterSecret?: ClusterSecret;
}

/**
 * The coordinator's view of its participants: a heartbeat to each every
 * heartbeatMs; several missed beats mark it dead, an answered beat marks it
 * recovered. A group's leader is the live participant that says it leads
 * that group in the highest term (or that live participants name).
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
    private readonly options: TrackerOptions = {},
  ) {
    this.parts = participants.map((p) => ({
      id: p.id,
      address: p.address,
      rpc: new RpcClient({ cluster, address: p.address, logger: log, ...(options.clusterSecret !== undefined ? { clusterSecret: options.clusterSecret } : {}) }),
      alive: false,
      missed: 0,
      status: undefined,
      inFlight: false,
      layoutProblem: undefined,
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
      p.rpc.request(STATUS_REQUEST, this.limits.heartbeatMs * 2).then(
        (reply) => {
          p.inFlight = false;
          const st = parseParticipantStatus(reply);
          if (st === undefined) return this.missed(p, 'malformed status reply');
          p.missed = 0;
          p.status = st;
          this.checkLayout(p, st);
          if (!p.alive) {
            p.alive = true;
            this.log.info({ participant: p.id, address: formatEndpoint(p.address), leads: leads(st) }, 'participant alive');
          }
          this.wakeLeaderWaiters();
        },
        (err: unknown) => {
          p.inFlight = false;
          this.missed(p, err instanceof Error ? err.message : String(err));
        },
      );
    }
  }

  private checkLayout(p: Tracked, st: ParticipantStatus): void {
    const problem = st.layout === undefined ? undefined : this.options.checkLayout?.(st.layout);
    if (problem !== undefined && p.layoutProblem === undefined) {
      this.log.error({ participant: p.id, address: formatEndpoint(p.address), problem }, 'participant holds another layout: refusing writes until the configs agree');
    } else if (problem === undefined && p.layoutProblem !== undefined) {
      this.log.info({ participant: p.id }, 'participant layout agrees again');
    }
    p.layoutProblem = problem;
  }

  /** Why this coordinator must not serve (a participant holds another layout), or undefined. */
  layoutProblem(): string | undefined {
    const p = this.parts.find((x) => x.layoutProblem !== undefined);
    return p === undefined ? undefined : `participant ${p.id} (${formatEndpoint(p.address)}): ${p.layoutProblem}`;
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

  /** The participant we believe leads `group`, or undefined. */
  leaderOf(group: number): { id: number; rpc: RpcClient } | undefined {
    let best: { p: Tracked; term: number } | undefined;
    for (const p of this.parts) {
      const g = p.alive ? groupOf(p.status, group) : undefined;
      if (g?.role !== 'leader') continue;
      if (best === undefined || g.term > best.term) best = { p, term: g.term };
    }
    if (best !== undefined) return { id: best.p.id, rpc: best.p.rpc };
    // Nobody we heard from leads it; a follower may know who does.
    let named: { id: number; term: number } | undefined;
    for (const p of this.parts) {
      const g = p.alive ? groupOf(p.status, group) : undefined;
      if (g !== undefined && g.leaderId !== 0 && (named === undefined || g.term > named.term)) named = { id: g.leaderId, term: g.term };
    }
    const target = named === undefined ? undefined : this.parts.find((p) => p.id === named.id);
    return target === undefined ? undefined : { id: target.id, rpc: target.rpc };
  }

  /** Resolves when a leader of `group` is known or after ms. */
  waitForLeader(group: number, ms: number): Promise<void> {
    if (this.leaderOf(group) !== undefined) return Promise.resolve();
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

  /** Marks the leader guess for `group` stale after a failed forward: the next beat decides again. */
  suspect(id: number, group: number): void {
    const p = this.parts.find((x) => x.id === id);
    const st = p?.status;
    if (p === undefined || st === undefined) return;
    p.status = { ...st, groups: st.groups.map((g) => (g.group === group ? { ...g, role: 'unknown', leaderId: 0 } : g)) };
  }

  /** Any live participant, to forward through when no leader is known. */
  anyAlive(): { id: number; rpc: RpcClient } | undefined {
    const p = this.parts.find((x) => x.alive);
    return p === undefined ? undefined : { id: p.id, rpc: p.rpc };
  }

  /** Traffic with each participant over this coordinator's connection to it, by participant id. */
  traffic(): Record<string, PeerTraffic> {
    const out: Record<string, PeerTraffic> = {};
    for (const p of this.parts) {
      const s = p.rpc.stats();
      out[String(p.id)] = { bytesSent: s.bytesWritten, bytesReceived: s.bytesRead, framesSent: s.framesQueued, framesReceived: s.framesRead };
    }
    return out;
  }

  snapshot(): ReadonlyArray<{ id: number; address: Endpoint; alive: boolean; missed: number; status: ParticipantStatus | undefined; layoutProblem: string | undefined }> {
    return this.parts.map((p) => ({ id: p.id, address: p.address, alive: p.alive, missed: p.missed, status: p.status, layoutProblem: p.layoutProblem }));
  }
}

function groupOf(st: ParticipantStatus | undefined, group: number): GroupStatus | undefined {
  return st?.groups.find((g) => g.group === group);
}

/** The groups a participant says it leads, for logs. */
function leads(st: ParticipantStatus): number[] {
  return st.groups.filter((g) => g.role === 'leader').map((g) => g.group);
}
