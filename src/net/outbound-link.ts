import { connect } from 'node:net';
import { assert, assertNever } from '../../raft/assert.js';
import type { NodeId } from '../../raft/types.js';
import { Backoff } from './backoff.js';
import { encodeFrame, PEER_MAGIC } from './frame-codec.js';
import { FramedSocket, type WrittenCallback } from './framed-socket.js';
import { NetError } from './net-error.js';
import type { NetLogger } from './net-logger.js';
import { HELLO_FRAME_BYTES_MAX } from './inbound-connection.js';
import type { ClusterSecret } from './peer-auth.js';
import { DialerHandshake } from './peer-handshake.js';
import { PendingCalls } from './pending-calls.js';
import type { HelloFrame, RaftFrame, ReqFrame, WireFrame } from './wire.js';

export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

export interface OutboundLimits {
  readonly frameBytesMax: number;
  /**
   * A Raft message is dropped when this many bytes already wait for the peer
   * (queued this turn + in the socket's user-space buffer). Memory per peer
   * is therefore bounded by backlogBytesMax + one frame.
   */
  readonly backlogBytesMax: number;
  /** Requests awaiting a reply on this link. */
  readonly requestsMax: number;
  /** From dialing until helloAck; a silent or slow peer counts as a failed attempt. */
  readonly connectTimeoutMs: number;
  readonly reconnectDelayMinMs: number;
  readonly reconnectDelayMaxMs: number;
}

/**
 * idle: never used, no socket. connecting: dialing or awaiting helloAck.
 * ready: handshake done. backoff: the last attempt failed, a redial is timed.
 * closed: for good.
 */
export const LINK_STATES = ['idle', 'connecting', 'ready', 'backoff', 'closed'] as const;
export type LinkState = (typeof LINK_STATES)[number];

export interface LinkStats {
  state: LinkState;
  /** Raft messages handed to the socket queue. */
  sentMsgs: number;
  /** Raft messages dropped because the link was down (backoff, closed). */
  droppedDownMsgs: number;
  /** Raft messages dropped because the peer's backlog was full. */
  droppedBacklogMsgs: number;
  /** Socket writes (one per turn with anything to send). */
  writes: number;
  bytesWritten: number;
  /** Failed connection attempts plus established connections lost. */
  failures: number;
  /** Successful handshakes. */
  connects: number;
  /** backlog now (bytes queued or in the socket's buffer). */
  backlogBytes: number;
  /** Bytes and frames received on this link's connections (replies, and what the other side sent on them). */
  bytesRead: number;
  framesRead: number;
  /** Frames handed to this link's connections (Raft messages, requests, hellos). */
  framesQueued: number;
}

export interface OutboundLinkOptions {
  readonly address: PeerAddress;
  readonly hello: HelloFrame;
  /** When set, we prove it to the node we dial and require its proof back (peer-handshake.ts). */
  readonly clusterSecret?: ClusterSecret;
  /** The node id helloAck must name, or undefined to accept any (RPC clients). */
  readonly expectedPeer: NodeId | undefined;
  readonly limits: OutboundLimits;
  readonly logger: NetLogger;
  readonly logFields: object;
  readonly random?: () => number;
  /** A raft or req frame the other side chose to send on this connection. */
  readonly onInbound: (frame: RaftFrame | ReqFrame, conn: FramedSocket) => void;
  /** A connection attempt failed or an established connection was lost. */
  readonly onDown: (reason: NetError) => void;
  /** The backlog filled up and a message was dropped (once per episode). */
  readonly onBacklogFull: () => void;
}

interface Waiting {
  readonly frame: Buffer;
  readonly onWritten: WrittenCallback | undefined;
}

/**
 * The one outbound connection to one destination: dials lazily on first use,
 * handshakes, redials with backoff after any failure, forever, until closed.
 *
 * While connecting, frames wait (bounded by backlogBytesMax) and go out right
 * after helloAck, so the first messages to a peer are not lost to the dial.
 * While in backoff, Raft messages are dropped (Raft retransmits) and requests
 * fail at once with UNREACHABLE.
 */
export class OutboundLink {
  private stateValue: LinkState = 'idle';
  private conn: FramedSocket | undefined;
  /** The handshake of the current connection attempt (a fresh nonce per dial). */
  private handshake: DialerHandshake | undefined;
  private waiting: Waiting[] = [];
  /** Invariant: waitingBytes = sum of waiting frame lengths; 0 unless connecting. */
  private waitingBytes = 0;
  private readonly calls: PendingCalls;
  private readonly backoff: Backoff;
  private redialTimer: NodeJS.Timeout | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  /** Set after a backlog drop, cleared when a message is accepted: one report per episode. */
  private backlogFull = false;
  /** Code and reason of the last failure, so a changed reason is logged as news. */
  private lastFailure = '';
  private address: PeerAddress;
  private readonly counters = {
    sentMsgs: 0,
    droppedDownMsgs: 0,
    droppedBacklogMsgs: 0,
    writes: 0,
    bytesWritten: 0,
    failures: 0,
    connects: 0,
    bytesRead: 0,
    framesRead: 0,
    framesQueued: 0,
  };

  constructor(private readonly options: OutboundLinkOptions) {
    const l = options.limits;
    assert(l.backlogBytesMax >= 1, 'backlogBytesMax >= 1');
    assert(l.connectTimeoutMs > 0, 'connectTimeoutMs > 0');
    this.address = options.address;
    this.calls = new PendingCalls(l.requestsMax);
    this.backoff = new Backoff(l.reconnectDelayMinMs, l.reconnectDelayMaxMs, options.random);
  }

  get state(): LinkState {
    return this.stateValue;
  }

  /**
   * Queues a Raft message. Returns false when it was dropped (link down or
   * backlog full); onSent then gets false too, immediately.
   */
  sendRaft(msg: unknown, onSent?: WrittenCallback, group?: number): boolean {
    let frame: Buffer;
    try {
      // Group 1 goes without a group id: a single-group cluster's frames stay as they were.
      const f: RaftFrame = group === undefined || group === 1 ? { t: 'raft', msg } : { t: 'raft', msg, g: group };
      frame = encodeFrame(f, this.options.limits.frameBytesMax);
    } catch (e) {
      if (!(e instanceof NetError)) throw e;
      this.options.logger.error({ ...this.options.logFields, code: e.code, reason: e.reason }, 'raft message not sent');
      onSent?.(false);
      return false;
    }
    this.ensureDialing();
    if (this.stateValue === 'backoff' || this.stateValue === 'closed') {
      this.counters.droppedDownMsgs += 1;
      onSent?.(false);
      return false;
    }
    if (this.backlogBytes() >= this.options.limits.backlogBytesMax) {
      this.counters.droppedBacklogMsgs += 1;
      onSent?.(false);
      if (!this.backlogFull) {
        this.backlogFull = true;
        this.options.logger.warn({ ...this.options.logFields, backlogBytes: this.backlogBytes() }, 'peer backed up: dropping raft messages');
        this.options.onBacklogFull();
      }
      return false;
    }
    this.backlogFull = false;
    this.counters.sentMsgs += 1;
    this.put(frame, onSent);
    return true;
  }

  /** Sends a request and resolves with the reply body; see NetError codes for failures. */
  request(body: unknown, timeoutMs: number): Promise<unknown> {
    this.ensureDialing();
    if (this.stateValue === 'closed') return Promise.reject(new NetError('CLOSED', 'link closed'));
    if (this.stateValue === 'backoff') {
      return Promise.reject(new NetError('UNREACHABLE', `${this.describe()} is unreachable (reconnecting)`));
    }
    if (this.backlogBytes() >= this.options.limits.backlogBytesMax) {
      return Promise.reject(new NetError('OVERLOADED', `${this.describe()} backlog is full`));
    }
    let call: { id: number; promise: Promise<unknown> };
    try {
      call = this.calls.start(timeoutMs, this.describe());
    } catch (e) {
      if (!(e instanceof NetError)) throw e;
      return Promise.reject(e);
    }
    try {
      this.put(encodeFrame({ t: 'req', id: call.id, body } satisfies ReqFrame, this.options.limits.frameBytesMax), undefined);
    } catch (e) {
      if (!(e instanceof NetError)) throw e;
      this.calls.fail(call.id, e);
    }
    return call.promise;
  }

  /** Points the link elsewhere (membership change); a live connection to the old address is dropped. */
  setAddress(address: PeerAddress): void {
    if (address.host === this.address.host && address.port === this.address.port) return;
    this.address = address;
    if (this.stateValue === 'connecting' || this.stateValue === 'ready') {
      this.conn?.close(); // onClose moves us to backoff; the redial uses the new address
    }
  }

  close(): void {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'closed';
    this.clearTimers();
    const conn = this.conn;
    this.conn = undefined;
    conn?.close();
    this.failWaiting();
    this.calls.failAll(new NetError('CLOSED', `${this.describe()}: transport closed`));
  }

  /** Writes what is queued for this peer now instead of at the end of the event-loop turn. */
  flush(): void {
    if (this.stateValue === 'ready') this.conn!.flush();
  }

  stats(): LinkStats {
    const c = this.conn;
    return {
      ...this.counters,
      state: this.stateValue,
      writes: this.counters.writes + (c?.writes ?? 0),
      bytesWritten: this.counters.bytesWritten + (c?.bytesWritten ?? 0),
      bytesRead: this.counters.bytesRead + (c?.bytesRead ?? 0),
      framesRead: this.counters.framesRead + (c?.framesRead ?? 0),
      framesQueued: this.counters.framesQueued + (c?.framesQueued ?? 0),
      backlogBytes: this.backlogBytes(),
    };
  }

  private describe(): string {
    return `${this.address.host}:${this.address.port}`;
  }

  private backlogBytes(): number {
    return this.stateValue === 'ready' ? (this.conn?.backlogBytes ?? 0) : this.waitingBytes;
  }

  /** Precondition: state is connecting or ready. */
  private put(frame: Buffer, onWritten: WrittenCallback | undefined): void {
    if (this.stateValue === 'ready') {
      this.conn!.enqueue(frame, onWritten);
    } else {
      assert(this.stateValue === 'connecting', () => `put in state ${this.stateValue}`);
      this.waiting.push({ frame, onWritten });
      this.waitingBytes += frame.length;
    }
  }

  /** Dials now if never dialed (otherwise the first send or request does). */
  warmUp(): void {
    this.ensureDialing();
  }

  private ensureDialing(): void {
    if (this.stateValue === 'idle') this.dial();
  }

  private dial(): void {
    assert(this.stateValue === 'idle' || this.stateValue === 'backoff', () => `dial in state ${this.stateValue}`);
    this.stateValue = 'connecting';
    const socket = connect({ host: this.address.host, port: this.address.port });
    socket.setKeepAlive(true, 5_000);
    const conn = new FramedSocket(socket, {
      // Until the other side is authenticated it may send only handshake-sized frames.
      frameBytesMax: Math.min(HELLO_FRAME_BYTES_MAX, this.options.limits.frameBytesMax),
      logger: this.options.logger,
      logFields: { ...this.options.logFields, dir: 'out' },
      onFrame: (frame) => this.onFrame(conn, frame),
      onClose: (reason) => this.onConnClosed(conn, reason),
    });
    this.conn = conn;
    // The handshake exists before any frame of this connection can arrive.
    const handshake = new DialerHandshake(this.options.clusterSecret, this.options.hello);
    this.handshake = handshake;
    conn.start();
    const hello = encodeFrame(handshake.hello, this.options.limits.frameBytesMax);
    conn.enqueue(Buffer.concat([Buffer.from([PEER_MAGIC]), hello]));
    this.connectTimer = setTimeout(() => {
      this.connectTimer = undefined;
      this.failConnection(conn, new NetError('UNREACHABLE', `no handshake with ${this.describe()} within ${this.options.limits.connectTimeoutMs} ms`));
    }, this.options.limits.connectTimeoutMs);
  }

  private onFrame(conn: FramedSocket, frame: WireFrame): void {
    if (conn !== this.conn) return;
    switch (frame.t) {
      case 'helloAck':
        if (this.stateValue !== 'connecting') return this.failConnection(conn, protocolError('second helloAck'));
        if (this.options.expectedPeer !== undefined && frame.from !== this.options.expectedPeer) {
          return this.failConnection(
            conn,
            new NetError('HANDSHAKE_FAILED', `${this.describe()} is node ${frame.from}, expected ${this.options.expectedPeer}`),
          );
        }
        {
          const why = this.handshake!.checkAck(frame);
          if (why !== undefined) return this.refusePeer(conn, why);
        }
        return this.onReady(conn);
      case 'challenge': {
        if (this.stateValue !== 'connecting') return this.failConnection(conn, protocolError('challenge after helloAck'));
        const answer = this.handshake!.onChallenge(frame, this.options.expectedPeer);
        if ('refuse' in answer) return this.refusePeer(conn, answer.refuse);
        conn.enqueue(encodeFrame(answer.proof, this.options.limits.frameBytesMax));
        return;
      }
      case 'proof':
        return this.failConnection(conn, protocolError('proof from the accepting side'));
      case 'helloReject':
        return this.failConnection(conn, new NetError('HANDSHAKE_FAILED', `${this.describe()} refused us: ${frame.reason}`));
      case 'res':
      case 'resErr':
        if (this.stateValue !== 'ready') return this.failConnection(conn, protocolError(`${frame.t} before helloAck`));
        this.calls.settle(frame); // an unknown id is a reply that arrived after its timeout
        return;
      case 'raft':
      case 'req':
        if (this.stateValue !== 'ready') return this.failConnection(conn, protocolError(`${frame.t} before helloAck`));
        return this.options.onInbound(frame, conn);
      case 'hello':
        return this.failConnection(conn, protocolError('hello from the accepting side'));
      default:
        return assertNever(frame, 'wire frame');
    }
  }

  /** The node we dialed failed the cluster_secret check: logged (with its address), never served. */
  private refusePeer(conn: FramedSocket, why: string): void {
    const err = new NetError('HANDSHAKE_FAILED', `${this.describe()} refused: ${why}`);
    this.options.logger.warn({ ...this.options.logFields, remote: this.describe(), code: err.code, reason: why }, 'refusing peer: cluster_secret check failed');
    this.failConnection(conn, err);
  }

  private onReady(conn: FramedSocket): void {
    this.clearTimers();
    conn.setFrameBytesMax(this.options.limits.frameBytesMax);
    this.stateValue = 'ready';
    this.counters.connects += 1;
    const wasFailing = this.backoff.consecutiveFailures > 0;
    this.backoff.reset();
    this.options.logger[wasFailing ? 'info' : 'debug']({ ...this.options.logFields }, 'connected to peer');
    const waiting = this.waiting;
    this.waiting = [];
    this.waitingBytes = 0;
    for (const w of waiting) conn.enqueue(w.frame, w.onWritten);
  }

  private failConnection(conn: FramedSocket, reason: NetError): void {
    if (conn !== this.conn) return;
    conn.close(reason); // onClose -> onConnClosed logs it and schedules the redial
  }

  private onConnClosed(conn: FramedSocket, reason: NetError | undefined): void {
    if (conn !== this.conn) return; // an old connection, or close() already ran
    this.conn = undefined;
    this.counters.writes += conn.writes;
    this.counters.bytesWritten += conn.bytesWritten;
    this.counters.bytesRead += conn.bytesRead;
    this.counters.framesRead += conn.framesRead;
    this.counters.framesQueued += conn.framesQueued;
    this.clearTimers();
    const err = reason ?? new NetError('UNREACHABLE', `connection to ${this.describe()} closed`);
    const wasReady = this.stateValue === 'ready';
    this.counters.failures += 1;
    this.failWaiting();
    this.calls.failAll(new NetError('UNREACHABLE', `${this.describe()}: ${err.reason}`));
    const delayMs = this.backoff.nextDelayMs();
    // The first failure after a success is news, and so is a new reason
    // (down, then refused by its handshake); repeats while down are noise.
    const reasonKey = `${err.code} ${err.reason}`;
    const level = wasReady || this.backoff.consecutiveFailures === 1 || reasonKey !== this.lastFailure ? 'warn' : 'debug';
    this.lastFailure = reasonKey;
    this.options.logger[level]({ ...this.options.logFields, code: err.code, reason: err.reason, redialInMs: delayMs }, 'peer link down');
    this.stateValue = 'backoff';
    this.redialTimer = setTimeout(() => {
      this.redialTimer = undefined;
      if (this.stateValue === 'backoff') this.dial();
    }, delayMs);
    this.options.onDown(err);
  }

  private failWaiting(): void {
    const waiting = this.waiting;
    this.waiting = [];
    this.waitingBytes = 0;
    for (const w of waiting) w.onWritten?.(false);
  }

  private clearTimers(): void {
    if (this.redialTimer !== undefined) clearTimeout(this.redialTimer);
    if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
    this.redialTimer = undefined;
    this.connectTimer = undefined;
  }
}

function protocolError(what: string): NetError {
  return new NetError('BAD_FRAME', `protocol violation: ${what}`);
}
