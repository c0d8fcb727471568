import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assert } from '../../raft/assert.js';
import { packageRoot } from '../cluster/package-root.js';
import { freePorts } from './free-ports.js';
import { LinkProxy } from './link-proxy.js';
import { NodeProcess } from './node-process.js';

/**
 * The cluster an experiment runs against, on loopback in a fresh folder:
 *   2pc:  a `kvstore2pcsystem` coordinator (the front door) and three
 *         participants hosting `groups` Raft groups;
 *   raft: three `kvstoreraftsystem` peers, each a front door.
 * Every member serves /metrics on its own `metrics_info` port, and every
 * directed peer link (participant to participant, coordinator to
 * participant) goes through a LinkProxy, so a partition cuts real sockets.
 */
export const EXPERIMENT_SHAPES = ['2pc', 'raft'] as const;
export type ExperimentShape = (typeof EXPERIMENT_SHAPES)[number];

/** Raft peers or participants: the lab's three. */
export const replicaMembersCount = 3;

export interface ExperimentClusterOptions {
  readonly shape: ExperimentShape;
  readonly groups: number;
  /** The folder for configs, data and logs; made if absent. */
  readonly dir: string;
  /** Config `snapshot_entries` of every replica member (small: a lagging follower rejoins by InstallSnapshot). */
  readonly snapshotEntries?: number;
}

export type MemberKind = 'coordinator' | 'participant' | 'raft';

export interface Member {
  /** coordinator, participant1..3 or raft1..3: the name actions and the report use. */
  readonly name: string;
  readonly kind: MemberKind;
  readonly proc: NodeProcess;
  readonly clientPort: number;
  readonly metricsPort: number;
}

export class ExperimentCluster {
  readonly members: Member[] = [];
  /** `${from}->${to}` by member name. */
  readonly links = new Map<string, LinkProxy>();

  private constructor(readonly options: ExperimentClusterOptions) {}

  /** Writes the configs and starts every member (not yet waiting for them to serve). */
  static async start(options: ExperimentClusterOptions): Promise<ExperimentCluster> {
    assert(Number.isSafeInteger(options.groups) && options.groups >= 1, `groups ${options.groups}`);
    const c = new ExperimentCluster(options);
    try {
      await c.build();
    } catch (err) {
      await c.close();
      throw err;
    }
    return c;
  }

  /** Members that host Raft groups (all but the coordinator). */
  replicas(): Member[] {
    return this.members.filter((m) => m.kind !== 'coordinator');
  }

  member(name: string): Member | undefined {
    return this.members.find((m) => m.name === name);
  }

  /** Where clients connect: the coordinator, or every raft peer. */
  frontDoors(): Member[] {
    return this.options.shape === '2pc' ? this.members.filter((m) => m.kind === 'coordinator') : this.replicas();
  }

  private async build(): Promise<void> {
    const { shape, dir } = this.options;
    const twoPc = shape === '2pc';
    mkdirSync(join(dir, 'logs'), { recursive: true });
    const n = replicaMembersCount;
    const ports = await freePorts(2 * (n + 1));
    const addr = (p: number): string => `127.0.0.1:${p}`;
    const names = Array.from({ length: n }, (_, i) => (twoPc ? `participant${i + 1}` : `raft${i + 1}`));
    const clientPort = new Map(names.map((name, i) => [name, ports[i]!]));
    const metricsPort = new Map(names.map((name, i) => [name, ports[n + 1 + i]!]));
    clientPort.set('coordinator', ports[n]!);
    metricsPort.set('coordinator', ports[2 * n + 1]!);
    const senders = twoPc ? [...names, 'coordinator'] : names;
    for (const from of senders) {
      for (const to of names) if (from !== to) await this.addLink(`${from}->${to}`, clientPort.get(to)!);
    }
    const routes = (from: string): string[] =>
      names.filter((to) => this.links.has(`${from}->${to}`)).map((to) => `peer_route ${addr(clientPort.get(to)!)} 127.0.0.1:${this.links.get(`${from}->${to}`)!.port}`);
    const groups = `groups ${this.options.groups}`;
    const snap = this.options.snapshotEntries === undefined ? [] : [`snapshot_entries ${this.options.snapshotEntries}`];
    const program = twoPc ? 'kvstore2pcsystem' : 'kvstoreraftsystem';
    const specs: Array<{ name: string; kind: MemberKind; lines: string[] }> = [];
    if (twoPc) {
      specs.push({
        name: 'coordinator',
        kind: 'coordinator',
        lines: ['mode coordinator', `coordinator_info ${addr(clientPort.get('coordinator')!)}`, ...names.map((m) => `participant_info ${addr(clientPort.get(m)!)}`), groups, `replicas ${n}`],
      });
    }
    for (const name of names) {
      const self = clientPort.get(name)!;
      const lines = twoPc
        ? ['mode participant', `participant_info ${addr(self)}`, `coordinator_info ${addr(clientPort.get('coordinator')!)}`, ...snap]
        : [`follower_info ${addr(self)}`, ...names.filter((m) => m !== name).map((m) => `follower_info ${addr(clientPort.get(m)!)}`), groups, ...snap];
      specs.push({ name, kind: twoPc ? 'participant' : 'raft', lines });
    }
    const root = packageRoot();
    for (const s of specs) {
      const lines = [...s.lines, `data_dir data/${s.name}`, `metrics_info ${addr(metricsPort.get(s.name)!)}`, ...routes(s.name)];
      const conf = join(dir, `${s.name}.conf`);
      writeFileSync(conf, `! written by kvstore experiment\n${lines.join('\n')}\n`);
      const proc = new NodeProcess(s.name, clientPort.get(s.name)!, [join(root, 'bin', program), '--config_path', conf], dir, join(dir, 'logs', `${s.name}.log`));
      this.members.push({ name: s.name, kind: s.kind, proc, clientPort: clientPort.get(s.name)!, metricsPort: metricsPort.get(s.name)! });
      proc.start();
    }
  }

  private async addLink(name: string, target: number): Promise<void> {
    const proxy = new LinkProxy(name, target);
    await proxy.listen();
    this.links.set(name, proxy);
  }

  /** Cuts every link between the two sides, both directions; every other link passes. */
  partition(a: readonly string[], b: readonly string[]): void {
    const sideOf = new Map<string, number>([...a.map((m) => [m, 0] as const), ...b.map((m) => [m, 1] as const)]);
    for (const [name, proxy] of this.links) {
      const [from, to] = name.split('->') as [string, string];
      const x = sideOf.get(from);
      const y = sideOf.get(to);
      proxy.setMode(x !== undefined && y !== undefined && x !== y ? 'drop' : 'pass');
    }
  }

  heal(): void {
    for (const proxy of this.links.values()) proxy.setMode('pass');
  }

  /** Crashes no one noticed from the members (exits nobody asked for), for the report. */
  crashes(): string[] {
    return this.members.flatMap((m) => m.proc.crashes);
  }

  async close(): Promise<void> {
    await Promise.all(this.members.map((m) => m.proc.close()));
    await Promise.all([...this.links.values()].map((l) => l.close()));
  }

  /** For process.on('exit'): nothing can be awaited there. */
  killNow(): void {
    for (const m of this.members) m.proc.killNow();
  }
}
