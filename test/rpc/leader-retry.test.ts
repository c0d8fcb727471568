import test from 'ava';
import { retryWithLeader } from '../../src/rpc/leader-retry.js';

class Refused extends Error {
  constructor(readonly retry: boolean) {
    super(retry ? 'not the leader' : 'bad request');
  }
}

const opts = (deadlineMs: number) => ({
  deadlineMs: Date.now() + deadlineMs,
  retryDelayMs: 2,
  noLeader: () => new Error('no leader'),
  retryable: (err: unknown) => err instanceof Refused && err.retry,
});

test('a failed attempt is retried with the same request until one succeeds', async (t) => {
  let calls = 0;
  const v = await retryWithLeader(opts(1_000), () => (++calls < 3 ? Promise.reject(new Refused(true)) : Promise.resolve('done')));
  t.is(v, 'done');
  t.is(calls, 3);
});

test('an error no retry can cure ends the call at once, as does one the attempt throws', async (t) => {
  let calls = 0;
  await t.throwsAsync(retryWithLeader(opts(1_000), () => (calls++, Promise.reject(new Refused(false)))), { message: 'bad request' });
  t.is(calls, 1);
  await t.throwsAsync(
    retryWithLeader(opts(1_000), () => {
      throw new Error('forwarded once already');
    }),
    { message: 'forwarded once already' },
  );
});

test('at the deadline the last error is thrown; with no leader ever known, the noLeader error', async (t) => {
  const started = Date.now();
  await t.throwsAsync(retryWithLeader(opts(60), () => Promise.reject(new Refused(true))), { message: 'not the leader' });
  t.true(Date.now() - started >= 55);
  await t.throwsAsync(retryWithLeader(opts(60), () => undefined), { message: 'no leader' });
});

test('while no leader is known the call waits for one, then sends', async (t) => {
  let known = false;
  setTimeout(() => (known = true), 20);
  const v = await retryWithLeader({ ...opts(1_000), waitForLeader: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 5))) }, () =>
    known ? Promise.resolve(42) : undefined,
  );
  t.is(v, 42);
});
