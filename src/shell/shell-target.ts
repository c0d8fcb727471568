import { assertNever } from '../../raft/assert.js';
import type { Endpoint } from '../config/address.js';
import type { LabConfig } from '../config/lab-config.js';

/**
 * Where myshell connects, given the config file it was pointed at:
 *
 * - coordinator config: its coordinator_info (the lab's way);
 * - participant config: its coordinator_info too (the front door, not the participant);
 * - raft config: the first follower_info line (that peer serves clients and
 *   forwards to the leader).
 */
export function shellTargetOf(cfg: LabConfig): Endpoint {
  switch (cfg.kind) {
    case 'coordinator':
      return cfg.self;
    case 'participant':
      return cfg.coordinator;
    case 'raft':
      return cfg.self.address;
    default:
      return assertNever(cfg, 'config');
  }
}
