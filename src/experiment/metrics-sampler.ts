import { Agent, request } from 'node:http';
import { assert } from '../../raft/assert.js';
import { parsePromText } from '../metrics/prom-text-parser.js';
import type { PromFamily } from '../metrics/prom-text-parser.js';
import type { ExperimentClock } from './experiment-clock.js';
import type { GroupSample, NodeSample } from './samples.js';

/** Samples kept at most (a 10-minute run at 50 ms over 4 members is 48,000). */
export const samplesMax = 200_000;

export interface SampledMember {
  readonly name: string;
  readonly metricsPort: number;
}

/**
 * Scrapes every member's /metrics on a fixed period, each member in its
 * own loop (a slow or stopped member never delays the others' samples),
 * and keeps one NodeSample per scrape. A scrape that gets no answer within
 * the timeout is a sample with up=false: that is how "down" is seen.
 */
export class MetricsSampler {
  readonly samples: NodeSample[] = [];
  private stopped = false;
  private loops: Array<Promise<void>> = [];
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });

  constructor(
    private readonly members: readonly SampledMember[],
    private readonly clock: ExperimentClock,
    readonly periodMs: number,
  ) {
    assert(periodMs >= 10, `sample period ${periodMs} ms is too fine`);
  }

  start(): void {
    this.loops = this.members.map((m) => this.loop(m));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
    this.agent.destroy();
  }

  /** The newest sample of a member, if any. */
  latest(node: string): NodeSample | undefined {
    for (let i = this.samples.length - 1; i >= 0; i--) if (this.samples[i]!.node === node) return this.samples[i];
    return undefined;
  }

  private async loop(m: SampledMember): Promise<void> {
    let next = this.clock.nowMs();
    while (!this.stopped) {
      const sample = await this.scrapeOnce(m);
      if (this.samples.length < samplesMax) this.samples.push(sample);
      next += this.periodMs;
      const wait = next - this.clock.nowMs();
      // Behind (a scrape took longer than a period): start the next one now, and keep the period from here.
      if (wait <= 0) next = this.clock.nowMs();
      else await new Promise((r) => setTimeout(r, wait));
    }
  }

  private async scrapeOnce(m: SampledMember): Promise<NodeSample> {
    const timeoutMs = Math.max(200, 3 * this.periodMs);
    try {
      const text = await httpText(m.metricsPort, '/metrics', timeoutMs, this.agent);
      return toSample(m.name, this.clock.nowMs(), parsePromText(text));
    } catch {
      return { tMs: this.clock.nowMs(), node: m.name, up: false, groups: [], peerSentBytes: {}, snapshotsSaved: 0, snapshotsSent: 0, snapshotsRestored: 0, txnOpen: 0 };
    }
  }
}

/** The body of a 200 answer from a loopback HTTP port; anything else rejects. */
export function httpText(port: number, path: string, timeoutMs: number, agent?: Agent): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ...(agent !== undefined ? { agent } : {}), timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${path} answered ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from :${port}${path} in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** The parts of one scrape the report reads. */
export function toSample(node: string, tMs: number, families: readonly PromFamily[]): NodeSample {
  const all = families.flatMap((f) => f.samples);
  const perGroup = (name: string): Map<number, number> => {
    const m = new Map<number, number>();
    for (const s of all) if (s.name === name && s.labels.group !== undefined) m.set(Number(s.labels.group), s.value);
    return m;
  };
  const one = (name: string): number | undefined => all.find((s) => s.name === name)?.value;
  /** Over every label set (a per-group gauge's groups). */
  const sum = (name: string): number => all.reduce((n, s) => (s.name === name ? n + s.value : n), 0);
  const commit = perGroup('kvstore_raft_commit_index');
  const applied = perGroup('kvstore_raft_applied_index');
  const last = perGroup('kvstore_raft_last_log_index');
  const snap = perGroup('kvstore_raft_snapshot_index');
  const term = perGroup('kvstore_raft_term');
  const leader = perGroup('kvstore_raft_leader_id');
  const elections = perGroup('kvstore_raft_elections_started_total');
  const roles = new Map<number, string>();
  for (const s of all) if (s.name === 'kvstore_raft_role' && s.value === 1 && s.labels.group !== undefined && s.labels.role !== undefined) roles.set(Number(s.labels.group), s.labels.role);
  const groups: GroupSample[] = [...commit.keys()].sort((a, b) => a - b).map((g) => ({
    group: g,
    role: roles.get(g) ?? 'unknown',
    term: term.get(g) ?? 0,
    leaderId: leader.get(g) ?? 0,
    commit: commit.get(g) ?? 0,
    applied: applied.get(g) ?? 0,
    lastIndex: last.get(g) ?? 0,
    snapshotIndex: snap.get(g) ?? 0,
    electionsStarted: elections.get(g) ?? 0,
  }));
  const peerSentBytes: Record<string, number> = {};
  for (const s of all) if (s.name === 'kvstore_peer_sent_bytes_total' && s.labels.peer !== undefined) peerSentBytes[s.labels.peer] = s.value;
  const info = all.find((s) => s.name === 'kvstore_build_info');
  const replayEntries = one('kvstore_restart_replay_entries');
  const replaySeconds = one('kvstore_restart_replay_duration_seconds');
  return {
    tMs,
    node,
    up: true,
    ...(info?.labels.node !== undefined ? { nodeId: Number(info.labels.node) } : {}),
    groups,
    peerSentBytes,
    ...(replayEntries !== undefined ? { replayEntries } : {}),
    ...(replaySeconds !== undefined ? { replaySeconds } : {}),
    snapshotsSaved: one('kvstore_snapshot_save_duration_seconds_count') ?? 0,
    snapshotsSent: one('kvstore_snapshot_send_duration_seconds_count') ?? 0,
    snapshotsRestored: one('kvstore_snapshot_restore_duration_seconds_count') ?? 0,
    // Every group's: group 1 is only ever a primary, and a primary's share holds no record (it commits in one phase).
    txnOpen: sum('kvstore_txn_open'),
  };
}
