import test from 'ava';
import { ClientSessions, type SessionTuple } from '../../src/participant/client-sessions.js';
import type { ApplyResult } from '../../src/kv/kv-command.js';

/** Runs a command whose effect is counted, and returns its result. */
function runner(limits = { sessionsMax: 100, windowSeqs: 4 }) {
  const sessions = new ClientSessions(limits);
  let applied = 0;
  let index = 0;
  const run = (clientId: string, seq: number): ApplyResult =>
    sessions.run(clientId, seq, ++index, () => ({ type: 'count', n: ++applied }));
  return { sessions, run, applied: () => applied };
}

test('a retried (clientId, seq) returns the first result without re-applying (§6.3)', (t) => {
  const r = runner();
  t.deepEqual(r.run('a', 1), { type: 'count', n: 1 });
  t.deepEqual(r.run('a', 1), { type: 'count', n: 1 });
  t.deepEqual(r.run('a', 2), { type: 'count', n: 2 });
  t.deepEqual(r.run('a', 1), { type: 'count', n: 1 });
  t.deepEqual(r.run('b', 1), { type: 'count', n: 3 }, 'another client with the same seq is a different command');
  t.is(r.applied(), 3);
  r.sessions.checkInvariants();
});

test('window: seqs in (lastSeq - window, lastSeq] are answered or applied late; older ones are stale', (t) => {
  const r = runner({ sessionsMax: 100, windowSeqs: 4 });
  r.run('a', 1); // n=1
  r.run('a', 3); // n=2, seq 2 still outstanding (pipelined)
  r.run('a', 6); // n=3, window is now (2, 6]
  t.deepEqual(r.run('a', 3), { type: 'count', n: 2 }, 'cached inside the window');
  t.deepEqual(r.run('a', 5), { type: 'count', n: 4 }, 'a late pipelined seq inside the window is applied once');
  t.deepEqual(r.run('a', 5), { type: 'count', n: 4 });
  t.deepEqual(r.run('a', 2), { type: 'error', code: 'STALE_SESSION' }, 'seq 2 <= 6 - 4 is outside the window');
  t.deepEqual(r.run('a', 1), { type: 'error', code: 'STALE_SESSION' });
  t.is(r.applied(), 4);
  t.deepEqual(r.run('a', 7), { type: 'count', n: 5 });
  t.deepEqual(r.run('a', 3), { type: 'error', code: 'STALE_SESSION' }, 'the window moved to (3, 7]');
  t.deepEqual(r.run('a', 4), { type: 'count', n: 6 }, 'seq 4 was never applied and is still in the window');
  r.sessions.checkInvariants();
});

test('a new session starts only with a seq inside the first window; otherwise SESSION_EXPIRED', (t) => {
  const r = runner({ sessionsMax: 100, windowSeqs: 4 });
  t.deepEqual(r.run('a', 5), { type: 'error', code: 'SESSION_EXPIRED' });
  t.is(r.sessions.size, 0);
  t.deepEqual(r.run('a', 4), { type: 'count', n: 1 }, 'a fresh pipelined client whose seq 4 arrives first');
  t.deepEqual(r.run('a', 2), { type: 'count', n: 2 });
  t.is(r.applied(), 2);
});

test('eviction drops the session with the oldest last index, and its later seqs are refused', (t) => {
  const r = runner({ sessionsMax: 3, windowSeqs: 4 });
  r.run('a', 1);
  r.run('b', 1);
  r.run('c', 1);
  r.run('a', 2); // a is now the newest; b the oldest
  r.run('d', 1); // evicts b
  const ids = Array.from(r.sessions.tuples(), (tu) => tu[0]);
  t.deepEqual(ids, ['c', 'a', 'd']);
  t.deepEqual(r.run('b', 9), { type: 'error', code: 'SESSION_EXPIRED' });
  r.run('a', 1); // a touch (cached answer) also counts as activity
  r.run('e', 1); // evicts c
  t.deepEqual(Array.from(r.sessions.tuples(), (tu) => tu[0]), ['d', 'a', 'e']);
  r.sessions.checkInvariants();
});

test('two tables fed the same commands evict identically', (t) => {
  const feed = (): [SessionTuple[], ApplyResult[]] => {
    const r = runner({ sessionsMax: 16, windowSeqs: 8 });
    const results: ApplyResult[] = [];
    let x = 12345;
    const seqs = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31; // fixed sequence, same for both tables
      const id = `c${(x >>> 8) % 40}`;
      const seq = (seqs.get(id) ?? 0) + 1 + ((x >>> 12) % 3 === 0 ? -2 : 0);
      seqs.set(id, Math.max(seq, seqs.get(id) ?? 0));
      results.push(r.run(id, Math.max(1, seq)));
    }
    r.sessions.checkInvariants();
    return [Array.from(r.sessions.tuples()), results];
  };
  const [tuples, results] = feed();
  t.true(tuples.length <= 16 && tuples.length > 0);
  t.true(results.some((x) => x.type === 'error' && x.code === 'SESSION_EXPIRED'), 'the feed did evict');
  t.deepEqual(feed(), [tuples, results]);
});

test('restoreTuple rebuilds the same table and refuses out-of-order or malformed tuples', (t) => {
  const r = runner({ sessionsMax: 10, windowSeqs: 4 });
  r.run('a', 1);
  r.run('b', 2);
  r.run('a', 3);
  const tuples = Array.from(r.sessions.tuples());
  const copy = new ClientSessions({ sessionsMax: 10, windowSeqs: 4 });
  for (const tu of tuples) copy.restoreTuple(tu);
  t.deepEqual(Array.from(copy.tuples()), tuples);
  t.deepEqual(copy.run('a', 3, 10, () => ({ type: 'ok' })), { type: 'count', n: 3 }, 'the cached result survives');

  const reversed = new ClientSessions({ sessionsMax: 10, windowSeqs: 4 });
  reversed.restoreTuple(tuples[1]);
  t.throws(() => reversed.restoreTuple(tuples[0]), { message: /lastIndex order/ });
  t.throws(() => new ClientSessions({ sessionsMax: 10, windowSeqs: 4 }).restoreTuple(['a', 9, 1, [1], [{ type: 'ok' }]]), {
    message: /outside window/,
  });
  t.throws(() => new ClientSessions({ sessionsMax: 10, windowSeqs: 4 }).restoreTuple(['a', 1, 1, [1], [{ type: 'weird' }]]), {
    message: /unknown result type/,
  });
});
