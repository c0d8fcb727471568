/**
 * What the RESP front door counts, for INFO and /metrics. Plain fields: a
 * request costs a few increments, and a clock read only when a latency
 * observer is set (metrics on). Read at scrape / INFO time, never pushed.
 */

/** The commands counted apart; `other` is an unknown command or a malformed request. */
export const FRONT_DOOR_COMMANDS = ['set', 'get', 'del', 'mset', 'mget', 'ping', 'quit', 'info', 'other'] as const;
export type FrontDoorCommand = (typeof FRONT_DOOR_COMMANDS)[number];

/** Commands that reach the data (and are timed). */
export type DataCommand = 'set' | 'get' | 'del' | 'mset' | 'mget';

export interface CommandCounts {
  /** Requests received. Invariant: failed <= calls; neither decreases. */
  calls: number;
  /** Of those, answered `-ERROR`. */
  failed: number;
}

export type LatencyObserver = (command: DataCommand, seconds: number) => void;

export class FrontDoorStats {
  /** Connections accepted since start, and open now. */
  connectionsReceived = 0;
  connectionsOpen = 0;
  /** Connections refused at maxclients (Redis rejected_connections). */
  connectionsRejected = 0;
  /** Clients closed for their query buffer or their unsent replies (Redis client_*_buffer_limit_disconnections). */
  queryBufferDisconnections = 0;
  outputBufferDisconnections = 0;
  /** Clients closed for being idle longer than timeout. */
  idleDisconnections = 0;
  readonly commands: Record<FrontDoorCommand, CommandCounts>;
  /** Set when metrics are on: each data command's time from parsed to answered. */
  latency: LatencyObserver | undefined;

  constructor() {
    const c = {} as Record<FrontDoorCommand, CommandCounts>;
    for (const name of FRONT_DOOR_COMMANDS) c[name] = { calls: 0, failed: 0 };
    this.commands = c;
  }

  /** Every request received, over all commands (Redis total_commands_processed). */
  totalCommands(): number {
    let n = 0;
    for (const name of FRONT_DOOR_COMMANDS) n += this.commands[name].calls;
    return n;
  }

  /** Every request answered -ERROR (Redis total_error_replies). */
  totalErrors(): number {
    let n = 0;
    for (const name of FRONT_DOOR_COMMANDS) n += this.commands[name].failed;
    return n;
  }
}
