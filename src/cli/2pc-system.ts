import { Command } from 'commander';
import { exitOnStorageError } from '../../storage/open-or-exit.js';
import { endpointKey, formatEndpoint, parseEndpoint } from '../config/address.js';
import { loadConfigFileOrExit } from '../config/lab-config.js';
import type { CoordinatorConfig, ParticipantConfig } from '../config/lab-config.js';
import { startCoordinator } from '../coordinator/coordinator.js';
import { learnLayout, storeLayout } from '../participant/layout-bootstrap.js';
import { shardingOf } from '../participant/sharding-of.js';
import { createLogger } from '../server/logger.js';
import { runNodePrompt } from '../shell/node-prompt.js';
import { runMember } from './run-member.js';
import { failedListenAddress } from '../net/listen.js';

/**
 * `kvstore2pcsystem --config_path FILE`: the lab's main program, a
 * coordinator or a participant as the config's `mode` line says.
 */
const program = new Command('kvstore2pcsystem')
  .description('kvstore coordinator or participant, as the config file\'s mode says')
  .option('--config_path <file>', 'lab config file (mode coordinator | participant)')
  .option('--config <file>', 'same as --config_path (older lab solutions used it)')
  .showHelpAfterError();
program.parse(process.argv);
const opts = program.opts<{ config_path?: string; config?: string }>();
const path = opts.config_path ?? opts.config;
if (path === undefined) {
  process.stderr.write('kvstore2pcsystem: --config_path FILE is required\n');
  process.exit(2);
}
const cfg = await loadConfigFileOrExit(path);
if (cfg.kind === 'coordinator') await runCoordinator(cfg);
else if (cfg.kind === 'participant') await runParticipant(cfg);
else {
  process.stderr.write(`${path}: kvstore2pcsystem needs "mode coordinator" or "mode participant"; follower_info configs are for kvstoreraftsystem\n`);
  process.exit(2);
}

async function runCoordinator(c: CoordinatorConfig): Promise<void> {
  const log = createLogger('coordinator', c.logLevel);
  let coord;
  try {
    coord = await startCoordinator(c, log);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    process.stderr.write(`kvstore2pcsystem: cannot listen on ${failedListenAddress(err, c.self)}: ${e.code ?? e.message}\n`);
    process.exit(2);
  }
  const running = coord;
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  if (process.stdin.isTTY) runNodePrompt({ ...running, prompt: 'kvstore_coordinator> ' }, process.stdin, process.stdout, stop);
}

async function runParticipant(p: ParticipantConfig): Promise<void> {
  const self = formatEndpoint(p.self);
  const log = createLogger(`participant-${self}`, p.logLevel);
  const dataDir = p.dataDir ?? `data/participant-${self.replace(':', '-')}`;
  // Reading the stored layout is the first use of the data dir: a refused dir exits 2 here.
  const { layout, fresh } = await learnLayout(dataDir, p.coordinator, self, log, p.requirepass?.authArgument()).catch(exitOnStorageError);
  const selfKey = endpointKey(p.self);
  const id = layout.participants.findIndex((a) => endpointKey(parseEndpoint(a)) === selfKey) + 1;
  if (id === 0) {
    process.stderr.write(`${p.file}: ${self} is not among the participants of its layout (${layout.participants.join(', ')})\n`);
    process.exit(2);
  }
  const member = await runMember({
    id,
    listen: p.self,
    initialMembers: new Map(layout.participants.map((a, k) => [k + 1, a])),
    sharding: shardingOf(layout, id),
    dataDir,
    cluster: p.clusterName ?? 'kvstore',
    ...(p.clusterSecret !== undefined ? { clusterSecret: p.clusterSecret } : {}),
    ...(p.requirepass !== undefined ? { requirepass: p.requirepass } : {}),
    logger: log,
    ...(p.snapshotEntries !== undefined ? { snapshotEntries: p.snapshotEntries } : {}),
    ...(p.peerRoutes !== undefined ? { peerRoutes: p.peerRoutes } : {}),
    ...(p.bulkBytesMax !== undefined ? { bulkBytesMax: p.bulkBytesMax } : {}),
    ...(p.clientLimits !== undefined ? { clientLimits: p.clientLimits } : {}),
    ...(p.metricsListen !== undefined ? { metricsListen: p.metricsListen } : {}),
    kind: 'participant',
  });
  if (fresh) await storeLayout(member.store, layout);
}
