import test from 'ava';
import { PassThrough } from 'node:stream';
import { runNodePrompt, splitGroupQualifier } from '../../src/shell/node-prompt.js';
import type { PromptTarget } from '../../src/shell/node-prompt.js';

/** Runs the prompt over in-memory streams against a fake member; returns what it printed for the lines typed. */
async function session(target: Omit<PromptTarget, 'prompt' | 'kvSession'>, lines: readonly string[]): Promise<string> {
  const input = new PassThrough();
  const output = new PassThrough();
  let screen = '';
  output.on('data', (d: Buffer) => (screen += d.toString('utf8')));
  const quit = new Promise<void>((resolve) => {
    runNodePrompt({ prompt: '> ', kvSession: () => ({ execute: () => Promise.reject(new Error('no kv')), close: () => {} }), ...target }, input, output, resolve);
  });
  for (const l of lines) input.write(`${l}\n`);
  input.write('quit\n');
  await quit;
  return screen;
}

/** A fake member that records the transfers asked of it. */
function fakeMember(calls: string[]): Omit<PromptTarget, 'prompt' | 'kvSession'> {
  return {
  statusText: (g) => `stat of ${g ?? 'all'}`,
  membersText: (g) => `list of ${g ?? 'all'}`,
  transfer: async (to, g) => {
    calls.push(`transfer ${to} ${g ?? '-'}`);
    if (to === 9) throw new Error('9 is not a voter of group 1 (voters: 1, 2, 3)');
    return { group: g ?? 1, term: 7 };
  },
  snapshot: async (g) => (g === undefined ? [{ group: 1, index: 10 }, { group: 2, index: 20 }] : [{ group: g, index: 30 }]),
  };
}

test('the group qualifier goes last and names a positive group', (t) => {
  t.deepEqual(splitGroupQualifier(['3']), { rest: ['3'] });
  t.deepEqual(splitGroupQualifier(['3', 'group', '2']), { rest: ['3'], group: 2 });
  t.deepEqual(splitGroupQualifier(['GROUP', '12']), { rest: [], group: 12 });
  t.is(typeof splitGroupQualifier(['group', '2', '3']), 'string');
  t.is(typeof splitGroupQualifier(['group', '0']), 'string');
  t.is(typeof splitGroupQualifier(['group', 'x']), 'string');
  t.is(typeof splitGroupQualifier(['group']), 'string');
});

test('stat and list take an optional group; transfer answers when done or with the reason; snapshot prints each index', async (t) => {
  const calls: string[] = [];
  const screen = await session(fakeMember(calls), ['stat', 'stat group 2', 'list group 3', 'transfer 3 group 2', 'transfer 2', 'transfer 9', 'snapshot', 'snapshot group 2']);
  t.regex(screen, /stat of all\n/);
  t.regex(screen, /stat of 2\n/);
  t.regex(screen, /list of 3\n/);
  t.regex(screen, /leadership of group 2 transferred to 3 \(term 7\)\n/);
  t.regex(screen, /leadership of group 1 transferred to 2 \(term 7\)\n/);
  t.regex(screen, /transfer to 9 failed: 9 is not a voter of group 1/);
  t.regex(screen, /snapshot of group 1 at index 10\nsnapshot of group 2 at index 20\n/);
  t.regex(screen, /snapshot of group 2 at index 30\n/);
  t.deepEqual(calls, ['transfer 3 2', 'transfer 2 -', 'transfer 9 -']);
});

test('bad arguments get the usage line and nothing is done', async (t) => {
  const calls: string[] = [];
  const screen = await session(fakeMember(calls), ['transfer', 'transfer x', 'transfer 2 3', 'transfer 2 group', 'stat group x', 'snapshot now', 'list extra']);
  t.is(screen.match(/usage: transfer <server id> \[group <g>\]/g)?.length, 4);
  t.regex(screen, /usage: stat \[group <g>\] \(group must be a positive integer, got "x"\)/);
  t.regex(screen, /usage: snapshot \[group <g>\]/);
  t.regex(screen, /usage: list \[group <g>\]/);
  t.deepEqual(calls, []);
});

test('help lists transfer, snapshot and the group qualifier; a coordinator-like target refuses transfer and snapshot plainly', async (t) => {
  const help = await session(fakeMember([]), ['help']);
  t.regex(help, /transfer <server id> \[group <g>\]/);
  t.regex(help, /snapshot \[group <g>\]/);
  t.regex(help, /st \(or stat\) \[group <g>\]/);
  const coordinator = await session({ statusText: () => 's', membersText: () => 'l' }, ['transfer 2', 'snapshot']);
  t.regex(coordinator, /leadership transfers are made on a participant's prompt/);
  t.regex(coordinator, /snapshots are taken on a participant's prompt/);
});

test('MSET and MGET at the prompt: pairs and keys reach the store as one command each; the reply prints as myshell prints it', async (t) => {
  const ops: string[] = [];
  const input = new PassThrough();
  const output = new PassThrough();
  let screen = '';
  output.on('data', (d: Buffer) => (screen += d.toString('utf8')));
  const quit = new Promise<void>((resolve) => {
    runNodePrompt(
      {
        prompt: '> ',
        ...fakeMember([]),
        kvSession: () => ({
          execute: (op) => {
            ops.push(JSON.stringify(op, (_k, v: unknown) => (typeof v === 'object' && v !== null && (v as { type?: string }).type === 'Buffer' ? Buffer.from((v as { data: number[] }).data).toString() : v)));
            return Promise.resolve(op.type === 'mget' ? { type: 'multi', values: [[Buffer.from('v1')], undefined] } : { type: 'ok' });
          },
          close: () => {},
        }),
      },
      input,
      output,
      resolve,
    );
  });
  for (const l of ['MSET a v1 b v2', 'MGET a nokey', 'MSET a', 'quit']) input.write(`${l}\n`);
  await quit;
  t.deepEqual(ops, ['{"type":"mset","pairs":[["a","v1"],["b","v2"]]}', '{"type":"mget","keys":["a","nokey"]}']);
  t.regex(screen, /\+OK\n/);
  t.regex(screen, /\*2\n\*1\n\$2\nv1\n\*1\n\$3\nnil\n/);
  t.regex(screen, /usage: MSET key value \[key value \.\.\.\]/);
});
