import { Command } from 'commander';
import { formatEndpoint } from '../config/address.js';
import { loadConfigFileOrExit } from '../config/lab-config.js';
import type { RaftConfig } from '../config/lab-config.js';
import { storedLayout, storeLayout } from '../participant/layout-bootstrap.js';
import { shardingOf } from '../participant/sharding-of.js';
import { layoutEquals, makeLayout } from '../sharding/layout.js';
import type { Layout } from '../sharding/layout.js';
import { exitOnStorageError } from '../../storage/open-or-exit.js';
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
const dataDir = cfg.dataDir ?? `data/raft-${self.replace(':', '-')}`;
const addresses = new Map(cfg.peers.map((p) => [p.id, formatEndpoint(p.address)]));
const sharding = await raftSharding(cfg, dataDir, path);
const member = await runMember({
  id: cfg.self.id,
  listen: cfg.self.address,
  initialMembers: addresses,
  ...(sharding !== undefined ? { sharding: shardingOf(sharding.layout, cfg.self.id) } : {}),
  dataDir,
  cluster: cfg.clusterName ?? 'kvstore',
  ...(cfg.clusterSecret !== undefined ? { clusterSecret: cfg.clusterSecret } : {}),
  ...(cfg.requirepass !== undefined ? { requirepass: cfg.requirepass } : {}),
  logger: createLogger(`raft-${cfg.self.id}`, cfg.logLevel),
  ...(cfg.snapshotEntries !== undefined ? { snapshotEntries: cfg.snapshotEntries } : {}),
  ...(cfg.peerRoutes !== undefined ? { peerRoutes: cfg.peerRoutes } : {}),
  ...(cfg.bulkBytesMax !== undefined ? { bulkBytesMax: cfg.bulkBytesMax } : {}),
  ...(cfg.clientLimits !== undefined ? { clientLimits: cfg.clientLimits } : {}),
  ...(cfg.metricsListen !== undefined ? { metricsListen: cfg.metricsListen } : {}),
  ...(cfg.redisListen !== undefined ? { redisListen: cfg.redisListen } : {}),
  ...(cfg.memcache !== undefined ? { memcache: cfg.memcache } : {}),
  kind: 'raft',
});
if (sharding?.fresh === true) await storeLayout(member.store, sharding.layout);

/**
 * With a `groups N` line (N > 1) every peer hosts N groups over all peers.
 * The layout is kept in the data dir; a config that disagrees with it is
 * refused (exit 2) rather than opening some groups and ignoring others.
 * Without one, the lab's shape: one group, nothing stored.
 */
async function raftSharding(c: RaftConfig, dir: string, file: string): Promise<{ layout: Layout; fresh: boolean } | undefined> {
  const groups = c.groups ?? 1;
  const layout = makeLayout(c.peers.map((p) => formatEndpoint(p.address)), { groups, replicas: c.peers.length });
  const stored = await storedLayout(dir).catch(exitOnStorageError);
  if (stored === undefined) return groups > 1 ? { layout, fresh: true } : undefined;
  if (!layoutEquals(stored, layout)) {
    process.stderr.write(
      `${file}: the data dir ${dir} holds ${stored.groups} groups over ${stored.participants.join(', ')}; this config says ${groups} over ${layout.participants.join(', ')}. ` +
        'Use the config the data dir was made with, or move the data dir away.\n',
    );
    process.exit(2);
  }
  return { layout, fresh: false };
}
