import { assertNever } from '../../raft/assert.js';
import type { ClientLoad } from './client-load.js';
import type { ExperimentClock } from './experiment-clock.js';
import type { ExperimentCluster, Member } from './experiment-cluster.js';
import type { MetricsSampler } from './metrics-sampler.js';
import type { ActionEvent } from './samples.js';
import type { Step } from './timeline-step.js';

/** How long `leader` may take to be known (from the samples) before the step fails. */
export const leaderWaitMs = 10_000;
const pollMs = 25;

export class TimelineError extends Error {
  readonly code = 'TIMELINE';
}

/**
 * Runs a timeline's steps in order against the cluster, recording each
 * action (when, on whom) for the report. Who `leader` is comes from the
 * latest metric samples, as an operator would find it. Stops early when
 * `signal` aborts (Ctrl-C).
 */
export class TimelineRunner {
  readonly events: ActionEvent[] = [];
  /** Members the last kill/terminate/pause/partition hit. */
  private victims: string[] = [];
  /** Each victim's last log index per group in its last sample before it was hit (for `wait compacted`). */
  private readonly lastIndexAtHit = new Map<string, Map<number, number>>();
  /** Step index being run, for the progress bar. */
  stepAt = 0;

  constructor(
    private readonly cluster: ExperimentCluster,
    private readonly sampler: MetricsSampler,
    private readonly load: ClientLoad,
    private readonly clock: ExperimentClock,
    private readonly signal: AbortSignal,
    /** The replicas' snapshot_entries (the program's default when unset). */
    private readonly snapshotEntries: number,
  ) {}

  async run(steps: readonly Step[]): Promise<void> {
    for (const [i, step] of steps.entries()) {
      if (this.signal.aborted) return;
      this.stepAt = i;
      if (step.do === 'end') break;
      await this.runStep(step);
    }
    this.stepAt = steps.length;
  }

  private record(action: string, targets: readonly string[], extra: { others?: readonly string[]; note?: string } = {}): void {
    this.events.push({ tMs: this.clock.nowMs(), action, targets, ...extra });
  }

  private async runStep(s: Step): Promise<void> {
    switch (s.do) {
      case 'load':
        if (s.on) this.load.start();
        else await this.load.stop();
        this.record(s.on ? 'load-start' : 'load-stop', []);
        return;
      case 'end':
        return;
      case 'wait':
        await this.sleep(s.ms);
        return;
      case 'caught-up': {
        const members = await this.resolve(s.target);
        const ok = await this.waitCaughtUp(members, s.timeoutMs);
        this.record('caught-up-wait', members.map((m) => m.name), { note: ok ? 'caught up' : `not caught up after ${s.timeoutMs} ms` });
        return;
      }
      case 'leaders': {
        const ok = await this.waitLeaders(s.timeoutMs);
        this.record('leaders-wait', [], { note: ok ? 'every group has a leader' : `a group had no leader after ${s.timeoutMs} ms` });
        return;
      }
      case 'compacted': {
        const members = await this.resolve(s.target);
        const ok = await this.waitCompacted(members, s.timeoutMs);
        this.record('compacted-wait', members.map((m) => m.name), { note: ok ? 'the others snapshotted past it' : `not compacted past it after ${s.timeoutMs} ms` });
        return;
      }
      case 'kill':
      case 'terminate':
      case 'pause': {
        const members = await this.resolve(s.target);
        this.victims = members.map((m) => m.name);
        this.noteLastIndexes(members);
        // Recorded before the signal is sent: the fault begins with the action, not when its promise settles.
        this.record(s.do, this.victims);
        for (const m of members) {
          if (s.do === 'kill') await m.proc.kill();
          else if (s.do === 'terminate') await m.proc.stop();
          else m.proc.pause();
        }
        return;
      }
      case 'restart':
      case 'resume': {
        const members = await this.resolve(s.target);
        this.record(s.do, members.map((m) => m.name));
        for (const m of members) {
          if (s.do === 'restart') m.proc.start();
          else m.proc.resume();
        }
        return;
      }
      case 'partition': {
        const side = await this.resolveAll(s.side, []);
        const other = await this.resolveAll(s.other, side);
        this.victims = side.map((m) => m.name);
        this.noteLastIndexes(side);
        this.record('partition', this.victims, { others: other.map((m) => m.name) });
        this.cluster.partition(this.victims, other.map((m) => m.name));
        return;
      }
      case 'heal':
        this.record('heal', []);
        this.cluster.heal();
        return;
      default:
        assertNever(s, 'timeline step');
    }
  }

  private async resolveAll(names: readonly string[], otherSide: readonly Member[]): Promise<Member[]> {
    const out: Member[] = [];
    for (const n of names) {
      const got = n === 'rest' ? this.cluster.members.filter((m) => !otherSide.includes(m)) : await this.resolve(n);
      for (const m of got) if (!out.includes(m)) out.push(m);
    }
    return out;
  }

  /** The members a target names now. */
  async resolve(target: string): Promise<Member[]> {
    const role = /^(leader|follower)(?::(\d+))?$/.exec(target);
    if (role !== null) {
      const group = role[2] === undefined ? 1 : Number(role[2]);
      const leader = await this.leaderOf(group);
      if (role[1] === 'leader') return [leader];
      const follower = this.cluster.replicas().find((m) => m !== leader && m.proc.alive && !m.proc.paused && this.sampler.latest(m.name)?.groups.some((g) => g.group === group) === true);
      if (follower === undefined) throw new TimelineError(`${target}: no running follower of group ${group}`);
      return [follower];
    }
    if (target === 'victim') {
      if (this.victims.length === 0) throw new TimelineError('victim: no earlier kill, terminate, pause or partition');
      return this.victims.map((v) => this.cluster.member(v)!);
    }
    if (target === 'down') return this.cluster.members.filter((m) => !m.proc.alive);
    const m = this.cluster.member(target);
    if (m === undefined) throw new TimelineError(`${target}: no such member (members: ${this.cluster.members.map((x) => x.name).join(', ')})`);
    return [m];
  }

  /** The running member whose latest sample says it leads the group (the highest term wins if two think so). */
  private async leaderOf(group: number): Promise<Member> {
    const deadline = this.clock.nowMs() + leaderWaitMs;
    for (;;) {
      let best: { m: Member; term: number } | undefined;
      for (const m of this.cluster.replicas()) {
        if (!m.proc.alive || m.proc.paused) continue;
        const g = this.sampler.latest(m.name)?.groups.find((x) => x.group === group);
        if (g?.role === 'leader' && (best === undefined || g.term > best.term)) best = { m, term: g.term };
      }
      if (best !== undefined) return best.m;
      if (this.clock.nowMs() > deadline || this.signal.aborted) throw new TimelineError(`no leader of group ${group} seen in ${leaderWaitMs} ms`);
      await this.sleep(pollMs);
    }
  }

  /**
   * Until every member's sampled applied index, in each group it hosts,
   * reaches the highest commit index the other members showed when the
   * wait began (what it missed); a member hosting no group only has to
   * answer a scrape.
   */
  private async waitCaughtUp(members: readonly Member[], timeoutMs: number): Promise<boolean> {
    const startMs = this.clock.nowMs();
    const targets = new Map<string, Map<number, number>>();
    for (const m of members) {
      const want = new Map<number, number>();
      for (const other of this.cluster.replicas()) {
        if (other === m) continue;
        for (const g of this.sampler.latest(other.name)?.groups ?? []) want.set(g.group, Math.max(want.get(g.group) ?? 0, g.commit));
      }
      targets.set(m.name, want);
    }
    while (!this.signal.aborted) {
      const done = members.every((m) => {
        const s = this.sampler.latest(m.name);
        if (s === undefined || !s.up || s.tMs < startMs) return false;
        if (m.kind === 'coordinator') return true;
        return [...targets.get(m.name)!].every(([g, commit]) => (s.groups.find((x) => x.group === g)?.applied ?? -1) >= commit);
      });
      if (done) return true;
      if (this.clock.nowMs() - startMs > timeoutMs) return false;
      await this.sleep(pollMs);
    }
    return false;
  }

  /** Until, in the latest samples of the running replicas, every group they host has a leader. */
  private async waitLeaders(timeoutMs: number): Promise<boolean> {
    const startMs = this.clock.nowMs();
    while (!this.signal.aborted) {
      const hosted = new Set<number>();
      const led = new Set<number>();
      for (const m of this.cluster.replicas()) {
        if (!m.proc.alive || m.proc.paused) continue;
        const s = this.sampler.latest(m.name);
        if (s === undefined || !s.up || s.tMs < startMs) continue;
        for (const g of s.groups) {
          hosted.add(g.group);
          if (g.role === 'leader') led.add(g.group);
        }
      }
      if (hosted.size > 0 && [...hosted].every((g) => led.has(g))) return true;
      if (this.clock.nowMs() - startMs > timeoutMs) return false;
      await this.sleep(pollMs);
    }
    return false;
  }

  private noteLastIndexes(members: readonly Member[]): void {
    for (const m of members) this.lastIndexAtHit.set(m.name, new Map((this.sampler.latest(m.name)?.groups ?? []).map((g) => [g.group, g.lastIndex])));
  }

  /**
   * Until every other replica's snapshot index, in each group the members
   * host, is 2 x snapshot_entries past the member's last index when it was
   * hit. The host compacts to its snapshot minus at most snapshot_entries/2,
   * so the entries the member lacks are gone from every log: it can only be
   * brought back by InstallSnapshot. (Twice, because the last sample before
   * the hit may be up to a period old.)
   */
  private async waitCompacted(members: readonly Member[], timeoutMs: number): Promise<boolean> {
    const startMs = this.clock.nowMs();
    const margin = 2 * this.snapshotEntries;
    while (!this.signal.aborted) {
      const done = members.every((m) => {
        const at = this.lastIndexAtHit.get(m.name);
        if (at === undefined) return true;
        return [...at].every(([g, last]) =>
          this.cluster.replicas().filter((o) => o !== m).every((o) => (this.sampler.latest(o.name)?.groups.find((x) => x.group === g)?.snapshotIndex ?? 0) >= last + margin),
        );
      });
      if (done) return true;
      if (this.clock.nowMs() - startMs > timeoutMs) return false;
      await this.sleep(pollMs);
    }
    return false;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.signal.aborted) return resolve();
      const signal = this.signal;
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

