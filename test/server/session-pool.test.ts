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

test('a session whose next seq would be spanMax past its oldest unanswered one is not used; a new one opens meanwhile', (t) => {
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

test('a write that lags holds its session back however many later ones are answered, so its seq never leaves the window', (t) => {
  const pool = new SessionPool('x', 4);
  const lagging = pool.next();
  const later = [pool.next(), pool.next(), pool.next()];
  t.true(later.every((x) => x.clientId === lagging.clientId));
  for (const x of later) x.release();
  // Only one write is unanswered, but seq 5 would be 4 past it.
  const other = pool.next();
  t.not(other.clientId, lagging.clientId);
  other.release();
  for (let k = 0; k < 100; k++) pool.next().release();
  t.is(pool.size, 2, 'the other session takes everything meanwhile');
  lagging.release();
  const back = pool.next();
  t.is(back.clientId, lagging.clientId, 'answered at last: its session is usable again');
  t.is(back.seq, 5);
  t.throws(() => new SessionPool('x', 64), { message: /spanMax/ });
});

test('two pools (two processes) never share a client id', (t) => {
  t.not(new SessionPool('c').next().clientId, new SessionPool('c').next().clientId);
});
