import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePorts } from './ports.js';
import { RaftProcCluster } from './raft-cluster.js';
import { TwoPcCluster } from './twopc-cluster.js';

type Teardown = { teardown(fn: () => Promise<void>): void };

/** A coordinator and three participants (three groups), the coordinator with `redis_info` on a free port. */
export async function twoPcWithRedis(t: Teardown): Promise<{ cluster: TwoPcCluster; redisPort: number }> {
  const c = await TwoPcCluster.create(3);
  t.teardown(() => c.cleanup());
  const [redisPort] = await freePorts(1);
  const conf = readFileSync(join(c.group.dir, 'coordinator.conf'), 'utf8');
  c.group.file('coordinator.conf', `${conf}redis_info 127.0.0.1:${redisPort}\n`);
  c.startCoordinator();
  for (let k = 1; k <= 3; k++) c.startParticipant(k);
  await c.ready();
  return { cluster: c, redisPort: redisPort! };
}

/** Three kvstoreraftsystem peers (one group); peer `withRedis` serves the Redis endpoint. */
export async function raftWithRedis(t: Teardown, withRedis = 1): Promise<{ cluster: RaftProcCluster; redisPort: number }> {
  const c = await RaftProcCluster.create(3);
  t.teardown(() => c.group.cleanup());
  const [redisPort] = await freePorts(1);
  const base = c.configFor.bind(c);
  c.configFor = (id: number) => `${base(id)}${id === withRedis ? `redis_info 127.0.0.1:${redisPort}\n` : ''}`;
  c.startAll();
  await c.leader();
  return { cluster: c, redisPort: redisPort! };
}
