import test from 'ava';
import { ConfigError, type ConfigErrorCode } from '../../src/config/config-error.js';
import { parseLabConfig } from '../../src/config/lab-config.js';

const RAFT = 'follower_info 127.0.0.1:8101\nfollower_info 127.0.0.1:8102\n';

test('maxclients, timeout and the buffer limits on every kind of config, Redis units accepted; absent, none is set', (t) => {
  const lines = 'maxclients 20\ntimeout 300\nclient_query_buffer_limit 64mb\nclient_output_buffer_limit 32mb 8mb 10\n';
  for (const text of [
    `${RAFT}${lines}`,
    `mode coordinator\ncoordinator_info 127.0.0.1:8001\nparticipant_info 127.0.0.1:8002\n${lines}`,
    `mode participant\nparticipant_info 127.0.0.1:8002\ncoordinator_info 127.0.0.1:8001\n${lines}`,
  ]) {
    t.deepEqual(parseLabConfig(text, 'x.conf').clientLimits, {
      maxclients: 20,
      idleTimeoutSec: 300,
      queryBufferBytes: 64 * 1024 * 1024,
      outputHardBytes: 32 * 1024 * 1024,
      outputSoftBytes: 8 * 1024 * 1024,
      outputSoftSec: 10,
    });
  }
  t.deepEqual(parseLabConfig(`${RAFT}timeout 0\nclient_output_buffer_limit 0 0 0\n`, 'x.conf').clientLimits, { idleTimeoutSec: 0, outputHardBytes: 0, outputSoftBytes: 0, outputSoftSec: 0 });
  t.deepEqual(parseLabConfig(`${RAFT}client_query_buffer_limit 1gb\n`, 'x.conf').clientLimits, { queryBufferBytes: 1024 ** 3 });
  t.false('clientLimits' in parseLabConfig(RAFT, 'x.conf'));
});

test('a bad client limit line is a clear error naming the line', (t) => {
  const cases: Array<[string, ConfigErrorCode, RegExp]> = [
    ['maxclients 0', 'BAD_VALUE', /^x\.conf:3: maxclients must be an integer in 1\.\.1000000, got "0"$/],
    ['maxclients lots', 'BAD_VALUE', /maxclients must be an integer/],
    ['timeout -1', 'BAD_VALUE', /^x\.conf:3: timeout: timeout \(seconds\) must be an integer in 0\.\./],
    ['client_query_buffer_limit 1k', 'BAD_VALUE', /client_query_buffer_limit: client_query_buffer_limit must be bytes .* in 1048576\.\./],
    ['client_query_buffer_limit 12xb', 'BAD_VALUE', /must be bytes/],
    ['client_output_buffer_limit 1mb 1mb', 'MISSING_VALUE', /client_output_buffer_limit needs 3 values/],
    ['client_output_buffer_limit 1mb 1mb 1 2', 'EXTRA_TOKENS', /client_output_buffer_limit takes 3 values/],
    ['client_output_buffer_limit 1mb soft 1', 'BAD_VALUE', /the soft limit must be bytes/],
    ['maxclients 5\nmaxclients 6', 'DUPLICATE_PARAMETER', /^x\.conf:4: maxclients may appear once \(first on line 3\)$/],
  ];
  for (const [line, code, message] of cases) {
    const err = t.throws(() => parseLabConfig(`${RAFT}${line}\n`, 'x.conf'), { instanceOf: ConfigError });
    t.is(err?.code, code, line);
    t.regex(err?.message ?? '', message, line);
  }
});
