import test from 'ava';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { RaftProcCluster } from '../helpers/raft-cluster.js';
import { TwoPcCluster } from '../helpers/twopc-cluster.js';
import { waitFor } from '../helpers/processes.js';
import { arrayReply, OK, sendRaw } from '../helpers/resp-client.js';

const NOAUTH = '-NOAUTH Authentication required.\r\n';
const WRONGPASS = '-WRONGPASS invalid username-password pair or user is disabled.\r\n';

test('2PC with requirepass: participants AUTH to learn their layout; clients get NOAUTH until AUTH, WRONGPASS for a bad one', async (t) => {
  const c = await TwoPcCluster.create(3);
  t.teardown(() => c.cleanup());
  for (const f of ['coordinator.conf', 'participant1.conf', 'participant2.conf', 'participant3.conf']) appendFileSync(join(c.group.dir, f), 'requirepass s3cret\n');
  c.startCoordinator();
  for (let k = 1; k <= 3; k++) c.startParticipant(k);
  const port = c.coordinatorPort;
  await waitFor('the cluster to serve an authenticated SET', async () => (await sendRaw(port, 'AUTH s3cret\r\nSET __ready 1\r\n', 3_000, 2)) === `${OK}${OK}`, 20_000, 100);
  t.is(await sendRaw(port, 'SET k v\r\n'), NOAUTH);
  t.is(await sendRaw(port, 'GET k\r\nPING\r\n', 3_000, 2), `${NOAUTH}+PONG\r\n`);
  t.is(await sendRaw(port, 'AUTH wrong\r\nGET k\r\n', 3_000, 2), `${WRONGPASS}${NOAUTH}`);
  t.is(await sendRaw(port, 'AUTH default s3cret\r\nSET k v\r\nGET k\r\n', 3_000, 3), `${OK}${OK}${arrayReply('v')}`);
  t.true(c.coordinator!.stderr.includes('"msg":"AUTH with a wrong password"'));
});

test('raft peer with requirepass: every peer asks for AUTH, and serves after it', async (t) => {
  const c = await RaftProcCluster.create(3, 'requirepass s3cret');
  t.teardown(() => c.cleanup());
  c.startAll();
  await waitFor('a leader to serve an authenticated SET', async () => {
    for (const id of c.ids) if ((await sendRaw(c.port(id), 'AUTH s3cret\r\nSET a 1\r\n', 3_000, 2)) === `${OK}${OK}`) return true;
    return undefined;
  }, 15_000, 100);
  for (const id of c.ids) {
    t.is(await sendRaw(c.port(id), 'GET a\r\n'), NOAUTH, `node ${id}`);
    t.is(await sendRaw(c.port(id), 'AUTH s3cret\r\nGET a\r\n', 3_000, 2), `${OK}${arrayReply('1')}`, `node ${id}`);
  }
});
