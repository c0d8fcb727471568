import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePorts } from '../helpers/ports.js';
import { LinkProxy } from './link-proxy.js';
import { NodeProcess } from './node-process.js';
import type { TxnFailpoint } from '../../src/txn/txn-failpoints.js';

/**
 * A real cluster of processes with a fault-injecting proxy on every directed
 * peer link: node i reaches node j only through proxy `i->j` (config
 * `peer_route`), and in 2pc mode the coordinator reaches participant j only
 * through `c->j`. Clients talk RESP to the nodes directly.
 *   raft: `kvstoreraftsystem` peers (or the test-only unsafe node), clients on every peer;
 *   2pc:  a `kvstore2pcsystem` coordinator and participants, clients on the coordinator.
 */
export const CLUSTER_MODES = ['raft', '2pc'] as const;
export type ClusterMode = (typeof CLUSTER_MODES)[number];

export interface FaultClusterOptions {
  readonly mode: ClusterMode;
  /** Raft peers or participants. */
  readonly nodes: number;
  /** raft only: run the test-only broken node (stale local reads) instead of the product. */
  readonly unsafe?: boolean;
  /** Config `snapshot_entries` for every member: small values exercise snapshots, compaction and InstallSnapshot. */
  readonly snapshotEntries?: number;
  /** Config `groups` (coordinator or every raft peer): several Raft groups per process. */
  readonly groups?: number;
  /** TEST ONLY: every process is the shipped program with this 2PC failpoint on (failpoint-system.ts). */
  readonly failpoint?: TxnFailpoint;
  /** Every front door (the coordinator, or every raft peer) also serves the Redis endpoint (config `redis_info`). */
  readonly redis?: boolean;
}

/** The repository root (holds package.json), from src or from dist. */
export function repoRoot(): string {
  let dir = import.meta.dirname;
  for (let k = 0; k < 6; k++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bin'))) return dir;
    dir = dirname(dir);
  }
  throw new Error(`no repository root above ${import.meta.dirname}`);
}

/** node argv running a test-only entrypoint of this folder, from dist (.js) or from source (tsx). */
function testProgramArgv(name: string): string[] {
  const here = import.meta.dirname;
  if (import.meta.url.endsWith('.js')) return [join(here, `${name}.js`)];
  // Resolved here: node resolves --import against the child's cwd (a temp dir without node_modules).
  return ['--import', import.meta.resolve('tsx'), join(here, `${name}.ts`)];
}

export class FaultCluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'kvstore-fault-'));
  readonly nodes: NodeProcess[] = [];
  coordinator: NodeProcess | undefined;
  /** `${from}->${to}` with node indexes, or `c->${to}` for the coordinator. */
  readonly links = new Map<string, LinkProxy>();
  /** Lab client port -> Redis endpoint port of the same process (with `redis`). */
  private readonly redisPortOf = new Map<number, number>();

  private constructor(readonly options: FaultClusterOptions) {}

  static async start(options: FaultClusterOptions): Promise<FaultCluster> {
    const c = new FaultCluster(options);
    try {
      await c.build();
    } catch (err) {
      await c.close();
      throw err;
    }
    return c;
  }

  /** Where clients connect. */
  clientPorts(): number[] {
    return this.options.mode === 'raft' ? this.nodes.map((n) => n.port) : [this.coordinator!.port];
  }

  /** Where Redis clients connect (with `redis`): the coordinator's, or every raft peer's Redis endpoint. */
  redisPorts(): number[] {
    return this.clientPorts().flatMap((p) => {
      const r = this.redisPortOf.get(p);
      return r === undefined ? [] : [r];
    });
  }

  /** The process whose Redis endpoint is `port`. */
  processAtRedisPort(port: number): NodeProcess | undefined {
    const lab = [...this.redisPortOf].find(([, r]) => r === port)?.[0];
    return lab === undefined ? undefined : this.processAtPort(lab);
  }

  /** The processes running a client front door (and so the 2PC driver): the coordinator, or every raft peer. */
  frontDoors(): NodeProcess[] {
    return this.coordinator === undefined ? [...this.nodes] : [this.coordinator];
  }

  /** The process whose client port is `port`. */
  processAtPort(port: number): NodeProcess | undefined {
    return this.processes().find((p) => p.port === port);
  }

  /** Every process the nemesis may hit: the nodes, then the coordinator. */
  processes(): NodeProcess[] {
    return this.coordinator === undefined ? [...this.nodes] : [...this.nodes, this.coordinator];
  }

  private async build(): Promise<void> {
    const n = this.options.nodes;
    const root = repoRoot();
    const twoPc = this.options.mode === '2pc';
    const redisCount = this.options.redis === true ? (twoPc ? 1 : n) : 0;
    const ports = await freePorts(n + 1 + redisCount);
    const nodePorts = ports.slice(0, n);
    const addr = (p: number): string => `127.0.0.1:${p}`;
    // The Redis endpoint of the front door whose lab port is `lab` (the next unused port), as a config line.
    const redisFree = ports.slice(n + 1);
    const redisLine = (lab: number): string[] => {
      if (this.options.redis !== true) return [];
      const r = redisFree.shift()!;
      this.redisPortOf.set(lab, r);
      return [`redis_info ${addr(r)}`];
    };
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) if (i !== j) await this.addLink(`${i}->${j}`, nodePorts[j]!);
      if (twoPc) await this.addLink(`c->${i}`, nodePorts[i]!);
    }
    const routes = (from: string): string[] =>
      nodePorts.flatMap((p, j) => (this.links.has(`${from}->${j}`) ? [`peer_route ${addr(p)} 127.0.0.1:${this.links.get(`${from}->${j}`)!.port}`] : []));
    const groups = this.options.groups === undefined ? [] : [`groups ${this.options.groups}`];
    if (twoPc) {
      const cport = ports[n]!;
      const conf = this.file('coordinator.conf', ['mode coordinator', `coordinator_info ${addr(cport)}`, ...nodePorts.map((p) => `participant_info ${addr(p)}`), ...groups, ...redisLine(cport), ...routes('c')]);
      this.coordinator = this.proc('coordinator', cport, [...this.program('2pc'), '--config_path', conf]);
      this.coordinator.start();
    }
    for (let i = 0; i < n; i++) {
      const self = nodePorts[i]!;
      const lines = twoPc
        ? ['mode participant', `participant_info ${addr(self)}`, `coordinator_info ${addr(ports[n]!)}`]
        : [`follower_info ${addr(self)}`, ...nodePorts.filter((p) => p !== self).map((p) => `follower_info ${addr(p)}`)];
      const snap = this.options.snapshotEntries === undefined ? [] : [`snapshot_entries ${this.options.snapshotEntries}`];
      const conf = this.file(`node${i}.conf`, [...lines, `data_dir data-${i}`, ...snap, ...(twoPc ? [] : [...groups, ...redisLine(self)]), ...routes(String(i))]);
      const program = !twoPc && this.options.unsafe === true ? testProgramArgv('unsafe-node') : this.program(twoPc ? '2pc' : 'raft');
      const node = this.proc(`node${i}`, self, [...program, '--config_path', conf]);
      this.nodes.push(node);
      node.start();
    }
  }

  /** The shipped program of a shape, or with the failpoint asked for, its test-only wrapper. */
  private program(shape: '2pc' | 'raft'): string[] {
    const fp = this.options.failpoint;
    // From dist, as bin/ runs the shipped programs: the same compiled code, only the failpoint differs.
    if (fp !== undefined) return [join(repoRoot(), 'dist', 'test', 'fault', 'failpoint-system.js'), shape, fp];
    return [join(repoRoot(), 'bin', shape === '2pc' ? 'kvstore2pcsystem' : 'kvstoreraftsystem')];
  }

  private async addLink(name: string, target: number): Promise<void> {
    const proxy = new LinkProxy(name, target);
    await proxy.listen();
    this.links.set(name, proxy);
  }

  private file(name: string, lines: string[]): string {
    const path = join(this.dir, name);
    writeFileSync(path, `! written by the fault harness\n${lines.join('\n')}\n`);
    return path;
  }

  private proc(name: string, port: number, argv: string[]): NodeProcess {
    return new NodeProcess(name, port, argv, this.dir, join(this.dir, `${name}.log`));
  }

  /** Cuts every link between different groups (both directions); others pass. Group members are node indexes, 'c' the coordinator. */
  partition(groups: ReadonlyArray<ReadonlyArray<number | 'c'>>): void {
    const groupOf = new Map<string, number>();
    groups.forEach((g, k) => g.forEach((m) => groupOf.set(String(m), k)));
    for (const [name, proxy] of this.links) {
      const [from, to] = name.split('->') as [string, string];
      const a = groupOf.get(from);
      const b = groupOf.get(to);
      proxy.setMode(a !== undefined && b !== undefined && a !== b ? 'drop' : 'pass');
    }
  }

  /** Cuts exactly the named directed links (and heals all others). */
  cutLinks(names: readonly string[]): void {
    const cut = new Set(names);
    for (const [name, proxy] of this.links) proxy.setMode(cut.has(name) ? 'drop' : 'pass');
  }

  heal(): void {
    for (const proxy of this.links.values()) proxy.setMode('pass');
  }

  /** The node (index) that most recently logged it became leader, among live, running ones. */
  leader(): number | undefined {
    let best: { i: number; term: number } | undefined;
    this.nodes.forEach((n, i) => {
      if (!n.alive || n.paused) return;
      const r = n.lastRole();
      if (r?.role === 'leader' && (best === undefined || r.term > best.term)) best = { i, term: r.term };
    });
    return best?.i;
  }

  /** Continue every paused process, restart every dead one, heal every link. */
  healAll(): void {
    this.heal();
    for (const p of this.processes()) {
      p.resume();
      if (!p.alive) p.start();
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.processes().map((p) => p.close()));
    await Promise.all([...this.links.values()].map((l) => l.close()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** For process.on('exit'): no awaiting possible. */
  killNow(): void {
    for (const p of this.processes()) p.killNow();
  }
}
