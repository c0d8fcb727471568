import { Command } from 'commander';
import { formatEndpoint } from '../config/address.js';
import { loadConfigFileOrExit } from '../config/lab-config.js';
import { createLogger } from '../server/logger.js';
import { runMember } from './run-member.js';

/**
 * `kvstoreraftsystem --config_path FILE`: one Raft peer of the lab's raft
 * version. Every peer serves clients on its one port and forwards to the leader.
 */
const program = new Command('kvstoreraftsystem')
  .description('a kvstore Raft peer that also serves RESP clients')
  .option('--config_path <file>', 'lab config with follower_info lines (the first is this peer)')
  .option('--config <file>', 'same as --config_path')
  .showHelpAfterError();
program.parse(process.argv);
const opts = program.opts<{ config_path?: string; config?: string }>();
const path = opts.config_path ?? opts.config;
if (path === undefined) {
  process.stderr.write('kvstoreraftsystem: --config_path FILE is required\n');
  process.exit(2);
}
const cfg = await loadConfigFileOrExit(path);
if (cfg.kind !== 'raft') {
  process.stderr.write(`${path}: a kvstoreraftsystem config lists follower_info lines, this one is a ${cfg.kind} config\n`);
  process.exit(2);
}
const self = formatEndpoint(cfg.self.address);
await runMember({
  id: cfg.self.id,
  listen: cfg.self.address,
  initialMembers: new Map(cfg.peers.map((p) => [p.id, formatEndpoint(p.address)])),
  dataDir: cfg.dataDir ?? `data/raft-${self.replace(':', '-')}`,
  cluster: cfg.clusterName ?? 'kvstore',
  logger: createLogger(`raft-${cfg.self.id}`, cfg.logLevel),
  ...(cfg.snapshotEntries !== undefined ? { snapshotEntries: cfg.snapshotEntries } : {}),
  ...(cfg.peerRoutes !== undefined ? { peerRoutes: cfg.peerRoutes } : {}),
  ...(cfg.bulkBytesMax !== undefined ? { bulkBytesMax: cfg.bulkBytesMax } : {}),
});
