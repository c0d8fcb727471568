import { assert } from '../../raft/assert.js';
import { FRAME_BYTES_MAX_DEFAULT } from './frame-codec.js';
import { NetError } from './net-error.js';
import type { NetLogger } from './net-logger.js';
import type { ClusterSecret } from './peer-auth.js';
import { OutboundLink, type LinkStats, type OutboundLimits, type PeerAddress } from './outbound-link.js';
import { WIRE_VERSION } from './wire.js';

export const RPC_CLIENT_LIMITS_DEFAULT: OutboundLimits = {
  frameBytesMax: FRAME_BYTES_MAX_DEFAULT,
  backlogBytesMax: 8 * 1024 * 1024,
  requestsMax: 4096,
  connectTimeoutMs: 2_000,
  reconnectDelayMinMs: 50,
  reconnectDelayMaxMs: 1_000,
};

export interface RpcClientOptions {
  readonly cluster: string;
  readonly address: PeerAddress;
  /** The nodes' cluster_secret, proved both ways in the handshake. */
  readonly clusterSecret?: ClusterSecret;
  readonly logger: NetLogger;
  readonly limits?: Partial<OutboundLimits>;
  readonly random?: () => number;
  /** Called when a connection attempt fails or the connection is lost. */
  readonly onDown?: (reason: NetError) => void;
}

/**
 * The RPC endpoint of a process that is not a Raft member (the coordinator,
 * tools): one connection to one node, hello with role 'coordinator', dialed
 * on first use and redialed with backoff. Requests while the node is
 * unreachable fail at once with UNREACHABLE.
 */
export class RpcClient {
  private readonly link: OutboundLink;
  private closed = false;

  constructor(options: RpcClientOptions) {
    const limits = { ...RPC_CLIENT_LIMITS_DEFAULT, ...options.limits };
    assert(limits.reconnectDelayMinMs <= limits.reconnectDelayMaxMs, 'reconnectDelayMinMs <= reconnectDelayMaxMs');
    const addr = `${options.address.host}:${options.address.port}`;
    this.link = new OutboundLink({
      address: options.address,
      hello: { t: 'hello', version: WIRE_VERSION, cluster: options.cluster, from: 0, role: 'coordinator' },
      expectedPeer: undefined,
      ...(options.clusterSecret !== undefined ? { clusterSecret: options.clusterSecret } : {}),
      limits,
      logger: options.logger,
      logFields: { addr },
      ...(options.random !== undefined ? { random: options.random } : {}),
      onInbound: (frame, conn) => {
        // A node never sends raft messages or requests to a coordinator.
        options.logger.warn({ addr, t: frame.t }, 'unexpected frame from node; closing connection');
        conn.close();
      },
      onDown: (reason) => options.onDown?.(reason),
      onBacklogFull: () => {},
    });
  }

  /** Sends `body`, resolves with the reply body. Rejects with NetError TIMEOUT, UNREACHABLE, OVERLOADED, REMOTE_ERROR, CLOSED. */
  request(body: unknown, timeoutMs: number): Promise<unknown> {
    if (this.closed) return Promise.reject(new NetError('CLOSED', 'rpc client closed'));
    return this.link.request(body, timeoutMs);
  }

  /** Dials now instead of at the first request (e.g. to warm up at start). */
  connect(): void {
    this.link.warmUp();
  }

  stats(): LinkStats {
    return this.link.stats();
  }

  close(): void {
    this.closed = true;
    this.link.close();
  }
}
