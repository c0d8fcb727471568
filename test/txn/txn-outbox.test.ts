import test from 'ava';
import type { TxnCmd, TxnResult } from '../../src/txn/txn-command.js';
import type { TxnEnv, TxnGroupClient } from '../../src/txn/txn-client.js';
import { TxnOutbox } from '../../src/txn/txn-outbox.js';
import { DEFAULT_TXN_DRIVER_OPTIONS, TxnDriver } from '../../src/txn/txn-driver.js';

/** A client that records what it was sent, and a clock whose sleeps the test releases by hand. */
function world(): { client: TxnGroupClient; sent: string[]; env: TxnEnv; wake: () => void } {
  const sent: string[] = [];
  const sleepers: Array<() => void> = [];
  const client: TxnGroupClient = {
    run: (g: number, cmd: TxnCmd): Promise<TxnResult> => {
      sent.push(`${g}:${cmd.op}:${cmd.txn}`);
      return Promise.resolve({ type: 'forgotten' });
    },
    status: () => Promise.reject(new Error('not used')),
  };
  const env: TxnEnv = { now: () => 0, random: () => 0.5, sleep: () => new Promise<void>((r) => sleepers.push(r)) };
  return { client, sent, env, wake: () => sleepers.splice(0).forEach((r) => r()) };
}

const forget = (txn: string): TxnCmd => ({ op: 'tforget', txn, stampMs: 0 });

test('a held step leaves with the next flush of its group, in order, and only its group', async (t) => {
  const { client, sent, env } = world();
  const box = new TxnOutbox(client, env, 2);
  const a = box.run(1, forget('a'), 1_000);
  const b = box.run(1, forget('b'), 1_000);
  const c = box.run(2, forget('c'), 1_000);
  t.deepEqual(sent, [], 'nothing leaves before the flush or the linger');
  t.is(box.held, 3);
  box.flush(1);
  t.deepEqual(sent, ['1:tforget:a', '1:tforget:b'], 'sent synchronously: they share the frame write of the step that follows');
  t.deepEqual(await Promise.all([a, b]), [{ type: 'forgotten' }, { type: 'forgotten' }]);
  t.is(box.held, 1);
  void c;
});

test('without a flush a held step leaves when the linger ends; a zero linger sends at once', async (t) => {
  const { client, sent, env, wake } = world();
  const box = new TxnOutbox(client, env, 2);
  const p = box.run(3, forget('x'), 1_000);
  t.deepEqual(sent, []);
  wake();
  await p;
  t.deepEqual(sent, ['3:tforget:x']);
  const now = new TxnOutbox(client, env, 0);
  await now.run(1, forget('y'), 1_000);
  t.deepEqual(sent, ['3:tforget:x', '1:tforget:y']);
});

test('a driver\'s committed write: its RESOLVE waits for a step to its group, and flushSpread (any command to the group) sends it at once', async (t) => {
  const sent: string[] = [];
  const client: TxnGroupClient = {
    run: (g: number, cmd: TxnCmd): Promise<TxnResult> => {
      sent.push(`${g}:${cmd.op}${cmd.op === 'tprepare' && cmd.commitWith !== undefined ? '+commit' : ''}`);
      if (cmd.op === 'tprepare') return Promise.resolve(cmd.commitWith !== undefined ? { type: 'decided', commit: true, indexes: [[1, 4], [2, 9]], present: 0 } : { type: 'prepared', index: 9, present: 0 });
      return Promise.resolve(cmd.op === 'tresolve' ? { type: 'resolved', applied: true, released: true } : { type: 'forgotten' });
    },
    status: () => Promise.reject(new Error('not used')),
  };
  const env: TxnEnv = { now: () => 0, random: () => 0.5, sleep: () => new Promise<void>(() => {}) };
  const driver = new TxnDriver(client, env, 'd', { ...DEFAULT_TXN_DRIVER_OPTIONS, spreadLingerMs: 10 });
  const k = (s: string): Buffer => Buffer.from(s);
  await driver.write(new Map([[1, [{ key: k('a'), values: [k('1')] }]], [2, [{ key: k('b'), values: [k('2')] }]]]), 1_000);
  t.deepEqual(sent, ['2:tprepare', '1:tprepare+commit'], 'the secondary first, then the primary\'s PREPARE that commits');
  t.is(driver.finishing, 1);
  driver.flushSpread(2);
  t.deepEqual(sent.slice(2), ['2:tresolve']);
  await new Promise((r) => setImmediate(r));
  driver.flushSpread(1);
  t.deepEqual(sent.slice(3), ['1:tforget'], 'FORGET once the RESOLVE answered, held for the primary in turn');
});
