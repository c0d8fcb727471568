import test from 'ava';
import { RaftProcCluster } from '../helpers/raft-cluster.js';
import { TwoPcCluster } from '../helpers/twopc-cluster.js';
import { sendThenHalfClose } from '../helpers/half-close.js';

// What `printf 'SET ...\r\nGET ...\r\n' | nc -q 1 host port` sends: commands, then FIN.
const COMMANDS = 'SET hc Cloud Computing\r\nGET hc\r\nDEL hc\r\nGET hc\r\n';
const REPLIES = '+OK\r\n*2\r\n$5\r\nCloud\r\n$9\r\nComputing\r\n:1\r\n*1\r\n$3\r\nnil\r\n';

test('the coordinator answers every command of a client that half-closed, then closes', async (t) => {
  const c = await TwoPcCluster.running(t, 3);
  const { reply, serverEnded } = await sendThenHalfClose(c.coordinatorPort, COMMANDS);
  t.is(reply, REPLIES);
  t.true(serverEnded);
});

test('every kvstoreraftsystem peer, leader or forwarding follower, answers a half-closed client', async (t) => {
  const c = await RaftProcCluster.create(3);
  t.teardown(() => c.cleanup());
  c.startAll();
  await c.leader();
  for (const id of c.ids) {
    const { reply, serverEnded } = await sendThenHalfClose(c.port(id), COMMANDS);
    t.is(reply, REPLIES, `node ${id}`);
    t.true(serverEnded, `node ${id}`);
  }
});
