import test from 'ava';
import { TxnParticipant } from '../../src/txn/txn-participant.js';
import { TxnTable, type TxnData } from '../../src/txn/txn-table.js';
import type { PrepareCmd, TxnAge, TxnCmd, TxnResult } from '../../src/txn/txn-command.js';
import type { TxnGroupClient } from '../../src/txn/txn-client.js';
import { REAL_TXN_ENV } from '../../src/txn/txn-env.js';

const b = (s: string): Buffer => Buffer.from(s);

/** One group's leader over a bare table: proposing applies at once, at the next index. */
function leader(): { p: TxnParticipant; table: TxnTable; proposed: TxnCmd[]; apply: (cmd: TxnCmd) => TxnResult } {
  const table = new TxnTable();
  const store = new Map<string, string | string[]>();
  const data: TxnData = { get: (k) => store.get(k), expiry: () => undefined, set: (k, v) => void store.set(k, v), delete: (k) => store.delete(k), clear: () => store.clear() };
  let index = 0;
  const proposed: TxnCmd[] = [];
  const waiters: Array<() => void> = [];
  const apply = (cmd: TxnCmd): TxnResult => {
    const r = table.apply(++index, cmd, data);
    for (const w of waiters.splice(0)) w();
    return r;
  };
  const none: TxnGroupClient = { run: () => Promise.reject(new Error('no other group')), status: () => Promise.reject(new Error('no other group')) };
  const p = new TxnParticipant(
    {
      groupId: 1,
      table: () => table,
      propose: (cmd) => {
        proposed.push(cmd);
        return Promise.resolve(apply(cmd));
      },
      isLeader: () => true,
      appliedOrAfter: (ms) => new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, ms);
      }),
    },
    none,
    REAL_TXN_ENV,
    { lockTimeoutMs: 60_000, decisionTimeoutMs: 60_000 },
  );
  return { p, table, proposed, apply };
}

const prep = (txn: string, key: string, age?: TxnAge): PrepareCmd => ({ op: 'tprepare', txn, primary: 1, groups: [1], readOnly: false, writes: [{ key: b(key), values: [b(txn)] }], ...(age !== undefined ? { age } : {}) });

test('wait-die: a younger writer meeting an older lock goes on at once and dies at apply', async (t) => {
  const { p, proposed, apply } = leader();
  t.is(apply(prep('old', 'k', [100, 'old'])).type, 'prepared');
  const r = await p.serve(prep('young', 'k', [200, 'young']), Date.now() + 1_000);
  t.deepEqual(r, { type: 'conflict', holder: 'old' });
  t.is(proposed.length, 1, 'proposed without waiting: an entry ahead of it may release the lock');
  t.is(p.waits, 0);
});

test('wait-die: an older writer waits for a younger lock to go, then prepares', async (t) => {
  const { p, proposed, apply } = leader();
  t.is(apply(prep('young', 'k', [200, 'young'])).type, 'prepared');
  const waiting = p.serve(prep('old', 'k', [100, 'old']), Date.now() + 2_000);
  await new Promise((r) => setTimeout(r, 50));
  t.is(proposed.length, 0, 'nothing proposed while the younger lock is held');
  t.true(p.waits > 0);
  apply({ op: 'tdecide', txn: 'young', commit: false, groups: [1], indexes: [], at: 0 });
  const r = await waiting;
  t.is(r.type, 'prepared');
  t.is(proposed.length, 1);
});

test('wait-die: ties in start time are broken by the origin id; no age, a reader or the deadline means die', async (t) => {
  const { p, apply } = leader();
  t.is(apply(prep('b', 'k', [100, 'b'])).type, 'prepared');
  t.deepEqual(await p.serve(prep('c', 'k', [100, 'c']), Date.now() + 500), { type: 'conflict', holder: 'b' });
  t.deepEqual(await p.serve(prep('n', 'k'), Date.now() + 500), { type: 'conflict', holder: 'b' });
  const start = Date.now();
  t.deepEqual(await p.serve(prep('a', 'k', [100, 'a']), Date.now() + 100), { type: 'conflict', holder: 'b' }, 'older, but the lock outlived the deadline');
  t.true(Date.now() - start >= 90);
  t.is(apply({ op: 'tprepare', txn: 'r', primary: 1, groups: [1], readOnly: true, writes: [{ key: b('q'), values: null }] }).type, 'prepared');
  t.deepEqual(await p.serve(prep('a2', 'q', [1, 'a2']), Date.now() + 500), { type: 'conflict', holder: 'r' }, 'a reader is never waited for');
});
