import type { Socket } from 'node:net';
import { assert, InvariantError } from '../../raft/assert.js';
import type { NodeId } from '../../raft/types.js';
import { assertFrameBytesMax, encodeFrame, FRAME_BYTES_MAX_DEFAULT } from './frame-codec.js';
import type { FramedSocket } from './framed-socket.js';
import { InboundConnection, type PeerIdentity } from './inbound-connection.js';
import { NetError } from './net-error.js';
import type { NetLogger } from './net-logger.js';
import type { ClusterSecret } from './peer-auth.js';
import { OutboundLink, type LinkStats, type PeerAddress } from './outbound-link.js';
import { clip, WIRE_VERSION, type RaftFrame, type ReqFrame, type ResErrFrame, type ResFrame } from './wire.js';

export interface PeerTransportLimits {
  /** Largest frame body sent or accepted (a snapshot travels in one frame). */
  readonly frameBytesMax: number;
  /** Raft messages to a peer are dropped while this many bytes wait for it. */
  readonly peerBacklogBytesMax: number;
  /** Requests awaiting replies, per peer. */
  readonly peerRequestsMax: number;
  /** Requests from others being served at once, over all connections. */
  readonly servedRequestsMax: number;
  /** Accepted internal connections open at once. */
  readonly inboundConnectionsMax: number;
  readonly connectTimeoutMs: number;
  readonly handshakeTimeoutMs: number;
  readonly reconnectDelayMinMs: number;
  readonly reconnectDelayMaxMs: number;
}

export const PEER_TRANSPORT_LIMITS_DEFAULT: PeerTransportLimits = {
  frameBytesMax: FRAME_BYTES_MAX_DEFAULT,
  peerBacklogBytesMax: 8 * 1024 * 1024,
  peerRequestsMax: 1024,
  servedRequestsMax: 4096,
  inboundConnectionsMax: 1024,
  connectTimeoutMs: 2_000,
  handshakeTimeoutMs: 5_000,
  reconnectDelayMinMs: 50,
  reconnectDelayMaxMs: 1_000,
};

export function validatePeerTransportLimits(l: PeerTransportLimits): void {
  assertFrameBytesMax(l.frameBytesMax);
  assert(l.peerBacklogBytesMax >= 1, 'peerBacklogBytesMax >= 1');
  assert(Number.isInteger(l.peerRequestsMax) && l.peerRequestsMax >= 1, 'peerRequestsMax >= 1');
  assert(Number.isInteger(l.servedRequestsMax) && l.servedRequestsMax >= 1, 'servedRequestsMax >= 1');
  assert(Number.isInteger(l.inboundConnectionsMax) && l.inboundConnectionsMax >= 1, 'inboundConnectionsMax >= 1');
  assert(l.connectTimeoutMs > 0 && l.handshakeTimeoutMs > 0, 'connect and handshake timeouts > 0');
  assert(l.reconnectDelayMinMs > 0, 'reconnectDelayMinMs > 0');
  assert(l.reconnectDelayMinMs <= l.reconnectDelayMaxMs, 'reconnectDelayMinMs <= reconnectDelayMaxMs');
}

export interface PeerTransportOptions {
  readonly cluster: string;
  readonly selfId: NodeId;
  /** config cluster_secret: peers prove it both ways in the handshake; absent, none is asked or offered. */
  readonly clusterSecret?: ClusterSecret;
  readonly addresses?: ReadonlyMap<NodeId, PeerAddress>;
  readonly logger: NetLogger;
  readonly limits?: Partial<PeerTransportLimits>;
  /** Jitter source for reconnect delays (default Math.random). */
  readonly random?: () => number;
}

export interface SendOptions {
  /**
   * Called once: true when the message's bytes were handed to the kernel,
   * false when it was dropped or its connection failed first. For snapshot
   * messages the node passes this on to raft reportSnapshot(to, ok).
   */
  readonly onSent?: (ok: boolean) => void;
  /** The Raft group the message belongs to (default 1). */
  readonly group?: number;
}

/** `group` is the frame's group id (1 when the sender named none). */
export type RaftHandler = (from: NodeId, msg: unknown, group: number) => void;
/** `from` is 0 for a coordinator/tool. A rejection's `code` (if a string) travels back. */
export type RequestHandler = (from: NodeId, body: unknown) => Promise<unknown>;
export type UnreachableHandler = (peer: NodeId) => void;

/** Traffic with one peer over every connection, ours to it and its to us, since start. Invariant: never decreases. */
export interface PeerTraffic {
  readonly bytesSent: number;
  readonly bytesReceived: number;
  /** Frames: Raft messages, requests and replies (and handshakes). */
  readonly framesSent: number;
  readonly framesReceived: number;
}

export interface TransportStats {
  readonly peers: Record<string, LinkStats>;
  /** By peer id ("0": coordinators and tools), sorted by id. */
  readonly traffic: Record<string, PeerTraffic>;
  /** Raft messages for ids with no known address. */
  readonly droppedNoAddressMsgs: number;
  readonly inboundConnections: number;
  /** Inbound connections refused for the connection limit. */
  readonly refusedConnections: number;
  readonly receivedRaftMsgs: number;
  readonly servedRequests: number;
  /** Requests refused because servedRequestsMax were being served. */
  readonly refusedRequests: number;
}

/**
 * A node's peer transport. Exactly one outbound connection per peer (dialed
 * lazily, redialed with backoff) carries our Raft messages and requests to
 * it; peers' own outbound connections arrive through acceptPeer. Messages on
 * any authenticated connection are delivered; a reply goes back on the
 * connection its request came in on.
 *
 * Raft messages are best effort: dropped while the peer is unreachable or
 * backed up (Raft retransmits), never queued without bound.
 */
export class PeerTransport {
  private readonly limits: PeerTransportLimits;
  private readonly links = new Map<NodeId, OutboundLink>();
  private readonly addresses = new Map<NodeId, PeerAddress>();
  private readonly inbound = new Set<InboundConnection>();
  /** Traffic of closed inbound connections, by the peer that had opened them. */
  private readonly inboundClosedTraffic = new Map<NodeId, PeerTraffic>();
  private raftHandler: RaftHandler | undefined;
  private requestHandler: RequestHandler | undefined;
  private unreachableHandler: UnreachableHandler | undefined;
  /** Requests being served. Invariant: 0 <= serving <= limits.servedRequestsMax. */
  private serving = 0;
  private closed = false;
  private readonly counters = {
    droppedNoAddressMsgs: 0,
    refusedConnections: 0,
    receivedRaftMsgs: 0,
    servedRequests: 0,
    refusedRequests: 0,
  };

  constructor(private readonly options: PeerTransportOptions) {
    assert(Number.isSafeInteger(options.selfId) && options.selfId > 0, 'selfId must be a positive integer');
    this.limits = { ...PEER_TRANSPORT_LIMITS_DEFAULT, ...options.limits };
    validatePeerTransportLimits(this.limits);
    for (const [id, addr] of options.addresses ?? []) this.setAddress(id, addr);
  }

  onRaft(handler: RaftHandler): void {
    this.raftHandler = handler;
  }
  onRequest(handler: RequestHandler): void {
    this.requestHandler = handler;
  }
  onUnreachable(handler: UnreachableHandler): void {
    this.unreachableHandler = handler;
  }

  /** Adds or moves a peer (membership change). Our own id is ignored. */
  setAddress(id: NodeId, address: PeerAddress): void {
    assert(!this.closed, 'setAddress after close');
    assert(Number.isSafeInteger(id) && id > 0, () => `peer id must be a positive integer, got ${id}`);
    if (id === this.options.selfId) return;
    this.addresses.set(id, address);
    this.links.get(id)?.setAddress(address);
  }

  /** Forgets a peer: its outbound connection closes, its pending requests fail with CLOSED. */
  removeAddress(id: NodeId): void {
    this.addresses.delete(id);
    this.links.get(id)?.close();
    this.links.delete(id);
  }

  /**
   * Queues a Raft message for this turn's write to `to`. Never throws for
   * network reasons. After close() (a node shutting down mid-turn) it drops.
   */
  send(to: NodeId, msg: unknown, options: SendOptions = {}): void {
    const link = this.closed ? undefined : this.link(to);
    if (link === undefined) {
      this.counters.droppedNoAddressMsgs += 1;
      options.onSent?.(false);
      return;
    }
    link.sendRaft(msg, options.onSent, options.group);
  }

  /**
   * Writes every peer's queued Raft messages now. A caller that has just
   * queued a whole batch (one Ready) uses it so the batch leaves before the
   * caller's next slow step rather than at the end of the turn.
   */
  flush(): void {
    for (const link of this.links.values()) link.flush();
  }

  /** RPC to a peer over our connection to it. Rejects with NetError (TIMEOUT, UNREACHABLE, ...). */
  request(to: NodeId, body: unknown, timeoutMs: number): Promise<unknown> {
    if (this.closed) return Promise.reject(new NetError('CLOSED', 'transport closed'));
    const link = this.link(to);
    if (link === undefined) return Promise.reject(new NetError('UNREACHABLE', `no address for node ${to}`));
    return link.request(body, timeoutMs);
  }

  /** Takes over a socket the connection sniffer classified as internal; `head` starts with the magic byte. */
  acceptPeer(socket: Socket, head: Buffer): void {
    if (this.closed || this.inbound.size >= this.limits.inboundConnectionsMax) {
      this.counters.refusedConnections += 1;
      this.options.logger.warn(
        { remote: socket.remoteAddress, open: this.inbound.size, max: this.limits.inboundConnectionsMax },
        'refusing internal connection: limit reached or closing',
      );
      socket.destroy();
      return;
    }
    const conn = new InboundConnection(socket, head, {
      cluster: this.options.cluster,
      selfId: this.options.selfId,
      ...(this.options.clusterSecret !== undefined ? { clusterSecret: this.options.clusterSecret } : {}),
      frameBytesMax: this.limits.frameBytesMax,
      handshakeTimeoutMs: this.limits.handshakeTimeoutMs,
      logger: this.options.logger,
      onFrame: (frame, who, framed) => this.dispatch(frame, who, framed),
      onClose: (c) => {
        this.inbound.delete(c);
        const who = c.peer;
        if (who !== undefined) this.inboundClosedTraffic.set(who.from, addTraffic(this.inboundClosedTraffic.get(who.from), socketTraffic(c.conn)));
      },
    });
    if (!conn.conn.closed) this.inbound.add(conn);
  }

  stats(): TransportStats {
    const peers: Record<string, LinkStats> = {};
    const traffic = new Map<NodeId, PeerTraffic>(this.inboundClosedTraffic);
    for (const c of this.inbound) {
      const who = c.peer;
      if (who !== undefined) traffic.set(who.from, addTraffic(traffic.get(who.from), socketTraffic(c.conn)));
    }
    for (const id of [...this.links.keys()].sort((a, b) => a - b)) {
      const ls = this.links.get(id)!.stats();
      peers[String(id)] = ls;
      traffic.set(id, addTraffic(traffic.get(id), { bytesSent: ls.bytesWritten, bytesReceived: ls.bytesRead, framesSent: ls.framesQueued, framesReceived: ls.framesRead }));
    }
    const byPeer: Record<string, PeerTraffic> = {};
    for (const id of [...traffic.keys()].sort((a, b) => a - b)) byPeer[String(id)] = traffic.get(id)!;
    return { ...this.counters, peers, traffic: byPeer, inboundConnections: this.inbound.size };
  }

  /** Destroys every socket and clears every timer; pending requests fail with CLOSED. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const link of this.links.values()) link.close();
    this.links.clear();
    for (const conn of [...this.inbound]) conn.close();
    this.inbound.clear();
  }

  /** The link to `to`, created on first use; undefined when its address is unknown. */
  private link(to: NodeId): OutboundLink | undefined {
    const existing = this.links.get(to);
    if (existing !== undefined) return existing;
    const address = this.addresses.get(to);
    if (address === undefined) return undefined;
    const link = new OutboundLink({
      address,
      hello: { t: 'hello', version: WIRE_VERSION, cluster: this.options.cluster, from: this.options.selfId, role: 'peer' },
      expectedPeer: to,
      ...(this.options.clusterSecret !== undefined ? { clusterSecret: this.options.clusterSecret } : {}),
      limits: {
        frameBytesMax: this.limits.frameBytesMax,
        backlogBytesMax: this.limits.peerBacklogBytesMax,
        requestsMax: this.limits.peerRequestsMax,
        connectTimeoutMs: this.limits.connectTimeoutMs,
        reconnectDelayMinMs: this.limits.reconnectDelayMinMs,
        reconnectDelayMaxMs: this.limits.reconnectDelayMaxMs,
      },
      logger: this.options.logger,
      logFields: { peer: to, addr: `${address.host}:${address.port}` },
      ...(this.options.random !== undefined ? { random: this.options.random } : {}),
      onInbound: (frame, framed) => this.dispatch(frame, { from: to, role: 'peer' }, framed),
      onDown: () => this.reportUnreachable(to),
      onBacklogFull: () => this.reportUnreachable(to),
    });
    this.links.set(to, link);
    return link;
  }

  private reportUnreachable(peer: NodeId): void {
    if (!this.closed) this.unreachableHandler?.(peer);
  }

  private dispatch(frame: RaftFrame | ReqFrame, who: PeerIdentity, conn: FramedSocket): void {
    if (frame.t === 'raft') {
      this.counters.receivedRaftMsgs += 1;
      this.raftHandler?.(who.from, frame.msg, frame.g ?? 1);
      return;
    }
    this.serve(frame, who, conn);
  }

  /** Runs the request handler and writes its answer on `conn`, if that is still open. */
  private serve(frame: ReqFrame, who: PeerIdentity, conn: FramedSocket): void {
    const handler = this.requestHandler;
    if (handler === undefined) return this.answer(conn, { t: 'resErr', id: frame.id, code: 'NO_HANDLER', reason: 'no request handler' });
    if (this.serving >= this.limits.servedRequestsMax) {
      this.counters.refusedRequests += 1;
      return this.answer(conn, { t: 'resErr', id: frame.id, code: 'OVERLOADED', reason: `${this.serving} requests being served` });
    }
    this.serving += 1;
    this.counters.servedRequests += 1;
    let result: Promise<unknown>;
    try {
      result = Promise.resolve(handler(who.from, frame.body));
    } catch (e) {
      result = Promise.reject(e);
    }
    result.then(
      (body) => this.answer(conn, { t: 'res', id: frame.id, body }),
      (e: unknown) => {
        // A broken invariant in the handler is a bug: let it crash the process (unhandled rejection).
        if (e instanceof InvariantError) throw e;
        this.answer(conn, { t: 'resErr', id: frame.id, ...describeError(e) });
      },
    ).finally(() => {
      this.serving -= 1;
    });
  }

  private answer(conn: FramedSocket, frame: ResFrame | ResErrFrame): void {
    if (conn.closed) return; // the requester is gone; it has already failed the call
    let bytes: Buffer;
    try {
      bytes = encodeFrame(frame, this.limits.frameBytesMax);
    } catch (e) {
      if (!(e instanceof NetError)) throw e;
      this.options.logger.error({ id: frame.id, code: e.code, reason: e.reason }, 'reply not encodable');
      bytes = encodeFrame({ t: 'resErr', id: frame.id, code: e.code, reason: clip(e.reason) }, this.limits.frameBytesMax);
    }
    conn.enqueue(bytes);
  }
}

function socketTraffic(c: FramedSocket): PeerTraffic {
  return { bytesSent: c.bytesWritten, bytesReceived: c.bytesRead, framesSent: c.framesQueued, framesReceived: c.framesRead };
}

function addTraffic(a: PeerTraffic | undefined, b: PeerTraffic): PeerTraffic {
  if (a === undefined) return b;
  return {
    bytesSent: a.bytesSent + b.bytesSent,
    bytesReceived: a.bytesReceived + b.bytesReceived,
    framesSent: a.framesSent + b.framesSent,
    framesReceived: a.framesReceived + b.framesReceived,
  };
}

function describeError(e: unknown): { code: string; reason: string } {
  const code = typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : 'HANDLER_ERROR';
  const reason = e instanceof Error ? e.message : String(e);
  return { code: clip(code), reason: clip(reason) };
}
