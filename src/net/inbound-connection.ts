import type { Socket } from 'node:net';
import { assert, assertNever } from '../../raft/assert.js';
import type { NodeId } from '../../raft/types.js';
import { encodeFrame, PEER_MAGIC } from './frame-codec.js';
import { FramedSocket } from './framed-socket.js';
import { NetError } from './net-error.js';
import type { NetLogger } from './net-logger.js';
import type { ClusterSecret } from './peer-auth.js';
import { AcceptorHandshake, type AcceptorStep } from './peer-handshake.js';
import { clip, WIRE_VERSION, type HelloFrame, type PeerRole, type RaftFrame, type ReqFrame, type WireFrame } from './wire.js';

/**
 * Until the hello is accepted, frames may be at most this large: a stranger
 * cannot make us buffer frameBytesMax (a snapshot's worth) per connection.
 */
export const HELLO_FRAME_BYTES_MAX = 4 * 1024;

/** How long a refused connection may take to receive its helloReject before it is destroyed. */
const REJECT_LINGER_MS = 1_000;

/** Who is on the other end of an authenticated connection. */
export interface PeerIdentity {
  readonly from: NodeId;
  readonly role: PeerRole;
}

/** Why a hello is refused, or undefined when it is acceptable. */
export function checkHello(hello: HelloFrame, self: { cluster: string; selfId: NodeId }): string | undefined {
  if (hello.version !== WIRE_VERSION) return `wire version ${hello.version}, expected ${WIRE_VERSION}`;
  if (hello.cluster !== self.cluster) return `cluster ${JSON.stringify(hello.cluster)}, expected ${JSON.stringify(self.cluster)}`;
  if (hello.role === 'peer' && hello.from === 0) return 'a peer must name a node id > 0';
  if (hello.role === 'coordinator' && hello.from !== 0) return 'a coordinator must say from = 0';
  if (hello.role === 'peer' && hello.from === self.selfId) return `node id ${hello.from} is our own`;
  return undefined;
}

export interface InboundConnectionOptions {
  readonly cluster: string;
  readonly selfId: NodeId;
  /** When set, a dialer must prove it (and we prove it back) before anything is served. */
  readonly clusterSecret?: ClusterSecret;
  readonly frameBytesMax: number;
  /** The first frame must be a hello within this time. */
  readonly handshakeTimeoutMs: number;
  readonly logger: NetLogger;
  /** A raft or req frame on the authenticated connection. */
  readonly onFrame: (frame: RaftFrame | ReqFrame, who: PeerIdentity, conn: FramedSocket) => void;
  readonly onClose: (conn: InboundConnection) => void;
}

/**
 * A connection another node (or a coordinator) opened to us. The first frame
 * must be a hello naming our cluster; anything else (wrong cluster, garbage,
 * silence) is logged and closes this socket only.
 */
export class InboundConnection {
  readonly conn: FramedSocket;
  private identity: PeerIdentity | undefined;
  private readonly handshake: AcceptorHandshake;
  /** The hello's identity while its cluster_secret proof is awaited. */
  private claimed: PeerIdentity | undefined;
  private handshakeTimer: NodeJS.Timeout | undefined;
  /** Set once refused: nothing more from this connection is looked at. */
  private refused = false;
  private readonly remote: string;

  constructor(
    socket: Socket,
    head: Buffer,
    private readonly options: InboundConnectionOptions,
  ) {
    assert(head.length >= 1 && head[0] === PEER_MAGIC, 'acceptPeer: head must start with the magic byte');
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.handshake = new AcceptorHandshake(options.clusterSecret, options.selfId);
    socket.setKeepAlive(true, 5_000);
    this.conn = new FramedSocket(socket, {
      frameBytesMax: Math.min(HELLO_FRAME_BYTES_MAX, options.frameBytesMax),
      logger: options.logger,
      logFields: { dir: 'in', remote: this.remote },
      onFrame: (frame) => this.onFrame(frame),
      onClose: () => {
        if (this.handshakeTimer !== undefined) clearTimeout(this.handshakeTimer);
        this.handshakeTimer = undefined;
        options.onClose(this);
      },
    });
    this.handshakeTimer = setTimeout(() => {
      this.handshakeTimer = undefined;
      this.refuse(this.claimed === undefined ? `no hello within ${options.handshakeTimeoutMs} ms` : `no cluster_secret proof within ${options.handshakeTimeoutMs} ms`, false);
    }, options.handshakeTimeoutMs);
    this.conn.start(head.subarray(1));
  }

  get peer(): PeerIdentity | undefined {
    return this.identity;
  }

  close(): void {
    this.conn.close();
  }

  private onFrame(frame: WireFrame): void {
    if (this.refused) return;
    if (this.identity === undefined) {
      if (this.claimed === undefined) {
        if (frame.t !== 'hello') return this.refuse(`first frame is ${frame.t}, not hello`, false);
        const why = checkHello(frame, this.options);
        if (why !== undefined) return this.refuse(why, true);
        this.claimed = { from: frame.from, role: frame.role };
        return this.step(this.handshake.onHello(frame));
      }
      if (frame.t !== 'proof' || !this.handshake.awaitingProof) return this.refuse(`${frame.t} frame during the cluster_secret handshake`, false);
      return this.step(this.handshake.onProof(frame));
    }
    switch (frame.t) {
      case 'raft':
        if (this.identity.role !== 'peer') return this.refuse('raft message from a coordinator connection', false);
        return this.options.onFrame(frame, this.identity, this.conn);
      case 'req':
        return this.options.onFrame(frame, this.identity, this.conn);
      case 'hello':
      case 'helloAck':
      case 'helloReject':
      case 'challenge':
      case 'proof':
      case 'res':
      case 'resErr':
        return this.refuse(`unexpected ${frame.t} on an accepted connection`, false);
      default:
        return assertNever(frame, 'wire frame');
    }
  }

  private step(s: AcceptorStep): void {
    switch (s.type) {
      case 'refuse':
        return this.refuse(s.reason, true);
      case 'send':
        this.conn.enqueue(encodeFrame(s.frame, this.options.frameBytesMax));
        return;
      case 'accept': {
        const who = this.claimed;
        assert(who !== undefined, 'accept after a hello');
        if (this.handshakeTimer !== undefined) clearTimeout(this.handshakeTimer);
        this.handshakeTimer = undefined;
        this.identity = who;
        this.conn.setFrameBytesMax(this.options.frameBytesMax);
        const authenticated = this.options.clusterSecret !== undefined;
        this.options.logger.debug({ remote: this.remote, from: who.from, role: who.role, authenticated }, 'peer connection accepted');
        this.conn.enqueue(encodeFrame(s.frame, this.options.frameBytesMax));
        return;
      }
      default:
        return assertNever(s, 'handshake step');
    }
  }

  /**
   * Logs and closes. `tell`: send helloReject first so an honest but
   * misconfigured dialer learns why (it is written before the close).
   */
  private refuse(reason: string, tell: boolean): void {
    this.refused = true;
    if (this.handshakeTimer !== undefined) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
    const err = new NetError(tell ? 'HANDSHAKE_FAILED' : 'BAD_FRAME', reason);
    this.options.logger.warn(
      { remote: this.remote, from: this.identity?.from ?? this.claimed?.from, code: err.code, reason },
      'refusing internal connection',
    );
    if (tell) {
      // Written straight to the socket, then ended: close() would discard it.
      const reject = encodeFrame({ t: 'helloReject', reason: clip(reason) }, this.options.frameBytesMax);
      this.conn.socket.end(reject, () => this.conn.close());
      // A dialer that never reads would keep the socket open: bound that.
      setTimeout(() => this.conn.close(), REJECT_LINGER_MS).unref();
      return;
    }
    this.conn.close();
  }
}
