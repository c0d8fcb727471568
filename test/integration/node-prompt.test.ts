import test from 'ava';
import { join } from 'node:path';
import { freePorts } from '../helpers/ports.js';
import { ProcessGroup, REPO, waitFor } from '../helpers/processes.js';
import { PtySession } from '../helpers/pty.js';

/** Three kvstoreraftsystem peers, each on a pseudo-terminal so it shows its prompt; peer k serves client[k-1]. */
async function promptCluster(t: import('ava').ExecutionContext, extra: string[] = []): Promise<{ screens: PtySession[]; client: number[] }> {
  const group = new ProcessGroup();
  const client = (await freePorts(3)).sort((a, b) => a - b);
  const screens: PtySession[] = [];
  t.teardown(async () => {
    if (!t.passed) for (const s of screens) t.log(`screen:\n${s.output.slice(-2500)}`);
    for (const s of screens) s.kill();
    await group.cleanup();
  });
  for (let id = 1; id <= 3; id++) {
    const self = client[id - 1]!;
    group.file(
      `raft${id}.conf`,
      [`follower_info 127.0.0.1:${self}`, ...client.filter((p) => p !== self).map((p) => `follower_info 127.0.0.1:${p}`), `data_dir data-${id}`, 'log_level warn', ...extra, ''].join('\n'),
    );
    screens.push(new PtySession(`${process.execPath} ${join(REPO, 'bin', 'kvstoreraftsystem')} --config_path raft${id}.conf`, group.dir));
  }
  for (let id = 1; id <= 3; id++) await screens[id - 1]!.expect(`kvstore_server ${id}> `, 0, 15_000);
  return { screens, client };
}

/** Asks every prompt `stat` until one says it leads; returns its id. */
async function leaderByStat(screens: readonly PtySession[], ids: readonly number[]): Promise<number> {
  return waitFor('a leader by stat', async () => {
    for (const id of ids) {
      const s = screens[id - 1]!;
      const from = s.output.length;
      s.type('stat');
      const end = await s.expect(/snapshot\s+\d+/, from);
      if (/role\s+leader/.test(s.output.slice(from, end))) return id;
    }
    return undefined;
  }, 15_000, 100);
}

test('the node prompt: transfer <id> hands leadership over and says so; snapshot prints its index; a follower refuses transfer clearly', async (t) => {
  const { screens } = await promptCluster(t);
  const leader = await leaderByStat(screens, [1, 2, 3]);
  const to = leader === 3 ? 1 : leader + 1;
  const ls = screens[leader - 1]!;

  let at = ls.output.length;
  ls.type('set course "Cloud Computing"');
  at = await ls.expect('+OK', at);
  ls.type('snapshot');
  at = await ls.expect(/snapshot of group 1 at index [1-9]\d*/, at, 15_000);
  ls.type('stat');
  const statEnd = await ls.expect(/snapshot\s+[1-9]\d*/, at);
  t.regex(ls.output.slice(at, statEnd), /snapshot\s+[1-9]/, 'stat shows the new snapshot index');

  at = ls.output.length;
  ls.type(`transfer ${to}`);
  at = await ls.expect(`leadership of group 1 transferred to ${to}`, at, 10_000);
  t.is(await leaderByStat(screens, [to]), to, 'the new leader says so itself');

  // The old leader is a follower now: it refuses and says where to go.
  at = ls.output.length;
  ls.type(`transfer ${leader}`);
  await ls.expect(new RegExp(`transfer to ${leader} failed: not the leader of group 1 \\(the leader is ${to}\\)`), at, 10_000);
  const ns = screens[to - 1]!;
  let nat = ns.output.length;
  ns.type('transfer 9');
  nat = await ns.expect('transfer to 9 failed: 9 is not a voter of group 1 (voters: 1, 2, 3)', nat);
  ns.type('stat group 2');
  await ns.expect('this member does not host group 2 (it hosts 1)', nat);
});

test('with several groups: stat, transfer and snapshot take a group qualifier; transfer without one says to name it', async (t) => {
  const { screens } = await promptCluster(t, ['groups 2']);
  const s = screens[0]!;
  let at = s.output.length;
  s.type('stat group 2');
  at = await s.expect(/id 1, group 2\r?\ngroup\s+role.*\r?\n2\s+/, at, 10_000);
  s.type('transfer 2');
  await s.expect('transfer to 2 failed: this member hosts 2 groups (1, 2): say which, transfer 2 group <g>', at);
  // Group 2's first entry (its leader's no-op) may take an election: until then there is nothing to snapshot.
  await waitFor('group 2 to have applied an entry', async () => {
    const from = s.output.length;
    s.type('snapshot group 2');
    await s.expect(/snapshot (of group 2 at index \d+|failed)/, from, 10_000);
    return /snapshot of group 2 at index [1-9]/.test(s.output.slice(from)) ? true : undefined;
  }, 15_000, 200);
  t.regex(s.output, /snapshot of group 2 at index [1-9]/);
});
