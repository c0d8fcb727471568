import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { inspect } from 'node:util';
import { assert } from '../../raft/assert.js';
import type { NodeId } from '../../raft/types.js';
import type { PeerRole } from './wire.js';

/**
 * Peer authentication by a shared `cluster_secret`: HMAC-SHA256
 * challenge-response, both ways. Each side picks a fresh random nonce for
 * every connection, and each proves knowledge of the secret by an HMAC over
 * both nonces and both identities, so a proof is good for one connection,
 * between these two parties, in one direction only (the side is part of the
 * MAC input: an acceptor's proof can never be replayed as a dialer's).
 * Neither the secret nor anything derived from it but these proofs leaves
 * the process.
 */
export const AUTH_NONCE_BYTES = 32;
/** SHA-256 output. */
export const AUTH_PROOF_BYTES = 32;
/** A secret longer than this is refused at config time (it would not add strength, only bytes). */
export const CLUSTER_SECRET_BYTES_MAX = 4096;

/** Which end of the connection a proof comes from. */
export type AuthSide = 'dialer' | 'acceptor';

/** Everything a proof binds. Both ends build the same transcript from the handshake frames. */
export interface HandshakeTranscript {
  readonly cluster: string;
  readonly dialerRole: PeerRole;
  /** The dialer's node id (0 for a coordinator or tool). */
  readonly dialerId: NodeId;
  /** The acceptor's node id, as its challenge states it. */
  readonly acceptorId: NodeId;
  readonly dialerNonce: Uint8Array;
  readonly acceptorNonce: Uint8Array;
}

const DOMAIN = 'kvstore peer auth v1';

/**
 * The shared secret. Its bytes are private and never printed: logging a
 * config object that holds one shows `[cluster_secret]`.
 */
export class ClusterSecret {
  readonly #key: Buffer;

  constructor(key: Uint8Array) {
    assert(key.length >= 1, 'a cluster secret has at least one byte');
    assert(key.length <= CLUSTER_SECRET_BYTES_MAX, () => `a cluster secret has at most ${CLUSTER_SECRET_BYTES_MAX} bytes`);
    this.#key = Buffer.from(key);
  }

  /** The proof `side` sends for this transcript. */
  proof(side: AuthSide, t: HandshakeTranscript): Buffer {
    return createHmac('sha256', this.#key).update(transcriptBytes(side, t)).digest();
  }

  /** Whether `proof` is what `side` must send for this transcript; constant time in the proof's bytes. */
  verify(side: AuthSide, t: HandshakeTranscript, proof: Uint8Array): boolean {
    const expected = this.proof(side, t);
    // Lengths are public (always AUTH_PROOF_BYTES for an honest peer); only the contents need constant time.
    return proof.length === expected.length && timingSafeEqual(expected, proof);
  }

  toJSON(): string {
    return '[cluster_secret]';
  }

  toString(): string {
    return '[cluster_secret]';
  }

  [inspect.custom](): string {
    return '[cluster_secret]';
  }
}

/** A fresh nonce for one handshake. */
export function newNonce(): Buffer {
  return randomBytes(AUTH_NONCE_BYTES);
}

/**
 * The MAC input: every field length-prefixed, so no two different
 * transcripts can serialize to the same bytes.
 */
function transcriptBytes(side: AuthSide, t: HandshakeTranscript): Buffer {
  assert(t.dialerNonce.length === AUTH_NONCE_BYTES && t.acceptorNonce.length === AUTH_NONCE_BYTES, 'handshake nonces are AUTH_NONCE_BYTES long');
  const parts = [DOMAIN, side, t.cluster, t.dialerRole, String(t.dialerId), String(t.acceptorId)].map((s) => Buffer.from(s, 'utf8'));
  const out: Buffer[] = [];
  for (const p of [...parts, Buffer.from(t.dialerNonce), Buffer.from(t.acceptorNonce)]) {
    const len = Buffer.allocUnsafe(4);
    len.writeUInt32BE(p.length, 0);
    out.push(len, p);
  }
  return Buffer.concat(out);
}
