import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePorts } from './ports.js';
import { RaftProcCluster } from './raft-cluster.js';
import { TwoPcCluster } from './twopc-cluster.js';

type Teardown = { teardown(fn: () => Promise<void>): void };

/** A coordinator and three participants (three groups); the coordinator serves the memcached and the Redis endpoints. */
export async function twoPcWithMemcache(t: Teardown): Promise<{ cluster: TwoPcCluster; mcPort: number; redisPort: number }> {
  const c = await TwoPcCluster.create(3);
  t.teardown(() => c.cleanup());
  const [mcPort, redisPort] = await freePorts(2);
  const conf = readFileSync(join(c.group.dir, 'coordinator.conf'), 'utf8');
  c.group.file('coordinator.conf', `${conf}memcache_info 127.0.0.1:${mcPort}\nredis_info 127.0.0.1:${redisPort}\n`);
  c.startCoordinator();
  for (let k = 1; k <= 3; k++) c.startParticipant(k);
  await c.ready();
  return { cluster: c, mcPort: mcPort!, redisPort: redisPort! };
}

/** Three kvstoreraftsystem peers (one group); peer `withMc` serves the memcached endpoint (a follower forwards to the leader). */
export async function raftWithMemcache(t: Teardown, withMc = 1): Promise<{ cluster: RaftProcCluster; mcPort: number }> {
  const c = await RaftProcCluster.create(3);
  t.teardown(() => c.group.cleanup());
  const [mcPort] = await freePorts(1);
  const base = c.configFor.bind(c);
  c.configFor = (id: number) => `${base(id)}${id === withMc ? `memcache_info 127.0.0.1:${mcPort}\n` : ''}`;
  c.startAll();
  await c.leader();
  return { cluster: c, mcPort: mcPort! };
}

/** libmemcached-tools, as Debian names them (memccp, memccat, memcrm; upstream memcp, memcat, memrm). */
export function memcachedTool(name: 'cp' | 'cat' | 'rm' | 'touch' | 'exist'): string | undefined {
  for (const candidate of [`memc${name}`, `mem${name}`]) {
    if (spawnSync(candidate, ['--version']).status === 0) return candidate;
  }
  return undefined;
}

/** A python3 that imports pymemcache (Debian's python3-pymemcache lives under /usr/bin/python3, which may not be first on PATH). */
export function pythonWithPymemcache(): string | undefined {
  for (const py of ['/usr/bin/python3', 'python3']) {
    if (spawnSync(py, ['-c', 'import pymemcache']).status === 0) return py;
  }
  return undefined;
}
