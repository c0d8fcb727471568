import { kvstoreVersion } from '../metrics/version.js';
import { FRONT_DOOR_COMMANDS } from './front-door-stats.js';
import type { FrontDoorStats } from './front-door-stats.js';
import type { InfoSection } from './info-text.js';

export interface ServerFacts {
  /** coordinator, participant or raft. */
  readonly kind: string;
  readonly tcpPort: number;
  readonly stats: FrontDoorStats;
  /** True while the node is still replaying its log after a restart (Redis `loading`, read by ioredis). */
  readonly loading: () => boolean;
  /** The maxclients in force (ClientPool.limits), for INFO clients. */
  readonly maxclients?: number;
}

/**
 * The sections every kvstore front door answers alike: Server, Clients,
 * Persistence, Stats and Commandstats. redis_version is a plain version
 * number on purpose: clients parse it to pick features, and kvstore speaks
 * the commands every Redis has spoken; kvstore_version says what it is.
 */
export function commonInfoSections(f: ServerFacts): InfoSection[] {
  return [
    {
      name: 'Server',
      fields: () => [
        ['redis_version', '7.2.0'],
        ['redis_mode', 'standalone'],
        ['kvstore_version', kvstoreVersion()],
        ['kvstore_mode', f.kind],
        ['os', `${process.platform} ${process.arch}`],
        ['process_id', process.pid],
        ['tcp_port', f.tcpPort],
        ['uptime_in_seconds', Math.floor(process.uptime())],
        ['uptime_in_days', Math.floor(process.uptime() / 86_400)],
        ['node_version', process.version],
      ],
    },
    {
      name: 'Clients',
      fields: () => [['connected_clients', f.stats.connectionsOpen], ...(f.maxclients !== undefined ? [['maxclients', f.maxclients] as const] : [])],
    },
    { name: 'Persistence', fields: () => [['loading', f.loading() ? 1 : 0]] },
    {
      name: 'Stats',
      fields: () => [
        ['total_connections_received', f.stats.connectionsReceived],
        ['total_commands_processed', f.stats.totalCommands()],
        ['total_error_replies', f.stats.totalErrors()],
        ['rejected_connections', f.stats.connectionsRejected],
        ['client_query_buffer_limit_disconnections', f.stats.queryBufferDisconnections],
        ['client_output_buffer_limit_disconnections', f.stats.outputBufferDisconnections],
        ['kvstore_idle_timeout_disconnections', f.stats.idleDisconnections],
      ],
    },
    {
      name: 'Commandstats',
      fields: () =>
        FRONT_DOOR_COMMANDS.filter((c) => f.stats.commands[c].calls > 0).map((c) => [`cmdstat_${c}`, `calls=${f.stats.commands[c].calls},failed_calls=${f.stats.commands[c].failed}`] as const),
    },
  ];
}
