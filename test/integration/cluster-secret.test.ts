import test from 'ava';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RaftProcCluster } from '../helpers/raft-cluster.js';
import { TwoPcCluster } from '../helpers/twopc-cluster.js';
import { sleep, waitFor, type Proc } from '../helpers/processes.js';
import { arrayReply, cmd, ERROR, OK } from '../helpers/resp-client.js';

/** Structured log lines of a process (pino JSON on stderr) whose msg matches. */
function logLines(p: Proc, msg: RegExp): Array<Record<string, unknown>> {
  return p.stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((j) => msg.test(String(j['msg'])));
}

function refusedWrongSecret(p: Proc): Array<Record<string, unknown>> {
  return logLines(p, /^refusing internal connection$/).filter((j) => /wrong cluster_secret proof/.test(String(j['reason'])));
}

test('2PC: a participant with the wrong cluster_secret is refused by everyone and never served; the cluster keeps serving', async (t) => {
  const c = await TwoPcCluster.create(3);
  t.teardown(() => c.cleanup());
  // The good ones read the secret three ways; participant 3 holds another one.
  writeFileSync(join(c.group.dir, 'secret'), 'correct-horse-battery-staple\n');
  appendFileSync(join(c.group.dir, 'coordinator.conf'), 'cluster_secret_file secret\n');
  appendFileSync(join(c.group.dir, 'participant1.conf'), 'cluster_secret correct-horse-battery-staple\n');
  appendFileSync(join(c.group.dir, 'participant2.conf'), 'cluster_secret_env KV_SECRET\n');
  appendFileSync(join(c.group.dir, 'participant3.conf'), 'cluster_secret Tr0ub4dor\n');
  c.startCoordinator();
  c.startParticipant(1);
  const p2 = c.group.start('participant2', 'kvstore2pcsystem', ['--config_path', 'participant2.conf'], { KV_SECRET: 'correct-horse-battery-staple' });
  c.participants.set(2, p2);
  c.startParticipant(3);
  await c.ready(20_000);
  // Writes to every group (keys spread over the slots) commit without participant 3.
  for (let k = 0; k < 12; k++) t.is(await cmd(c.coordinatorPort, 'SET', `key${k}`, `v${k}`), OK, `key${k}`);
  for (let k = 0; k < 12; k++) t.is(await cmd(c.coordinatorPort, 'GET', `key${k}`), arrayReply(`v${k}`));
  const [p1, p3, coordinator] = [c.participants.get(1)!, c.participants.get(3)!, c.coordinator!];
  // The good participants refused the bad one's dials, naming its address.
  await waitFor('both good participants to log the refusal', () => refusedWrongSecret(p1).length > 0 && refusedWrongSecret(p2).length > 0, 5_000);
  for (const p of [p1, p2]) t.regex(String(refusedWrongSecret(p)[0]!['remote']), /^127\.0\.0\.1:\d+$/, p.name);
  // The bad one refused the coordinator's and the good participants' dials.
  await waitFor('participant 3 to refuse the others', () => refusedWrongSecret(p3).length >= 2, 5_000);
  t.true(logLines(coordinator, /^peer link down$/).some((j) => /refused us: wrong cluster_secret proof/.test(String(j['reason']))));
  // Never served: participant 3 learned no leader and holds nothing it could answer with.
  t.is(await cmd(c.participantPorts[2]!, 'GET', 'key0'), ERROR);
  // Everyone kept running.
  for (const p of [p1, p2, p3, coordinator]) t.is(p.child.exitCode, null, p.name);
});

test('raft: a peer with the wrong cluster_secret is never served; the other two elect and serve', async (t) => {
  const c = await RaftProcCluster.create(3);
  t.teardown(() => c.cleanup());
  const good = 'cluster_secret correct-horse-battery-staple';
  for (const id of c.ids) {
    const path = c.group.file(`raft${id}.conf`, `${c.configFor(id)}${id === 3 ? 'cluster_secret Tr0ub4dor' : good}\n`);
    c.procs.set(id, c.group.start(`raft${id}`, 'kvstoreraftsystem', ['--config_path', path]));
  }
  await c.leader(15_000);
  t.is(await cmd(c.port(1), 'SET', 'k', 'v'), OK);
  t.is(await cmd(c.port(2), 'GET', 'k'), arrayReply('v'));
  await waitFor('the good peers to refuse peer 3', () => refusedWrongSecret(c.proc(1)).length > 0 && refusedWrongSecret(c.proc(2)).length > 0, 5_000);
  await sleep(300);
  t.is(await cmd(c.port(3), 'GET', 'k'), ERROR, 'peer 3 never got the write nor a leader to forward to');
  t.true(logLines(c.proc(3), /^raft role$/).every((j) => j['role'] !== 'leader' && j['role'] !== 'follower'), 'peer 3 never joined');
});
