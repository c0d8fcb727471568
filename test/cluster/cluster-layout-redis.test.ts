import test from 'ava';
import { clusterLayout } from '../../src/cluster/cluster-layout.js';
import { parseLabConfig } from '../../src/config/lab-config.js';

test('with a Redis port, only the front door (coordinator, or raft1) gets a redis_info line, and the configs parse', (t) => {
  for (const shape of ['2pc', 'raft'] as const) {
    const layout = clusterLayout(shape, 8001, '127.0.0.1', 6379);
    const withRedis = layout.members.filter((m) => m.defaultConfig.includes('redis_info'));
    t.deepEqual(withRedis.map((m) => m.name), [layout.frontDoor.name]);
    const cfg = parseLabConfig(layout.frontDoor.defaultConfig, layout.frontDoor.configFile);
    t.deepEqual(cfg.redisListen, { host: '127.0.0.1', port: 6379 });
  }
});

test('without one, no config names a Redis endpoint', (t) => {
  for (const shape of ['2pc', 'raft'] as const) {
    t.false(clusterLayout(shape, 8001).members.some((m) => m.defaultConfig.includes('redis_info')));
  }
});
