import test from 'ava';
import { RaftProcCluster, lastRole } from '../helpers/raft-cluster.js';
import { waitFor, sleep } from '../helpers/processes.js';
import { ERROR, NIL, OK, arrayReply, cmd, pipelineSets, sendRaw } from '../helpers/resp-client.js';

test('three peers elect a leader and answer SET/GET/DEL exactly, from any node, as nc would send', async (t) => {
  const c = await RaftProcCluster.create(3);
  t.teardown(() => c.cleanup());
  c.startAll();
  await c.leader();
  const [p1, p2, p3] = [c.port(1), c.port(2), c.port(3)];
  t.is(await cmd(p1, 'SET', 'CS06142', 'Cloud', 'Computing'), OK);
  t.is(await cmd(p2, 'GET', 'CS06142'), arrayReply('Cloud', 'Computing'));
  t.is(await cmd(p3, 'SET', 'CS06142', 'again'), OK, 'overwrite');
  t.is(await cmd(p1, 'GET', 'CS06142'), arrayReply('again'));
  t.is(await cmd(p2, 'GET', 'missing'), NIL);
  t.is(await cmd(p3, 'SET', 'k2', 'v2'), OK);
  t.is(await cmd(p1, 'DEL', 'CS06142', 'k2', 'nope'), ':2\r\n');
  t.is(await cmd(p2, 'DEL', 'CS06142'), ':0\r\n');
  t.is(await cmd(p3, 'GET', 'CS06142'), NIL);
  // Inline commands typed into nc, quoted words kept together.
  t.is(await sendRaw(p2, 'SET CS06142 "Cloud Computing"\r\n'), OK);
  t.is(await sendRaw(p3, 'GET CS06142\r\n'), arrayReply('Cloud Computing'));
  // Unknown command and wrong arity: -ERROR, the connection lives on (PING answers after).
  t.is(await sendRaw(p1, 'FOO bar\r\nPING\r\n', 3000, 2), `${ERROR}+PONG\r\n`);
  t.is(await sendRaw(p1, '*1\r\n$3\r\nGET\r\n*1\r\n$4\r\nPING\r\n', 3000, 2), `${ERROR}+PONG\r\n`);
  // A malformed frame: -ERROR and the connection is closed (nothing after it is served).
  t.is(await sendRaw(p1, '*1\r\n$x\r\nPING\r\n*1\r\n$4\r\nPING\r\n', 3000, 2), ERROR);
  t.is(await cmd(p1, 'GET', 'CS06142'), arrayReply('Cloud Computing'), 'the node keeps serving others');
});

test('kill -9 of the leader: a new leader within about 2 s, every acknowledged write still readable', async (t) => {
  const c = await RaftProcCluster.create(3);
  t.teardown(() => c.cleanup());
  c.startAll();
  const leader = await c.leader();
  const acked: string[] = [];
  for (let k = 0; k < 50; k++) {
    const via = c.port(((k % 3) + 1));
    if ((await cmd(via, 'SET', `key${k}`, `value${k}`)) === OK) acked.push(`key${k}`);
  }
  t.is(acked.length, 50);
  await c.kill(leader);
  const killedAt = Date.now();
  const survivors = c.ids.filter((id) => id !== leader);
  const newLeader = await waitFor('a new leader', () => survivors.find((id) => lastRole(c.proc(id))?.role === 'leader'), 5_000, 20);
  const failoverMs = Date.now() - killedAt;
  t.log(`failover: new leader n${newLeader} ${failoverMs} ms after kill -9 of n${leader}`);
  t.true(failoverMs < 2_500, `failover took ${failoverMs} ms`);
  for (const k of acked) t.is(await cmd(c.port(survivors[0]!), 'GET', k), arrayReply(`value${k.slice(3)}`));
});

test('kill -9 two of three: -ERROR promptly; restart them: the data is back', async (t) => {
  const c = await RaftProcCluster.create(3);
  t.teardown(() => c.cleanup());
  c.startAll();
  await c.leader();
  t.is(await cmd(c.port(1), 'SET', 'durable', 'yes'), OK);
  await c.kill(2);
  await c.kill(3);
  await sleep(200);
  for (const words of [['GET', 'durable'], ['SET', 'x', 'y']]) {
    const started = Date.now();
    t.is(await cmd(c.port(1), ...words), ERROR);
    const ms = Date.now() - started;
    t.log(`${words[0]} without a majority answered -ERROR in ${ms} ms`);
    t.true(ms < 2_500, `${words[0]} took ${ms} ms`);
  }
  c.start(2);
  c.start(3);
  await c.leader(15_000);
  t.is(await cmd(c.port(3), 'GET', 'durable'), arrayReply('yes'));
});

test('a peer down during 20,000 writes catches up through a snapshot after restart', async (t) => {
  // Commands of one host turn share an entry, so 20,000 SETs make far fewer entries.
  const c = await RaftProcCluster.create(3, 'snapshot_entries 20');
  t.teardown(() => c.cleanup());
  c.startAll();
  const leader = await c.leader();
  const lagging = c.ids.find((id) => id !== leader)!;
  await c.kill(lagging);
  const started = Date.now();
  const ok = await pipelineSets(c.port(leader), 'bulk', 20_000);
  t.log(`20,000 pipelined SETs with one peer down: ${Date.now() - started} ms`);
  t.is(ok, 20_000);
  const restarted = Date.now();
  const p = c.start(lagging);
  await waitFor('snapshot restored on the restarted peer', () => p.stderr.includes('"msg":"snapshot restored"'), 30_000);
  t.is(await cmd(c.port(leader), 'SET', 'after', 'catchup'), OK);
  t.log(`catch-up through a snapshot: ${Date.now() - restarted} ms after restart`);
  await c.kill(leader);
  const other = c.ids.find((id) => id !== leader && id !== lagging)!;
  // With the old leader gone, the caught-up peer is needed for a majority.
  await waitFor('new leader among the two', () => [lagging, other].find((id) => lastRole(c.proc(id))?.role === 'leader'), 10_000);
  t.is(await cmd(c.port(lagging), 'GET', 'bulk19999'), arrayReply('v19999'));
  t.is(await cmd(c.port(lagging), 'GET', 'after'), arrayReply('catchup'));
});

test('bulk_bytes_max bounds a client bulk string: over the limit gets -ERROR and the connection closes, others go on', async (t) => {
  const c = await RaftProcCluster.create(3, 'bulk_bytes_max 16');
  t.teardown(() => c.cleanup());
  c.startAll();
  const leader = await c.leader();
  const port = c.port(leader);
  t.is(await cmd(port, 'SET', 'k', 'x'.repeat(16)), OK);
  t.is(await sendRaw(port, `*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$17\r\n${'y'.repeat(17)}\r\n*1\r\n$4\r\nPING\r\n`, 3000, 2), ERROR);
  t.is(await cmd(port, 'GET', 'k'), arrayReply('x'.repeat(16)));
});

test('groups 3: every peer hosts three groups over all peers, serves every slot from any peer, and refuses a later config without the line', async (t) => {
  const c = await RaftProcCluster.create(3, 'groups 3');
  t.teardown(() => c.cleanup());
  c.startAll();
  const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
  for (const id of c.ids) {
    for (const k of keys) {
      await waitFor(`SET ${k} via peer ${id}`, async () => (await cmd(c.port(id), 'SET', k, `v${id}`)) === OK, 10_000, 50);
    }
  }
  for (const id of c.ids) for (const k of keys) t.is(await cmd(c.port(id), 'GET', k), arrayReply('v3'));
  const roles = c.ids.map((id) => c.proc(id).stderr.split('\n').filter((l) => l.includes('"msg":"raft role"') && l.includes('"role":"leader"')).length);
  t.log(`leader role lines per peer: ${roles.join(', ')}`);
  t.regex(c.proc(1).stderr, /"group":3/);

  await c.kill(2);
  const without = c.configFor(2).replace('groups 3', '');
  const path = c.group.file('raft2-nogroups.conf', without);
  const p = c.group.start('raft2-again', 'kvstoreraftsystem', ['--config_path', path]);
  t.is(await p.exited, 2);
  t.regex(p.stderr, /holds 3 groups over .*; this config says 1 over/);
});

test('groups 3: MSET / MGET / DEL over keys of every group, sent to any peer, commit all or none through that peer front door', async (t) => {
  const c = await RaftProcCluster.create(3, 'groups 3');
  t.teardown(() => c.cleanup());
  c.startAll();
  // Keys a..h spread over the three groups (the test above sees every group served).
  const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
  const pairs = keys.flatMap((k) => [k, `${k}1`]);
  await waitFor('MSET through peer 1', async () => (await cmd(c.port(1), 'MSET', ...pairs)) === OK, 10_000, 50);
  const all = `*${keys.length}\r\n${keys.map((k) => arrayReply(`${k}1`)).join('')}`;
  for (const id of c.ids) t.is(await cmd(c.port(id), 'MGET', ...keys), all);
  t.is(await cmd(c.port(2), 'DEL', ...keys, 'zz'), `:${keys.length}\r\n`);
  t.is(await cmd(c.port(3), 'MGET', 'a', 'h'), `*2\r\n${NIL}${NIL}`);
  t.regex(await cmd(c.port(1), 'INFO', 'transactions'), /cross_group_mset:1\r\n/);
});

test('one group (the lab shape): MSET and MGET are one entry each, MGET answers one lab GET reply per key', async (t) => {
  const c = await RaftProcCluster.create(3);
  t.teardown(() => c.cleanup());
  c.startAll();
  await c.leader();
  t.is(await cmd(c.port(1), 'MSET', 'k1', 'v1', 'k2', 'v2'), OK);
  t.is(await cmd(c.port(2), 'MGET', 'k1', 'nope', 'k2'), `*3\r\n${arrayReply('v1')}${NIL}${arrayReply('v2')}`);
  t.is(await cmd(c.port(3), 'MSET', 'k1'), ERROR);
});
