import test from 'ava';
import { ConfigError } from '../../src/config/config-error.js';
import { parseLabConfig } from '../../src/config/lab-config.js';

function errorOf(text: string): string {
  try {
    parseLabConfig(text, 'config/x.conf');
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  return 'parsed';
}

test('redis_info IP:PORT on a coordinator and on a raft peer: where the Redis endpoint listens', (t) => {
  const c = parseLabConfig('mode coordinator\ncoordinator_info 127.0.0.1:8001\nparticipant_info 127.0.0.1:8002\nredis_info 127.0.0.1:6379\n', 'c.conf');
  t.deepEqual(c.redisListen, { host: '127.0.0.1', port: 6379 });
  const r = parseLabConfig('follower_info 127.0.0.1:8101\nfollower_info 127.0.0.1:8102\nredis_info localhost:6380\n', 'r.conf');
  t.deepEqual(r.redisListen, { host: 'localhost', port: 6380 });
  t.false('redisListen' in parseLabConfig('follower_info 127.0.0.1:8101\n', 'r.conf'), 'absent: no Redis endpoint');
});

test('a participant has no Redis endpoint: its clients go through the coordinator', (t) => {
  t.is(
    errorOf('mode participant\nparticipant_info 127.0.0.1:8002\ncoordinator_info 127.0.0.1:8001\nredis_info 127.0.0.1:6379\n'),
    'config/x.conf:4: redis_info does not belong in a participant config',
  );
});

test('a bad redis_info is a clear error naming the line: bad address, twice, or an address already used', (t) => {
  t.is(errorOf('follower_info 127.0.0.1:8101\nredis_info 6379\n'), 'config/x.conf:2: bad address "6379": expected IP:PORT, e.g. 127.0.0.1:8001');
  t.is(errorOf('follower_info 127.0.0.1:8101\nredis_info 127.0.0.1:6379\nredis_info 127.0.0.1:6380\n'), 'config/x.conf:3: redis_info may appear once (first on line 2)');
  t.is(errorOf('follower_info 127.0.0.1:8101\nredis_info localhost:8101\n'), 'config/x.conf:2: address localhost:8101 already used on line 1 (follower_info)');
  t.is(errorOf('follower_info 127.0.0.1:8101\nmetrics_info 127.0.0.1:9000\nredis_info 127.0.0.1:9000\n'), 'config/x.conf:3: address 127.0.0.1:9000 already used on line 2 (metrics_info)');
});
