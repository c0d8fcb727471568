import type { Proc } from './processes.js';
import { ProcessGroup, waitFor } from './processes.js';
import { freePorts } from './ports.js';
import { cmd } from './resp-client.js';

/** A coordinator and n participants run by `kvstore2pcsystem` from lab config files on free ports. */
export class TwoPcCluster {
  readonly group = new ProcessGroup();
  coordinatorPort = 0;
  participantPorts: number[] = [];
  coordinator: Proc | undefined;
  readonly participants = new Map<number, Proc>();

  static async create(n = 3): Promise<TwoPcCluster> {
    const c = new TwoPcCluster();
    const ports = await freePorts(n + 1);
    c.coordinatorPort = ports[0]!;
    c.participantPorts = ports.slice(1);
    c.group.file(
      'coordinator.conf',
      [
        '! the coordinator, as in the lab',
        'mode coordinator',
        `coordinator_info 127.0.0.1:${c.coordinatorPort}`,
        ...c.participantPorts.map((p) => `participant_info 127.0.0.1:${p}`),
        '',
      ].join('\n'),
    );
    c.participantPorts.forEach((p, k) => {
      c.group.file(
        `participant${k + 1}.conf`,
        ['mode participant', `participant_info 127.0.0.1:${p}   `, `coordinator_info\t127.0.0.1:${c.coordinatorPort}`, `data_dir data-p${k + 1}`, ''].join('\n'),
      );
    });
    return c;
  }

  startCoordinator(): Proc {
    this.coordinator = this.group.start('coordinator', 'kvstore2pcsystem', ['--config_path', 'coordinator.conf']);
    return this.coordinator;
  }

  /** k is 1-based, in config order. */
  startParticipant(k: number): Proc {
    const p = this.group.start(`participant${k}`, 'kvstore2pcsystem', ['--config_path', `participant${k}.conf`]);
    this.participants.set(k, p);
    return p;
  }

  async killCoordinator(): Promise<void> {
    if (this.coordinator !== undefined) await this.group.kill(this.coordinator);
  }

  async killParticipant(k: number): Promise<void> {
    const p = this.participants.get(k);
    if (p !== undefined) await this.group.kill(p);
  }

  /** Until a write through the coordinator succeeds. */
  async ready(timeoutMs = 15_000): Promise<void> {
    await waitFor('the coordinator to serve writes', async () => (await cmd(this.coordinatorPort, 'SET', '__ready', '1')) === '+OK\r\n', timeoutMs, 100);
  }

  /** A coordinator and n participants, all started and serving; cleaned up when the test ends. */
  static async running(t: { teardown(fn: () => Promise<void>): void }, n = 3): Promise<TwoPcCluster> {
    const c = await TwoPcCluster.create(n);
    t.teardown(() => c.cleanup());
    c.startCoordinator();
    for (let k = 1; k <= n; k++) c.startParticipant(k);
    await c.ready();
    return c;
  }

  cleanup(): Promise<void> {
    return this.group.cleanup();
  }
}
