import test from 'ava';
import { spawnSync } from 'node:child_process';
import { family, httpGet, sample, scrape } from '../helpers/metrics-scrape.js';
import { freePorts } from '../helpers/ports.js';
import { ProcessGroup, waitFor } from '../helpers/processes.js';
import type { Proc } from '../helpers/processes.js';
import { OK, arrayReply, cmd } from '../helpers/resp-client.js';

/** Three kvstoreraftsystem peers, each with a metrics_info port, on free loopback ports. Peer k (id k) serves clients on client[k-1]. */
async function raftWithMetrics(t: import('ava').ExecutionContext): Promise<{ group: ProcessGroup; client: number[]; metrics: number[]; procs: Map<number, Proc> }> {
  const group = new ProcessGroup();
  t.teardown(() => group.cleanup());
  const ports = await freePorts(6);
  const client = ports.slice(0, 3).sort((a, b) => a - b);
  const metrics = ports.slice(3);
  const procs = new Map<number, Proc>();
  for (let id = 1; id <= 3; id++) {
    const self = client[id - 1]!;
    const conf = group.file(
      `raft${id}.conf`,
      [`follower_info 127.0.0.1:${self}`, ...client.filter((p) => p !== self).map((p) => `follower_info 127.0.0.1:${p}`), `data_dir data-${id}`, `metrics_info 127.0.0.1:${metrics[id - 1]}`, ''].join('\n'),
    );
    procs.set(id, group.start(`raft${id}`, 'kvstoreraftsystem', ['--config_path', conf]));
  }
  return { group, client, metrics, procs };
}

/** The peer whose metrics say it leads group 1, among those given. */
async function leaderByMetrics(metrics: readonly number[], ids: readonly number[]): Promise<number> {
  return waitFor('a leader by metrics', async () => {
    for (const id of ids) if (sample(await scrape(metrics[id - 1]!), 'kvstore_raft_is_leader', { group: '1' }) === 1) return id;
    return undefined;
  }, 15_000, 100);
}

const RAFT_NAMES = [
  ['kvstore_raft_is_leader', 'GAUGE'], ['kvstore_raft_has_leader', 'GAUGE'], ['kvstore_raft_role', 'GAUGE'], ['kvstore_raft_term', 'GAUGE'],
  ['kvstore_raft_leader_id', 'GAUGE'], ['kvstore_raft_commit_index', 'GAUGE'], ['kvstore_raft_applied_index', 'GAUGE'], ['kvstore_raft_last_log_index', 'GAUGE'],
  ['kvstore_raft_snapshot_index', 'GAUGE'], ['kvstore_raft_leader_changes_seen_total', 'COUNTER'], ['kvstore_raft_proposals_committed_total', 'COUNTER'],
  ['kvstore_raft_proposals_failed_total', 'COUNTER'], ['kvstore_raft_elections_started_total', 'COUNTER'], ['kvstore_disk_sync_duration_seconds', 'HISTOGRAM'],
  ['kvstore_disk_batch_writes', 'HISTOGRAM'], ['kvstore_disk_batch_bytes', 'HISTOGRAM'], ['kvstore_host_loop_turns_total', 'COUNTER'],
  ['kvstore_peer_sent_bytes_total', 'COUNTER'], ['kvstore_peer_received_bytes_total', 'COUNTER'], ['kvstore_peer_sent_messages_total', 'COUNTER'],
  ['kvstore_peer_received_messages_total', 'COUNTER'], ['kvstore_client_requests_total', 'COUNTER'], ['kvstore_client_errors_total', 'COUNTER'],
  ['kvstore_client_request_duration_seconds', 'HISTOGRAM'], ['kvstore_snapshot_save_duration_seconds', 'HISTOGRAM'], ['kvstore_snapshot_send_duration_seconds', 'HISTOGRAM'],
  ['kvstore_snapshot_restore_duration_seconds', 'HISTOGRAM'], ['kvstore_restart_replay_duration_seconds', 'GAUGE'], ['kvstore_txn_open', 'GAUGE'],
  ['kvstore_build_info', 'GAUGE'], ['kvstore_process_cpu_seconds_total', 'COUNTER'],
] as const;

test('kvstoreraftsystem peers serve /metrics, /readyz, /status; commit index and counters move with writes; a killed leader shows as a leader change', async (t) => {
  const { group, client, metrics, procs } = await raftWithMetrics(t);
  for (const m of metrics) await waitFor(`readyz on ${m}`, async () => (await httpGet(m, '/readyz')).status === 200, 15_000, 100);
  const leader = await leaderByMetrics(metrics, [1, 2, 3]);
  const before = await scrape(metrics[leader - 1]!);
  for (const [name, type] of RAFT_NAMES) t.is(String(family(before, name)?.type), type.toLowerCase(), name);
  t.is(sample(before, 'kvstore_raft_role', { group: '1', role: 'leader' }), 1);
  t.is(sample(before, 'kvstore_raft_leader_id', { group: '1' }), leader);
  t.is(sample(before, 'kvstore_build_info', { kind: 'raft', node: String(leader) }), 1);

  for (let k = 0; k < 20; k++) t.is(await cmd(client[leader - 1]!, 'SET', `k${k}`, 'v'), OK);
  t.is(await cmd(client[leader - 1]!, 'GET', 'k3'), arrayReply('v'), 'the lab reply is unchanged');
  const after = await scrape(metrics[leader - 1]!);
  t.true(sample(after, 'kvstore_raft_commit_index', { group: '1' })! > sample(before, 'kvstore_raft_commit_index', { group: '1' })!, 'commit index rose');
  t.true(sample(after, 'kvstore_raft_proposals_committed_total', { group: '1' })! >= sample(before, 'kvstore_raft_proposals_committed_total', { group: '1' })! + 20);
  t.true(sample(after, 'kvstore_client_requests_total', { command: 'set' })! >= 20);
  t.true(sample(after, 'kvstore_client_request_duration_seconds_count', { command: 'set' })! >= 20, 'latency histogram count');
  t.true(sample(after, 'kvstore_disk_sync_duration_seconds_count')! > sample(before, 'kvstore_disk_sync_duration_seconds_count')!, 'synced batches observed');
  for (const peer of [1, 2, 3].filter((id) => id !== leader)) {
    t.true(sample(after, 'kvstore_peer_sent_bytes_total', { peer: String(peer) })! > 0, `bytes to ${peer}`);
    t.true(sample(after, 'kvstore_raft_follower_lag_entries', { group: '1', peer: String(peer) })! >= 0);
  }

  const status = JSON.parse((await httpGet(metrics[leader - 1]!, '/status')).body) as { id: number; groups: Array<{ role: string; commit: number; followers: Array<{ id: number; match: number; lag: number }> }> };
  t.is(status.id, leader);
  t.is(status.groups[0]!.role, 'leader');
  t.is(status.groups[0]!.followers.length, 2);
  t.deepEqual(JSON.parse((await httpGet(metrics[0]!, '/health')).body), { health: 'true', reason: '' });
  // Bad input on the metrics port: a clear 404 / 405, and nothing lost.
  t.is((await httpGet(metrics[0]!, '/nope')).status, 404);
  const post = await httpGet(metrics[0]!, '/metrics', 'POST');
  t.is(post.status, 405);
  t.is(post.allow, 'GET, HEAD');
  t.is((await httpGet(metrics[0]!, '/metrics', 'HEAD')).status, 200);
  t.is(await cmd(client[0]!, 'GET', 'k3'), arrayReply('v'));

  const survivors = [1, 2, 3].filter((id) => id !== leader);
  const seenBefore = new Map<number, number>();
  for (const id of survivors) seenBefore.set(id, sample(await scrape(metrics[id - 1]!), 'kvstore_raft_leader_changes_seen_total', { group: '1' })!);
  await group.kill(procs.get(leader)!);
  const newLeader = await leaderByMetrics(metrics, survivors);
  t.not(newLeader, leader);
  // The role gauge reads the Raft core at once; the change counter moves when the turn that made it leader has written.
  let late = await scrape(metrics[newLeader - 1]!);
  const changeSeen = (): boolean => sample(late, 'kvstore_raft_leader_changes_seen_total', { group: '1' })! > seenBefore.get(newLeader)!;
  for (const until = Date.now() + 2_000; !changeSeen() && Date.now() < until; ) late = await scrape(metrics[newLeader - 1]!);
  t.true(sample(late, 'kvstore_raft_elections_started_total', { group: '1' })! >= 1, 'the new leader ran an election');
  t.true(changeSeen(), 'leader change seen');
  t.true(sample(late, 'kvstore_raft_term', { group: '1' })! > sample(after, 'kvstore_raft_term', { group: '1' })!);
});

test('INFO over RESP answers Redis-style sections on a peer (and through redis-cli when it is installed)', async (t) => {
  const { client, metrics } = await raftWithMetrics(t);
  await leaderByMetrics(metrics, [1, 2, 3]);
  const reply = await cmd(client[1]!, 'INFO');
  const m = /^\$(\d+)\r\n/.exec(reply);
  t.truthy(m, 'a bulk string');
  const text = reply.slice(m![0].length, -2);
  t.is(Buffer.byteLength(text, 'latin1'), Number(m![1]));
  for (const section of ['# Server', '# Clients', '# Persistence', '# Stats', '# Keyspace', '# Raft']) t.true(text.includes(`${section}\r\n`), section);
  t.regex(text, /\r\nredis_version:7\.2\.0\r\n/);
  t.regex(text, new RegExp(`\\r\\ntcp_port:${client[1]}\\r\\n`));
  t.regex(text, /\r\nraft_node_id:2\r\n/);
  t.regex(text, /\r\ngroup1:role=(leader|follower),term=\d+,leader=[1-3],commit=\d+,applied=\d+,last_index=\d+,snapshot_index=\d+\r\n/);
  const raft = await cmd(client[1]!, 'INFO', 'raft');
  t.regex(raft, /^\$\d+\r\n# Raft\r\nraft_node_id:2\r\n/);
  t.false(raft.includes('# Server'));
  t.regex(await cmd(client[1]!, 'INFO', 'commandstats'), /cmdstat_info:calls=\d+,failed_calls=0/);

  if (spawnSync('which', ['redis-cli']).status !== 0) {
    t.log('redis-cli is not installed: skipped its check');
    return;
  }
  const cli = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(client[0]), 'INFO', 'raft'], { encoding: 'utf8', timeout: 10_000 });
  t.is(cli.status, 0, cli.stderr);
  t.regex(cli.stdout, /# Raft\r?\nraft_node_id:1\r?\nraft_groups:1\r?\ngroup1:role=/);
});

test('a coordinator and its participants serve /metrics: routing per group, participants up, per-group raft gauges; INFO on the coordinator', async (t) => {
  const group = new ProcessGroup();
  t.teardown(() => group.cleanup());
  const [coord, p1, p2, p3, mc, m1, m2, m3] = await freePorts(8);
  const parts = [p1!, p2!, p3!];
  const pm = [m1!, m2!, m3!];
  group.file('coordinator.conf', ['mode coordinator', `coordinator_info 127.0.0.1:${coord}`, ...parts.map((p) => `participant_info 127.0.0.1:${p}`), `metrics_info 127.0.0.1:${mc}`, ''].join('\n'));
  group.start('coordinator', 'kvstore2pcsystem', ['--config_path', 'coordinator.conf']);
  parts.forEach((p, k) => {
    group.file(`p${k + 1}.conf`, ['mode participant', `participant_info 127.0.0.1:${p}`, `coordinator_info 127.0.0.1:${coord}`, `data_dir data-p${k + 1}`, `metrics_info 127.0.0.1:${pm[k]}`, ''].join('\n'));
    group.start(`p${k + 1}`, 'kvstore2pcsystem', ['--config_path', `p${k + 1}.conf`]);
  });
  await waitFor('the coordinator ready', async () => (await httpGet(mc!, '/readyz')).status === 200, 20_000, 100);
  for (let k = 0; k < 30; k++) t.is(await cmd(coord!, 'SET', `key${k}`, 'v'), OK);
  // key0..key29 fall in every group: this MSET is a transaction over several of them.
  t.is(await cmd(coord!, 'MSET', ...Array.from({ length: 30 }, (_, k) => [`key${k}`, 'w']).flat()), OK);
  // Its outcome spreads off the critical path: a RESOLVE to each other group, then FORGET to the primary, each held up to 10 ms.
  await waitFor('the outcome spread', async () => sample(await scrape(mc!), 'kvstore_txn_spread_steps_total') === 3, 5_000, 20);
  const c = await scrape(mc!);
  t.is(sample(c, 'kvstore_txn_spread_batches_total'), 3, 'one step per batch: nothing else was held with them');
  t.is(sample(c, 'kvstore_multikey_commands_total', { command: 'mset', path: 'cross' }), 1);
  t.is(sample(c, 'kvstore_txn_attempts_total')! >= 1, true);
  for (const phase of ['prepare', 'decide']) {
    t.true(sample(c, 'kvstore_txn_phase_duration_seconds_count', { phase })! >= 1, `${phase} rounds timed`);
    t.true(sample(c, 'kvstore_txn_phase_duration_seconds_sum', { phase })! > 0);
  }
  for (const g of ['1', '2', '3']) t.true(sample(c, 'kvstore_txn_open', { group: g })! >= 0, `open txns of group ${g} from its leader's report`);
  t.is(sample(c, 'kvstore_build_info', { kind: 'coordinator' }), 1);
  for (const g of ['1', '2', '3']) t.is(sample(c, 'kvstore_coordinator_group_has_leader', { group: g }), 1, `group ${g}`);
  for (const id of ['1', '2', '3']) {
    t.is(sample(c, 'kvstore_coordinator_participant_up', { participant: id }), 1);
    t.true(sample(c, 'kvstore_peer_sent_bytes_total', { peer: id })! > 0);
  }
  t.true(sample(c, 'kvstore_client_requests_total', { command: 'set' })! >= 30);
  t.true(sample(c, 'kvstore_client_request_duration_seconds_count', { command: 'set' })! >= 30);
  const coordStatus = JSON.parse((await httpGet(mc!, '/status')).body) as { kind: string; groups: Array<{ leader: number }>; participants: Array<{ alive: boolean }> };
  t.is(coordStatus.kind, 'coordinator');
  t.is(coordStatus.groups.length, 3);
  t.true(coordStatus.participants.every((p) => p.alive));

  // Each participant hosts three groups: one sample per group, and it leads some of them or follows.
  const p = await scrape(pm[0]!);
  t.is(sample(p, 'kvstore_build_info', { kind: 'participant' }), 1);
  for (const g of ['1', '2', '3']) t.true(sample(p, 'kvstore_raft_commit_index', { group: g })! > 0, `group ${g} commit`);
  t.true(sample(p, 'kvstore_peer_received_messages_total', { peer: 'coordinator' })! > 0, 'heartbeats from the coordinator');
  t.is((await httpGet(pm[0]!, '/readyz')).status, 200);

  const info = await cmd(coord!, 'INFO', 'raft');
  t.regex(info, /# Raft\r\nraft_groups:3\r\ngroup1:leader=[1-3],term=\d+,commit=\d+\r\n/);
  t.regex(info, new RegExp(`participant[1-3]:address=127\\.0\\.0\\.1:${p1},alive=1,missed=\\d+\\r\\n`));
  t.regex(await cmd(coord!, 'INFO', 'server'), /kvstore_mode:coordinator\r\n/);
});
