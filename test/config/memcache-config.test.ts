import test from 'ava';
import { ConfigError } from '../../src/config/config-error.js';
import { parseLabConfig } from '../../src/config/lab-config.js';
import { allowed } from '../../src/memcache/allow-list.js';

function errorOf(text: string): string {
  try {
    parseLabConfig(text, 'config/x.conf');
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  return 'parsed';
}

const RAFT = 'follower_info 127.0.0.1:8101\nfollower_info 127.0.0.1:8102\n';
const COORD = 'mode coordinator\ncoordinator_info 127.0.0.1:8001\nparticipant_info 127.0.0.1:8002\n';

test('memcache_info on a coordinator and a raft peer; memcache_allow and memcache_item_max with it', (t) => {
  const c = parseLabConfig(`${COORD}memcache_info 127.0.0.1:11211\n`, 'c.conf');
  t.deepEqual(c.memcache, { listen: { host: '127.0.0.1', port: 11211 } });
  const r = parseLabConfig(`${RAFT}memcache_info 0.0.0.0:11211\nmemcache_allow 127.0.0.1,10.0.0.0/8\nmemcache_item_max 2097152\n`, 'r.conf');
  t.deepEqual(r.memcache?.listen, { host: '0.0.0.0', port: 11211 });
  t.is(r.memcache?.itemBytesMax, 2097152);
  t.true(allowed(r.memcache!.allow!, '10.1.2.3'));
  t.true(allowed(r.memcache!.allow!, '::ffff:127.0.0.1'));
  t.false(allowed(r.memcache!.allow!, '127.0.0.2'));
  t.false(allowed(r.memcache!.allow!, '11.0.0.1'));
  t.false('memcache' in parseLabConfig(RAFT, 'r.conf'), 'absent: no memcached endpoint');
});

test('a participant has no memcached endpoint', (t) => {
  t.is(errorOf('mode participant\nparticipant_info 127.0.0.1:8002\ncoordinator_info 127.0.0.1:8001\nmemcache_info 127.0.0.1:11211\n'), 'config/x.conf:4: memcache_info does not belong in a participant config');
});

test('bad memcache lines are clear errors naming the line', (t) => {
  t.is(errorOf(`${RAFT}memcache_info 11211\n`), 'config/x.conf:3: bad address "11211": expected IP:PORT, e.g. 127.0.0.1:8001');
  t.is(errorOf(`${RAFT}memcache_info 127.0.0.1:8102\n`), 'config/x.conf:3: address 127.0.0.1:8102 already used on line 2 (follower_info)');
  t.is(errorOf(`${RAFT}redis_info 127.0.0.1:6379\nmemcache_info 127.0.0.1:6379\n`), 'config/x.conf:4: address 127.0.0.1:6379 already used on line 3 (redis_info)');
  t.is(errorOf(`${RAFT}memcache_allow 127.0.0.1\n`), 'config/x.conf:3: memcache_allow needs a memcache_info line (the memcached endpoint it configures)');
  t.is(errorOf(`${RAFT}memcache_info 127.0.0.1:11211\nmemcache_allow 10.0.0.1/8\n`), 'config/x.conf:4: bad address block "10.0.0.1/8": host bits set past /8');
  t.is(errorOf(`${RAFT}memcache_info 127.0.0.1:11211\nmemcache_allow 10.0.0.0/33\n`), 'config/x.conf:4: bad address block "10.0.0.0/33": the prefix length must be 0..32');
  t.is(errorOf(`${RAFT}memcache_info 127.0.0.1:11211\nmemcache_allow ::1\n`), 'config/x.conf:4: bad address block "::1": expected a.b.c.d or a.b.c.d/N');
  t.is(errorOf(`${RAFT}memcache_info 127.0.0.1:11211\nmemcache_item_max 0\n`), 'config/x.conf:4: memcache_item_max must be an integer in 1..134217728 (bytes), got "0"');
});

test('with requirepass, a memcached endpoint off loopback needs memcache_allow: memcached has no password', (t) => {
  t.regex(errorOf(`${RAFT}requirepass s3cret\nmemcache_info 0.0.0.0:11211\n`), /^config\/x\.conf:4: memcache_info 0\.0\.0\.0:11211 is not loopback and there is no memcache_allow line: memcached's protocol has no password/);
  t.is(errorOf(`${RAFT}requirepass s3cret\nmemcache_info 127.0.0.1:11211\n`), 'parsed', 'loopback: fine');
  t.is(errorOf(`${RAFT}requirepass s3cret\nmemcache_info 0.0.0.0:11211\nmemcache_allow 10.0.0.0/8\n`), 'parsed', 'an allow list: fine');
  t.is(errorOf(`${RAFT}memcache_info 0.0.0.0:11211\n`), 'parsed', 'no requirepass: nothing to bypass');
});
