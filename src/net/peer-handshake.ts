import { assert } from '../../raft/assert.js';
import type { NodeId } from '../../raft/types.js';
import { newNonce, type ClusterSecret, type HandshakeTranscript } from './peer-auth.js';
import type { ChallengeFrame, HelloAckFrame, HelloFrame, ProofFrame } from './wire.js';

/**
 * The cluster_secret steps of the peer handshake, one object per connection
 * and side, apart from the sockets so both ends can be tested frame by frame.
 *
 *   dialer                         acceptor
 *   hello {.., nonce Nd}     ->
 *                            <-    challenge {from, nonce Na}
 *   proof {HMAC dialer}      ->    (checked: else helloReject + close)
 *                            <-    helloAck {from, proof HMAC acceptor}
 *   (checked: else close)
 *
 * Without a secret on either side, hello and helloAck are as before and
 * nothing else is sent. A secret on one side only is refused by whichever
 * side notices first, with a reason that says which node lacks it.
 */

/** A step's outcome: a frame to send, done (authenticated), or a refusal with its reason. */
export type AcceptorStep =
  | { readonly type: 'send'; readonly frame: ChallengeFrame }
  | { readonly type: 'accept'; readonly frame: HelloAckFrame }
  | { readonly type: 'refuse'; readonly reason: string };

/** The accepting side. Precondition for every step: the hello passed checkHello. */
export class AcceptorHandshake {
  private hello: HelloFrame | undefined;
  private acceptorNonce: Buffer | undefined;

  constructor(
    private readonly secret: ClusterSecret | undefined,
    private readonly selfId: NodeId,
  ) {}

  /** After the dialer's hello: ack at once (no secret), or challenge it. */
  onHello(hello: HelloFrame): AcceptorStep {
    assert(this.hello === undefined, 'one hello per connection');
    this.hello = hello;
    if (this.secret === undefined) {
      if (hello.nonce !== undefined) return refuse('the dialer offers a cluster_secret proof and this node has no cluster_secret: configure the same secret on every node, or none');
      return { type: 'accept', frame: { t: 'helloAck', from: this.selfId } };
    }
    if (hello.nonce === undefined) return refuse('this node requires a cluster_secret proof and the dialer has no cluster_secret');
    this.acceptorNonce = newNonce();
    return { type: 'send', frame: { t: 'challenge', from: this.selfId, nonce: this.acceptorNonce } };
  }

  /** Whether a proof frame is what comes next. */
  get awaitingProof(): boolean {
    return this.acceptorNonce !== undefined;
  }

  /** The dialer's proof: accept with our own proof, or refuse. */
  onProof(frame: ProofFrame): AcceptorStep {
    const secret = this.secret;
    const hello = this.hello;
    const acceptorNonce = this.acceptorNonce;
    assert(secret !== undefined && hello !== undefined && acceptorNonce !== undefined, 'onProof only after a challenge');
    this.acceptorNonce = undefined; // one proof per challenge
    const t = transcript(hello, this.selfId, acceptorNonce);
    if (!secret.verify('dialer', t, frame.proof)) return refuse('wrong cluster_secret proof: the dialer holds another secret');
    return { type: 'accept', frame: { t: 'helloAck', from: this.selfId, proof: secret.proof('acceptor', t) } };
  }
}

/** The dialing side of one connection attempt. */
export class DialerHandshake {
  /** The hello to send: with a fresh nonce when we hold a secret. */
  readonly hello: HelloFrame;
  private challenge: ChallengeFrame | undefined;

  constructor(
    private readonly secret: ClusterSecret | undefined,
    hello: HelloFrame,
  ) {
    assert(hello.nonce === undefined, 'the handshake chooses the nonce');
    this.hello = secret === undefined ? hello : { ...hello, nonce: newNonce() };
  }

  /** The acceptor's challenge: our proof to send, or why we refuse. */
  onChallenge(frame: ChallengeFrame, expectedPeer: NodeId | undefined): { proof: ProofFrame } | { refuse: string } {
    if (this.secret === undefined) return { refuse: 'it asks for a cluster_secret proof and this node has no cluster_secret' };
    if (this.challenge !== undefined) return { refuse: 'a second challenge' };
    if (expectedPeer !== undefined && frame.from !== expectedPeer) return { refuse: `it is node ${frame.from}, expected ${expectedPeer}` };
    this.challenge = frame;
    return { proof: { t: 'proof', proof: this.secret.proof('dialer', transcript(this.hello, frame.from, frame.nonce)) } };
  }

  /** The acceptor's helloAck: undefined when it may be trusted, else why not. */
  checkAck(frame: HelloAckFrame): string | undefined {
    if (this.secret === undefined) return frame.proof === undefined ? undefined : 'it sent a cluster_secret proof and this node has no cluster_secret';
    const challenge = this.challenge;
    if (challenge === undefined || frame.proof === undefined) return 'it did not prove the cluster_secret (it has none, or is an older build)';
    if (frame.from !== challenge.from) return `its helloAck names node ${frame.from}, its challenge node ${challenge.from}`;
    if (!this.secret.verify('acceptor', transcript(this.hello, challenge.from, challenge.nonce), frame.proof)) {
      return 'wrong cluster_secret proof: it holds another secret';
    }
    return undefined;
  }
}

function transcript(hello: HelloFrame, acceptorId: NodeId, acceptorNonce: Uint8Array): HandshakeTranscript {
  assert(hello.nonce !== undefined, 'a proof needs the dialer nonce');
  return { cluster: hello.cluster, dialerRole: hello.role, dialerId: hello.from, acceptorId, dialerNonce: hello.nonce, acceptorNonce };
}

function refuse(reason: string): AcceptorStep {
  return { type: 'refuse', reason };
}
