import test from 'ava';
import { AUTH_NONCE_BYTES, AUTH_PROOF_BYTES, ClusterSecret } from '../../src/net/peer-auth.js';
import { AcceptorHandshake, DialerHandshake } from '../../src/net/peer-handshake.js';
import { parseWireFrame, WIRE_VERSION, type HelloFrame } from '../../src/net/wire.js';
import { inspect } from 'node:util';

const HELLO: HelloFrame = { t: 'hello', version: WIRE_VERSION, cluster: 'c', from: 1, role: 'peer' };
const secret = (s: string): ClusterSecret => new ClusterSecret(Buffer.from(s));

/** Runs dialer and acceptor against each other in memory, frames passed through the wire parser. */
function run(dialerSecret: ClusterSecret | undefined, acceptorSecret: ClusterSecret | undefined) {
  const d = new DialerHandshake(dialerSecret, HELLO);
  const a = new AcceptorHandshake(acceptorSecret, 2);
  const wire = <T>(f: T): T => parseWireFrame(f) as T;
  const first = a.onHello(wire(d.hello));
  if (first.type === 'refuse') return { refusedBy: 'acceptor', reason: first.reason };
  if (first.type === 'accept') {
    const why = d.checkAck(wire(first.frame));
    return why === undefined ? { ok: true } : { refusedBy: 'dialer', reason: why };
  }
  const answer = d.onChallenge(wire(first.frame), 2);
  if ('refuse' in answer) return { refusedBy: 'dialer', reason: answer.refuse };
  const second = a.onProof(wire(answer.proof));
  if (second.type !== 'accept') return { refusedBy: 'acceptor', reason: second.type === 'refuse' ? second.reason : 'sent again' };
  const why = d.checkAck(wire(second.frame));
  return why === undefined ? { ok: true } : { refusedBy: 'dialer', reason: why };
}

test('no secret on either side: hello and helloAck exactly as before, no nonce or proof', (t) => {
  const d = new DialerHandshake(undefined, HELLO);
  t.deepEqual(d.hello, HELLO);
  const step = new AcceptorHandshake(undefined, 2).onHello(d.hello);
  t.deepEqual(step, { type: 'accept', frame: { t: 'helloAck', from: 2 } });
  t.deepEqual(run(undefined, undefined), { ok: true });
});

test('the same secret on both sides: both prove it and the connection is accepted', (t) => {
  t.deepEqual(run(secret('s3cret'), secret('s3cret')), { ok: true });
});

test('a wrong secret is refused by the acceptor, which never proves its own', (t) => {
  const r = run(secret('wrong'), secret('s3cret'));
  t.is(r.refusedBy, 'acceptor');
  t.regex(r.reason!, /wrong cluster_secret proof/);
});

test('a dialer without a secret is refused by an acceptor that has one, and the other way round', (t) => {
  const noDialer = run(undefined, secret('s3cret'));
  t.is(noDialer.refusedBy, 'acceptor');
  t.regex(noDialer.reason!, /requires a cluster_secret proof and the dialer has no cluster_secret/);
  const noAcceptor = run(secret('s3cret'), undefined);
  t.is(noAcceptor.refusedBy, 'acceptor');
  t.regex(noAcceptor.reason!, /this node has no cluster_secret/);
});

test('an impostor acceptor (no secret, acks any proof) is refused by the dialer', (t) => {
  const d = new DialerHandshake(secret('s3cret'), HELLO);
  t.is(d.hello.nonce?.length, AUTH_NONCE_BYTES);
  const answer = d.onChallenge({ t: 'challenge', from: 2, nonce: Buffer.alloc(AUTH_NONCE_BYTES, 7) }, 2);
  t.true('proof' in answer);
  // An older build answers helloAck with no proof; a forger with random bytes.
  t.regex(d.checkAck({ t: 'helloAck', from: 2 })!, /did not prove the cluster_secret/);
  t.regex(d.checkAck({ t: 'helloAck', from: 2, proof: Buffer.alloc(AUTH_PROOF_BYTES, 1) })!, /wrong cluster_secret proof/);
  // An acceptor with another secret proves the wrong thing.
  const other = new AcceptorHandshake(secret('other'), 2);
  const c = other.onHello(d.hello);
  t.is(c.type, 'send');
});

test('the dialer refuses an ack that skipped the challenge, or names another node than its challenge', (t) => {
  const d = new DialerHandshake(secret('s3cret'), HELLO);
  t.regex(d.checkAck({ t: 'helloAck', from: 2, proof: Buffer.alloc(AUTH_PROOF_BYTES) })!, /did not prove/);
  t.regex((d.onChallenge({ t: 'challenge', from: 3, nonce: Buffer.alloc(AUTH_NONCE_BYTES) }, 2) as { refuse: string }).refuse, /node 3, expected 2/);
});

test('a proof is bound to its nonces, its direction and both identities: none replays elsewhere', (t) => {
  const s = secret('s3cret');
  const d = new DialerHandshake(s, HELLO);
  const a = new AcceptorHandshake(s, 2);
  const ch = a.onHello(d.hello);
  if (ch.type !== 'send') return t.fail();
  const answer = d.onChallenge(ch.frame, 2);
  if (!('proof' in answer)) return t.fail();
  // The same dialer proof against a second acceptor connection (fresh nonce) fails.
  const a2 = new AcceptorHandshake(s, 2);
  t.is(a2.onHello(d.hello).type, 'send');
  t.is(a2.onProof(answer.proof).type, 'refuse');
  // Reflection: the acceptor's own proof, sent back as a dialer proof, fails.
  const ok = a.onProof(answer.proof);
  if (ok.type !== 'accept') return t.fail();
  const a3 = new AcceptorHandshake(s, 2);
  a3.onHello(d.hello);
  t.is(a3.onProof({ t: 'proof', proof: ok.frame.proof! }).type, 'refuse');
  // Another dialer id or cluster in the transcript changes the proof.
  const base = { cluster: 'c', dialerRole: 'peer' as const, dialerId: 1, acceptorId: 2, dialerNonce: Buffer.alloc(32, 1), acceptorNonce: Buffer.alloc(32, 2) };
  const p = s.proof('dialer', base);
  t.false(s.verify('dialer', { ...base, dialerId: 3 }, p));
  t.false(s.verify('dialer', { ...base, acceptorId: 3 }, p));
  t.false(s.verify('dialer', { ...base, cluster: 'd' }, p));
  t.false(s.verify('dialer', { ...base, dialerRole: 'coordinator' }, p));
  t.false(s.verify('acceptor', base, p));
  t.false(s.verify('dialer', base, p.subarray(0, 31)), 'a short proof is refused, not compared');
  t.true(s.verify('dialer', base, p));
});

test('each handshake draws fresh nonces', (t) => {
  const a = new DialerHandshake(secret('s'), HELLO).hello.nonce!;
  const b = new DialerHandshake(secret('s'), HELLO).hello.nonce!;
  t.notDeepEqual(Buffer.from(a), Buffer.from(b));
});

test('a secret never prints', (t) => {
  const s = secret('hunter2');
  t.false(JSON.stringify({ s }).includes('hunter2'));
  t.false(inspect({ s }).includes('hunter2'));
  t.false(`${s}`.includes('hunter2'));
});

test('wire: nonces and proofs must have their exact sizes', (t) => {
  t.throws(() => parseWireFrame({ ...HELLO, nonce: Buffer.alloc(31) }), { message: /hello.nonce is 31 bytes/ });
  t.throws(() => parseWireFrame({ ...HELLO, nonce: 'x'.repeat(32) }), { message: /hello.nonce is not binary/ });
  t.throws(() => parseWireFrame({ t: 'proof', proof: Buffer.alloc(33) }), { message: /proof.proof is 33 bytes/ });
  t.throws(() => parseWireFrame({ t: 'challenge', from: 2 }), { message: /challenge.nonce is not binary/ });
  t.throws(() => parseWireFrame({ t: 'helloAck', from: 2, proof: Buffer.alloc(1) }), { message: /helloAck.proof/ });
});
