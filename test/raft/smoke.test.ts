import test from 'ava';
import { TestCluster, bytes, text } from './helpers/cluster.js';

test('three nodes elect a leader and replicate a proposal to all', (t) => {
  const c = new TestCluster([1, 2, 3]);
  const leader = c.elect(1);
  t.is(leader, 1);
  const res = c.n(1).node.propose(bytes('hello'));
  t.true(res.ok);
  c.deliverAll();
  t.deepEqual(c.n(1).appliedData(), ['hello'], 'the leader applies once a majority holds it');
  // Followers learn the commit index from the next heartbeat (or append).
  c.heartbeat();
  for (const id of [1, 2, 3]) {
    const normal = c.n(id).applied.filter((e) => e.type === 'normal' && e.data.length > 0);
    t.deepEqual(normal.map((e) => (e.type === 'normal' ? text(e.data) : '')), ['hello'], `node ${id}`);
  }
});

test('a read index is answered after a heartbeat round', (t) => {
  const c = new TestCluster([1, 2, 3]);
  c.elect(1);
  c.deliverAll();
  t.true(c.n(1).node.readIndex(42));
  c.deliverAll();
  t.deepEqual(c.n(1).readStates.map((r) => r.ctx), [42]);
});
