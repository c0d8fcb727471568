import test from 'ava';
import { checkBank } from './bank-checker.js';
import type { BankHistory, BankOp, BankRead, BankTransfer } from './bank-history.js';

/** Hand-made bank histories: three accounts of 100, checked for what the checker must catch and must accept. */
const accounts = ['a', 'b', 'c'];
let ids = 0;
let clock = 0;

function transfer(from: string, to: string, amount: number, outcome: BankTransfer['outcome'], extra: Partial<BankTransfer> = {}): BankTransfer {
  const invokeMs = clock++;
  return {
    id: ids++, kind: 'transfer', client: 0, from, to, amount, watched: false, invokeMs,
    completeMs: outcome === 'info' ? null : clock++, outcome, conflict: false, seen: null, after: null, note: null, port: 1, ...extra,
  };
}

function read(balances: (number | null)[], final = false, extra: Partial<BankRead> = {}): BankRead {
  const invokeMs = clock++;
  return { id: ids++, kind: 'read', client: final ? -1 : 1, invokeMs, completeMs: clock++, outcome: 'ok', balances, note: null, port: 1, ...extra };
}

const history = (ops: BankOp[]): BankHistory => ({ accounts, initial: 100, ops });

test('a clean history passes: acked transfers, reads summing to the total, final balances explained', (t) => {
  const r = checkBank(history([
    read([100, 100, 100]),
    transfer('a', 'b', 5, 'ok', { after: [95, 105] }),
    read([95, 105, 100]),
    transfer('b', 'c', 7, 'ok', { watched: true, seen: [105, 100], after: [98, 107] }),
    transfer('c', 'a', 3, 'fail', { watched: true, conflict: true, seen: [107, 95] }),
    read([95, 98, 107], true),
  ]));
  t.true(r.passed, JSON.stringify(r));
  t.is(r.reads, 2);
  t.is(r.acked, 2);
  t.is(r.conflicts, 1);
  t.is(r.finalVerdict, 'explained');
});

test('a read that sees a transfer half applied (debited, not yet credited) fails', (t) => {
  const r = checkBank(history([
    transfer('a', 'b', 5, 'ok'),
    read([95, 100, 100]),
    read([95, 105, 100], true),
  ]));
  t.false(r.passed);
  t.is(r.badReads.length, 1);
  t.deepEqual(r.badReads[0]!.balances, [95, 100, 100]);
});

test('a stale read fails although it sums right: it misses a transfer acknowledged before it was sent', (t) => {
  const r = checkBank(history([
    transfer('a', 'b', 5, 'ok'),
    read([100, 100, 100]),
    read([95, 105, 100], true),
  ]));
  t.false(r.passed);
  t.is(r.badReads.length, 0);
  t.is(r.staleReads.length, 1);
  t.regex(r.staleReads[0]!.why, /off by/);
});

test('a read showing a transfer sent only after it was answered fails', (t) => {
  const early = read([95, 105, 100]);
  const r = checkBank(history([early, transfer('a', 'b', 5, 'ok'), read([95, 105, 100], true)]));
  t.false(r.passed);
  t.deepEqual(r.staleReads.map((s) => s.read.id), [early.id]);
});

test('a read concurrent with a transfer, or after an indeterminate one, may show it or not; once is the most', (t) => {
  const slow = transfer('a', 'b', 5, 'ok', { invokeMs: 1_000, completeMs: 1_010 });
  const lost = transfer('b', 'c', 3, 'info', { invokeMs: 900 });
  for (const [balances, ok] of [
    [[100, 100, 100], true],
    [[95, 105, 100], true],
    [[95, 102, 103], true],
    [[100, 97, 103], true],
    [[90, 110, 100], false],
  ] as const) {
    const during = read([...balances], false, { invokeMs: 1_002, completeMs: 1_005 });
    const r = checkBank(history([lost, slow, during, read([95, 105, 100], true, { invokeMs: 2_000, completeMs: 2_001 })]));
    t.is(r.staleReads.length === 0, ok, `read ${balances.join(' ')}: ${r.staleReads[0]?.why ?? ''}`);
  }
});

test('a read that misses an account (nil) fails', (t) => {
  const r = checkBank(history([read([100, null, 200]), read([100, 100, 100], true)]));
  t.false(r.passed);
  t.is(r.badReads.length, 1);
});

test('a lost acknowledged transfer fails: the final balances are unexplained although they sum to the total', (t) => {
  const r = checkBank(history([
    transfer('a', 'b', 5, 'ok'),
    transfer('b', 'c', 2, 'ok'),
    read([100, 98, 102], true),
  ]));
  t.false(r.passed);
  t.is(r.badReads.length, 0, 'the sums are right: only the balances tell');
  t.is(r.finalVerdict, 'unexplained');
  t.regex(r.finalWhy ?? '', /off by/);
});

test('an indeterminate transfer may be applied or not, but not twice nor in part', (t) => {
  const pending = [transfer('a', 'b', 5, 'info'), transfer('b', 'c', 3, 'info')];
  for (const [final, explained] of [
    [[100, 100, 100], true],
    [[95, 105, 100], true],
    [[100, 97, 103], true],
    [[95, 102, 103], true],
    [[90, 110, 100], false], // the first applied twice
    [[95, 100, 105], false], // sums right, but no subset gives it
  ] as const) {
    const r = checkBank(history([...pending, read([...final], true)]));
    t.is(r.finalVerdict === 'explained', explained, `final ${final.join(' ')}: ${r.finalWhy ?? ''}`);
    t.is(r.indeterminate, 2);
  }
});

test('an acknowledged WATCHed transfer whose EXEC did not start from the balances it saw fails', (t) => {
  const r = checkBank(history([
    transfer('a', 'b', 5, 'ok'),
    // Saw a=100 b=100 under WATCH, but EXEC ran on 95/105: the watched keys had changed.
    transfer('a', 'b', 5, 'ok', { watched: true, seen: [100, 100], after: [90, 110] }),
    read([90, 110, 100], true),
  ]));
  t.false(r.passed);
  t.is(r.watchBroken.length, 1);
  t.is(r.finalVerdict, 'explained');
});

test('no final read is a failure, not a pass', (t) => {
  const r = checkBank(history([transfer('a', 'b', 5, 'ok'), read([95, 105, 100])]));
  t.is(r.finalVerdict, 'missing');
  t.false(r.passed);
});

test('the subset search gives up past its bound and says so; the per-account bounds still catch what they can', (t) => {
  // Four indeterminate transfers of distinct amounts round a-b-c: a bound of 2 states is passed at once.
  const ops: BankOp[] = [transfer('a', 'b', 1, 'info'), transfer('b', 'c', 2, 'info'), transfer('c', 'a', 4, 'info'), transfer('a', 'c', 8, 'info')];
  const final = [99, 101, 100];
  t.is(checkBank(history([...ops, read(final, true)])).finalVerdict, 'explained', 'unbounded, it is explained');
  const r = checkBank(history([...ops, read(final, true)]), 2);
  t.is(r.finalVerdict, 'unchecked');
  t.regex(r.finalWhy ?? '', /passed 2 states/);
  t.true(r.passed, 'unchecked is not a violation (reported as such)');
  const lost = checkBank(history([...ops, read([120, 80, 100], true)]), 2);
  t.is(lost.finalVerdict, 'unexplained', 'the per-account bounds still hold past the search bound');
});
