import test from 'ava';
import { SessionPool } from '../../src/server/session-pool.js';

test('clients that write one command per connection share one session: seqs keep growing in it', (t) => {
  const pool = new SessionPool('x', 4);
  const seen: Array<[string, number]> = [];
  for (let k = 0; k < 100; k++) {
    const ticket = pool.next();
    seen.push([ticket.clientId, ticket.seq]);
    ticket.release();
  }
  t.is(pool.size, 1);
  t.deepEqual(seen.map(([, s]) => s), Array.from({ length: 100 }, (_, k) => k + 1));
  t.is(new Set(seen.map(([c]) => c)).size, 1);
});

test('a session with outstandingMax unanswered writes is not used until one is answered; a new one opens meanwhile', (t) => {
  const pool = new SessionPool('x', 2);
  const a = pool.next();
  const b = pool.next();
  const c = pool.next();
  t.is(a.clientId, b.clientId);
  t.not(c.clientId, a.clientId, 'the first session is full');
  t.is(c.seq, 1);
  a.release();
  a.release(); // releasing twice counts once
  const d = pool.next();
  t.is(d.clientId, a.clientId);
  t.is(d.seq, 3);
  const e = pool.next();
  t.is(e.clientId, c.clientId, 'the first session is full again');
  t.is(pool.size, 2);
});

test('two pools (two processes) never share a client id', (t) => {
  t.not(new SessionPool('c').next().clientId, new SessionPool('c').next().clientId);
});
