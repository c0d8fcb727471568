import type { NodeId } from '../../raft/types.js';
import { NetError } from './net-error.js';
import { AUTH_NONCE_BYTES, AUTH_PROOF_BYTES } from './peer-auth.js';

/**
 * The frame bodies of internal connections: a discriminated union on `t`.
 *
 * A connection is: magic byte, `hello` from the connecting side, then
 * `helloAck` (or `helloReject` and close) from the accepting side, then any
 * number of `raft` / `req` / `res` / `resErr` frames either way. A `res` or
 * `resErr` always travels on the connection its `req` came in on.
 *
 * With a cluster_secret (peer-auth.ts) the handshake has two more steps:
 * `hello` carries the dialer's nonce, the acceptor answers `challenge` (its
 * id and nonce), the dialer sends `proof`, and `helloAck` carries the
 * acceptor's proof. Without one, no nonce or proof is ever sent: the frames
 * are exactly those of a build that knows no secrets.
 */
export const WIRE_VERSION = 1;

export const PEER_ROLES = ['peer', 'coordinator'] as const;
/** `peer`: a Raft member (from > 0). `coordinator`: an RPC-only endpoint (from = 0). */
export type PeerRole = (typeof PEER_ROLES)[number];

/** Bounds on handshake strings, so a garbage peer cannot make us log megabytes. */
export const CLUSTER_NAME_CHARS_MAX = 256;
export const REASON_CHARS_MAX = 1024;

export interface HelloFrame {
  readonly t: 'hello';
  readonly version: number;
  readonly cluster: string;
  /** The connecting node's id; 0 for a coordinator or tool. */
  readonly from: NodeId;
  readonly role: PeerRole;
  /** The dialer's AUTH_NONCE_BYTES nonce; present exactly when it holds a cluster_secret. */
  readonly nonce?: Uint8Array;
}
export interface HelloAckFrame {
  readonly t: 'helloAck';
  /** The accepting node's id, so the dialer can check it reached whom it meant. */
  readonly from: NodeId;
  /** The acceptor's proof of the cluster_secret; present exactly when it holds one. */
  readonly proof?: Uint8Array;
}
/** Acceptor -> dialer, when the acceptor holds a cluster_secret: prove it. */
export interface ChallengeFrame {
  readonly t: 'challenge';
  /** The accepting node's id (bound into both proofs). */
  readonly from: NodeId;
  readonly nonce: Uint8Array;
}
/** Dialer -> acceptor: the dialer's answer to the challenge. */
export interface ProofFrame {
  readonly t: 'proof';
  readonly proof: Uint8Array;
}
export interface HelloRejectFrame {
  readonly t: 'helloReject';
  readonly reason: string;
}
/** A Raft message; opaque to the transport (the core's type is raft/messages.ts). */
export interface RaftFrame {
  readonly t: 'raft';
  readonly msg: unknown;
  /** The Raft group the message belongs to (multi-raft); absent means group 1. */
  readonly g?: number;
}

/** Group ids on the wire are u32, 1-based. */
export const GROUP_ID_MAX = 0xffff_ffff;
export interface ReqFrame {
  readonly t: 'req';
  /** Chosen by the requester, unique among its pending requests on this connection. */
  readonly id: number;
  readonly body: unknown;
}
export interface ResFrame {
  readonly t: 'res';
  readonly id: number;
  readonly body: unknown;
}
/** The request handler failed; `code` is the handler's error code if it had one. */
export interface ResErrFrame {
  readonly t: 'resErr';
  readonly id: number;
  readonly code: string;
  readonly reason: string;
}

export type WireFrame =
  | HelloFrame
  | HelloAckFrame
  | HelloRejectFrame
  | ChallengeFrame
  | ProofFrame
  | RaftFrame
  | ReqFrame
  | ResFrame
  | ResErrFrame;

export type WireFrameType = WireFrame['t'];

function bad(why: string): NetError {
  return new NetError('BAD_FRAME', why);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function isNodeId(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function isRequestId(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
}

function boundedString(v: unknown, max: number, field: string): string {
  if (typeof v !== 'string') throw bad(`${field} is not a string`);
  if (v.length > max) throw bad(`${field} longer than ${max} chars`);
  return v;
}

/** A bin field of exactly `bytes` bytes (nonces and proofs have fixed sizes). */
function fixedBytes(v: unknown, bytes: number, field: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw bad(`${field} is not binary`);
  if (v.length !== bytes) throw bad(`${field} is ${v.length} bytes, expected ${bytes}`);
  return v;
}

function requestId(v: Record<string, unknown>, t: string): number {
  if (!isRequestId(v['id'])) throw bad(`${t} frame without a positive integer id`);
  return v['id'];
}

/**
 * Checks that a decoded body is one of the wire shapes and returns it typed.
 * Fields are copied out, so extra keys a future version adds are ignored.
 * Throws NetError BAD_FRAME otherwise.
 */
export function parseWireFrame(v: unknown): WireFrame {
  if (!isRecord(v)) throw bad('frame body is not a map');
  const t = v['t'];
  switch (t) {
    case 'hello': {
      const role = v['role'];
      if (role !== 'peer' && role !== 'coordinator') throw bad('hello with an unknown role');
      const from = v['from'];
      if (!isNodeId(from)) throw bad('hello without a node id');
      if (typeof v['version'] !== 'number') throw bad('hello without a version');
      const cluster = boundedString(v['cluster'], CLUSTER_NAME_CHARS_MAX, 'hello.cluster');
      if (v['nonce'] === undefined) return { t, version: v['version'], cluster, from, role };
      return { t, version: v['version'], cluster, from, role, nonce: fixedBytes(v['nonce'], AUTH_NONCE_BYTES, 'hello.nonce') };
    }
    case 'helloAck': {
      const from = v['from'];
      if (!isNodeId(from)) throw bad('helloAck without a node id');
      if (v['proof'] === undefined) return { t, from };
      return { t, from, proof: fixedBytes(v['proof'], AUTH_PROOF_BYTES, 'helloAck.proof') };
    }
    case 'challenge': {
      const from = v['from'];
      if (!isNodeId(from)) throw bad('challenge without a node id');
      return { t, from, nonce: fixedBytes(v['nonce'], AUTH_NONCE_BYTES, 'challenge.nonce') };
    }
    case 'proof':
      return { t, proof: fixedBytes(v['proof'], AUTH_PROOF_BYTES, 'proof.proof') };
    case 'helloReject':
      return { t, reason: boundedString(v['reason'], REASON_CHARS_MAX, 'helloReject.reason') };
    case 'raft': {
      // The transport does not interpret Raft messages, but it does refuse
      // what cannot be one: they are always objects.
      if (!isRecord(v['msg'])) throw bad('raft frame whose msg is not a map');
      const g = v['g'];
      if (g === undefined) return { t, msg: v['msg'] };
      if (typeof g !== 'number' || !Number.isInteger(g) || g < 1 || g > GROUP_ID_MAX) throw bad('raft frame with a bad group id');
      return { t, msg: v['msg'], g };
    }
    case 'req':
      return { t, id: requestId(v, t), body: v['body'] };
    case 'res':
      return { t, id: requestId(v, t), body: v['body'] };
    case 'resErr':
      return {
        t,
        id: requestId(v, t),
        code: boundedString(v['code'], REASON_CHARS_MAX, 'resErr.code'),
        reason: boundedString(v['reason'], REASON_CHARS_MAX, 'resErr.reason'),
      };
    default:
      throw bad(`unknown frame type ${JSON.stringify(typeof t === 'string' ? t.slice(0, 64) : typeof t)}`);
  }
}

/** Cuts a string to `max` chars, for reasons built from caught errors. */
export function clip(s: string, max: number = REASON_CHARS_MAX): string {
  return s.length <= max ? s : s.slice(0, max);
}
