import type { Proc } from './processes.js';
import { ProcessGroup, waitFor } from './processes.js';
import { freePorts } from './ports.js';
import { cmd } from './resp-client.js';

/** The last role a node logged, parsed from its structured stderr. */
export function lastRole(p: Proc): { role: string; leader: number; term: number } | undefined {
  const lines = p.stderr.split('\n').filter((l) => l.includes('"msg":"raft role"'));
  const last = lines[lines.length - 1];
  if (last === undefined) return undefined;
  const j = JSON.parse(last) as { role: string; leader: number; term: number };
  return { role: j.role, leader: j.leader, term: j.term };
}

/** Three (or n) `kvstoreraftsystem` peers from lab config files, on free loopback ports. */
export class RaftProcCluster {
  readonly group = new ProcessGroup();
  ports: number[] = [];
  readonly procs = new Map<number, Proc>();
  private extra = '';

  static async create(n = 3, extraConfig = ''): Promise<RaftProcCluster> {
    const c = new RaftProcCluster();
    c.ports = await freePorts(n);
    c.extra = extraConfig;
    return c;
  }

  /** Node ids are ranks of sorted addresses; ports come back sorted-by-id. */
  get ids(): number[] {
    return this.ports.map((_, k) => k + 1);
  }

  port(id: number): number {
    const sorted = [...this.ports].sort((a, b) => a - b);
    return sorted[id - 1]!;
  }

  configFor(id: number): string {
    const self = this.port(id);
    const others = this.ports.filter((p) => p !== self);
    return [
      '! written by the integration test',
      `follower_info 127.0.0.1:${self}`,
      ...others.map((p) => `follower_info 127.0.0.1:${p}`),
      `data_dir data-${id}`,
      this.extra,
      '',
    ].join('\n');
  }

  start(id: number): Proc {
    const path = this.group.file(`raft${id}.conf`, this.configFor(id));
    const p = this.group.start(`raft${id}`, 'kvstoreraftsystem', ['--config_path', path]);
    this.procs.set(id, p);
    return p;
  }

  startAll(): void {
    for (const id of this.ids) this.start(id);
  }

  proc(id: number): Proc {
    const p = this.procs.get(id);
    if (p === undefined) throw new Error(`node ${id} never started`);
    return p;
  }

  alive(id: number): boolean {
    const p = this.procs.get(id);
    return p !== undefined && p.child.exitCode === null && p.child.signalCode === null;
  }

  /** The id every live node agrees leads (by its logs), once a write succeeds through it. */
  async leader(timeoutMs = 10_000): Promise<number> {
    return waitFor(
      'a leader',
      async () => {
        for (const id of this.ids) {
          if (!this.alive(id)) continue;
          const r = lastRole(this.proc(id));
          if (r?.role === 'leader') {
            const reply = await cmd(this.port(id), 'SET', '__probe', String(Date.now()));
            if (reply === '+OK\r\n') return id;
          }
        }
        return undefined;
      },
      timeoutMs,
      100,
    );
  }

  async kill(id: number): Promise<void> {
    await this.group.kill(this.proc(id));
  }

  cleanup(): Promise<void> {
    return this.group.cleanup();
  }
}
