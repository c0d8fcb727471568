import test from 'ava';
import type { SpreadStep, TxnCmd, TxnResult } from '../../src/txn/txn-command.js';
import type { TxnEnv, TxnGroupClient } from '../../src/txn/txn-client.js';
import { TxnOutbox } from '../../src/txn/txn-outbox.js';
import { DEFAULT_TXN_DRIVER_OPTIONS, TxnDriver } from '../../src/txn/txn-driver.js';

const k = (s: string): Buffer => Buffer.from(s);

/** One line per command sent: `g:op:txn` (a spread lists its steps' txns). */
function line(g: number, cmd: TxnCmd): string {
  if (cmd.op === 'tspread') return `${g}:tspread:${cmd.steps.map((s) => s.txn).join(',')}`;
  return `${g}:${cmd.op}${cmd.op === 'tprepare' && cmd.commitWith !== undefined ? '+commit' : ''}:${cmd.txn}`;
}

/** What applying a step answers, alone or in a spread. */
function answer(cmd: SpreadStep): TxnResult {
  return cmd.op === 'tresolve' ? { type: 'resolved', applied: cmd.apply, released: true } : { type: 'forgotten' };
}

/** A client that records what it was sent, and a clock whose sleeps the test releases by hand. */
function world(): { client: TxnGroupClient; sent: string[]; env: TxnEnv; wake: () => void; wakeFirst: () => void; clock: { ms: number } } {
  const clock = { ms: 0 };
  const sent: string[] = [];
  const sleepers: Array<() => void> = [];
  const client: TxnGroupClient = {
    run: (g: number, cmd: TxnCmd): Promise<TxnResult> => {
      sent.push(line(g, cmd));
      if (cmd.op === 'tspread') return Promise.resolve({ type: 'spread', results: cmd.steps.map(answer) });
      if (cmd.op === 'tresolve' || cmd.op === 'tforget') return Promise.resolve(answer(cmd));
      return Promise.reject(new Error(`not used: ${cmd.op}`));
    },
    status: () => Promise.reject(new Error('not used')),
  };
  const env: TxnEnv = { now: () => clock.ms, random: () => 0.5, sleep: () => new Promise<void>((r) => sleepers.push(r)) };
  return { client, sent, env, wake: () => sleepers.splice(0).forEach((r) => r()), wakeFirst: () => sleepers.shift()?.(), clock };
}

const forget = (txn: string): SpreadStep => ({ op: 'tforget', txn, stampMs: 0 });
const resolve = (txn: string): SpreadStep => ({ op: 'tresolve', txn, apply: true, index: 4 });

test('a group\'s held steps leave at the linger as ONE spread, each answered its own result; other groups apart', async (t) => {
  const { client, sent, env, wake } = world();
  const box = new TxnOutbox(client, env, 2);
  const a = box.hold(1, resolve('a'), 1_000, [k('x')]);
  const b = box.hold(1, forget('b'), 1_000, []);
  const c = box.hold(2, forget('c'), 1_000, []);
  t.deepEqual(sent, [], 'nothing leaves before the linger');
  t.is(box.held, 3);
  wake();
  t.deepEqual(await Promise.all([a, b, c]), [{ type: 'resolved', applied: true, released: true }, { type: 'forgotten' }, { type: 'forgotten' }]);
  t.deepEqual(sent, ['1:tspread:a,b', '2:tforget:c'], 'one step alone goes as itself');
  t.deepEqual([box.batches, box.batchedSteps, box.held], [2, 3, 0]);
});

test('a foreground command sends the held steps ahead of it only when one of them unlocks a key it needs', (t) => {
  const { client, sent, env } = world();
  const box = new TxnOutbox(client, env, 2);
  void box.hold(3, resolve('a'), 1_000, [k('x'), k('y')]);
  void box.hold(3, forget('b'), 1_000, []);
  box.flushFor(3, [k('z')]);
  box.flushFor(1, [k('x')]);
  t.deepEqual(sent, [], 'another key, or another group: they keep waiting (to leave with more)');
  box.flushFor(3, [k('w'), k('y')]);
  t.deepEqual(sent, ['3:tspread:a,b'], 'sent synchronously, so they share the frame write of the command that follows; order kept');
  void box.hold(3, forget('c'), 1_000, []);
  box.flushFor(3, 'all');
  t.deepEqual(sent, ['3:tspread:a,b', '3:tforget:c'], 'a command over the whole group sends them all');
});

test('held steps that waited half the linger ride with any foreground command to their group (no disk turn of their own at low load)', (t) => {
  const { client, sent, env, clock } = world();
  const box = new TxnOutbox(client, env, 10);
  void box.hold(2, resolve('a'), 1_000, [k('x')]);
  clock.ms = 4;
  box.flushFor(2, [k('y')]);
  t.deepEqual(sent, [], 'younger than half the linger: they wait to gather more');
  clock.ms = 5;
  box.flushFor(1, [k('y')]);
  t.deepEqual(sent, [], 'another group\'s command does not take them');
  box.flushFor(2, [k('y')]);
  t.deepEqual(sent, ['2:tresolve:a']);
});

test('the linger of a batch already sent does not send the next batch early; stepsMax held leave at once; zero linger sends each alone', async (t) => {
  const { client, sent, env, wakeFirst } = world();
  const box = new TxnOutbox(client, env, 2, 3);
  void box.hold(1, forget('a'), 1_000, []);
  box.flushFor(1, 'all');
  void box.hold(1, forget('b'), 1_000, []);
  wakeFirst(); // a's linger ends; b has its own
  await new Promise((r) => setImmediate(r));
  t.deepEqual(sent, ['1:tforget:a']);
  t.is(box.held, 1);
  void box.hold(1, forget('c'), 1_000, []);
  void box.hold(1, forget('d'), 1_000, []);
  t.deepEqual(sent, ['1:tforget:a', '1:tspread:b,c,d'], 'the third step held fills the batch');
  const now = new TxnOutbox(client, env, 0);
  await now.hold(2, forget('e'), 1_000, []);
  t.deepEqual(sent.at(-1), '2:tforget:e');
});

test('a spread answered wrongly (or not at all) fails every step in it; the steps are safe to send again', async (t) => {
  const env: TxnEnv = { now: () => 0, random: () => 0.5, sleep: () => new Promise<void>(() => {}) };
  const client: TxnGroupClient = { run: () => Promise.resolve({ type: 'forgotten' }), status: () => Promise.reject(new Error('not used')) };
  const box = new TxnOutbox(client, env, 2);
  const a = box.hold(1, forget('a'), 1_000, []);
  const b = box.hold(1, forget('b'), 1_000, []);
  box.flush(1);
  await t.throwsAsync(a, { message: /answered forgotten to a spread of 2 steps/ });
  await t.throwsAsync(b);
});

/** A driver over two groups whose PREPAREs all succeed; `sent` lines as above. */
function driverWorld(): { driver: TxnDriver; sent: string[]; wake: () => void } {
  const sent: string[] = [];
  const sleepers: Array<() => void> = [];
  const client: TxnGroupClient = {
    run: (g: number, cmd: TxnCmd): Promise<TxnResult> => {
      sent.push(line(g, cmd).replace(/^(\d+:tprepare(?:\+commit)?):d-\d+$/, '$1'));
      if (cmd.op === 'tprepare') return Promise.resolve(cmd.commitWith !== undefined ? { type: 'decided', commit: true, indexes: [[1, 4], [2, 9]], present: 0 } : { type: 'prepared', index: 9, present: 0 });
      if (cmd.op === 'tspread') return Promise.resolve({ type: 'spread', results: cmd.steps.map(answer) });
      if (cmd.op === 'tresolve' || cmd.op === 'tforget') return Promise.resolve(answer(cmd));
      return Promise.reject(new Error(`not used: ${cmd.op}`));
    },
    status: () => Promise.reject(new Error('not used')),
  };
  const env: TxnEnv = { now: () => 0, random: () => 0.5, sleep: () => new Promise<void>((r) => sleepers.push(r)) };
  const driver = new TxnDriver(client, env, 'd', { ...DEFAULT_TXN_DRIVER_OPTIONS, spreadLingerMs: 10 });
  return { driver, sent, wake: () => sleepers.splice(0).forEach((r) => r()) };
}

const pair = (a: string, b: string): Map<number, { key: Buffer; values: Buffer[] }[]> =>
  new Map([
    [1, [{ key: k(a), values: [k('1')] }]],
    [2, [{ key: k(b), values: [k('2')] }]],
  ]);

test('committed writes: their RESOLVEs wait to leave together; a PREPARE of other keys passes them, one of a key they unlock takes them along', async (t) => {
  const { driver, sent, wake } = driverWorld();
  await driver.write(pair('a', 'b'), 1_000);
  await driver.write(pair('c', 'd'), 1_000);
  t.deepEqual(sent, ['2:tprepare', '1:tprepare+commit', '2:tprepare', '1:tprepare+commit'], 'the second PREPARE in group 2 (key d) did not take b\'s RESOLVE along');
  t.is(driver.finishing, 2);
  await driver.write(pair('e', 'b'), 1_000);
  t.deepEqual(sent.slice(4, 6), ['2:tspread:d-1,d-2', '2:tprepare'], 'key b: both RESOLVEs leave as one command ahead of the PREPARE that needs b');
  wake();
  await new Promise((r) => setImmediate(r));
  wake();
  await new Promise((r) => setImmediate(r));
  t.true(sent.includes('1:tspread:d-1,d-2'), 'FORGETs once the RESOLVEs answered, batched for the primary in turn');
  driver.flushSpread(2);
  await driver.drain().catch(() => {});
});

test('flushSpread: a command to a key a held RESOLVE unlocks sends it at once; another key leaves it waiting', (t) => {
  const { driver, sent } = driverWorld();
  return driver.write(pair('a', 'b'), 1_000).then(() => {
    driver.flushSpread(2, [k('zz')]);
    t.is(sent.length, 2);
    driver.flushSpread(2, [k('b')]);
    t.deepEqual(sent.slice(2), ['2:tresolve:d-1']);
  });
});
