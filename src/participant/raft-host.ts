import type { RaftConfig } from '../../raft/config.js';
import { GroupReplica } from './group-replica.js';
import { HostLoop } from './host-loop.js';
import { MICROTASK_SCHEDULER, intervalTicker } from './host-contract.js';
import type { HostEvents, HostLimits, HostStateMachine, HostStore, HostTransport } from './host-contract.js';

/**
 * A process that hosts one group: its replica and a loop of its own. (A
 * multi-group process builds one HostLoop and adds a GroupReplica per group.)
 */
export class RaftHost extends GroupReplica {
  readonly loop: HostLoop;

  constructor(
    cfg: RaftConfig,
    store: HostStore,
    transport: HostTransport,
    sm: HostStateMachine,
    limits: HostLimits,
    events: HostEvents,
    now: () => number = Date.now,
  ) {
    super(1, cfg, store, transport, sm, limits, events, now);
    this.loop = new HostLoop(limits.tickMs, MICROTASK_SCHEDULER, intervalTicker(), (err) => events.onFatal(err));
    this.loop.add(this);
  }

  start(): void {
    this.loop.start();
  }

  override close(): void {
    this.loop.close();
    super.close();
  }
}
