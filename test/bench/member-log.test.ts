import test from 'ava';
import type { ChildProcess } from 'node:child_process';
import { firstByGroup, hostedGroups, latestByGroup, ledGroups } from './member-log.js';
import type { ServerProc } from './process-owner.js';

/** A stopped-looking process whose stderr is these JSON lines (plus a line cut by the tail window). */
function procWithLog(lines: object[]): ServerProc {
  const stderr = ['{"level":30,"msg":"raft ro', ...lines.map((l) => JSON.stringify(l))].join('\n');
  return { name: 'participant-1', child: {} as ChildProcess, stderr, command: 'node', args: [], cwd: '/', ipc: false };
}

test('ledGroups reads the latest raft role line of each group', (t) => {
  const p = procWithLog([
    { msg: 'raft role', group: 1, role: 'leader' },
    { msg: 'raft role', group: 2, role: 'candidate' },
    { msg: 'raft role', group: 2, role: 'leader' },
    { msg: 'raft role', group: 3, role: 'leader' },
    { msg: 'raft role', group: 1, role: 'follower' },
  ]);
  t.deepEqual(ledGroups(p), [2, 3]);
  t.is(latestByGroup<{ group?: number; role: string }>(p, 'raft role').get(1)?.role, 'follower');
});

test('a line without a group field counts as group 1, the single-group shape', (t) => {
  t.deepEqual(ledGroups(procWithLog([{ msg: 'raft role', role: 'leader' }])), [1]);
});

test('hostedGroups is unknown until the member started line, then its groups ascending', (t) => {
  t.is(hostedGroups(procWithLog([{ msg: 'log replayed', group: 1 }])), undefined);
  t.deepEqual(hostedGroups(procWithLog([{ msg: 'member started', groups: [{ group: 3, voters: [1, 2, 3] }, { group: 1, voters: [1, 2, 3] }] }])), [1, 3]);
});

test('firstByGroup keeps the first line of each group', (t) => {
  const p = procWithLog([
    { msg: 'snapshot restored', group: 2, index: 10 },
    { msg: 'snapshot restored', group: 2, index: 20 },
    { msg: 'snapshot restored', group: 1, index: 5 },
  ]);
  const first = firstByGroup<{ group?: number; index: number }>(p, 'snapshot restored');
  t.deepEqual([...first].map(([g, l]) => [g, l.index]), [[2, 10], [1, 5]]);
});
