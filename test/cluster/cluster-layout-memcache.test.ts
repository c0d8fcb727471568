import test from 'ava';
import { clusterLayout } from '../../src/cluster/cluster-layout.js';
import { parseLabConfig } from '../../src/config/lab-config.js';

test('with a memcache port, only the front door (coordinator, or raft1) gets a memcache_info line, and the configs parse', (t) => {
  for (const shape of ['2pc', 'raft'] as const) {
    const layout = clusterLayout(shape, 8001, '127.0.0.1', 6379, 11211);
    const withMc = layout.members.filter((m) => m.defaultConfig.includes('memcache_info'));
    t.deepEqual(withMc.map((m) => m.name), [layout.frontDoor.name]);
    const cfg = parseLabConfig(layout.frontDoor.defaultConfig, layout.frontDoor.configFile);
    t.deepEqual(cfg.memcache?.listen, { host: '127.0.0.1', port: 11211 });
    t.false(clusterLayout(shape, 8001, '127.0.0.1', 6379).members.some((m) => m.defaultConfig.includes('memcache_info')));
  }
});
