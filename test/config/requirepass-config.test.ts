import test from 'ava';
import { ConfigError, type ConfigErrorCode } from '../../src/config/config-error.js';
import { parseLabConfig } from '../../src/config/lab-config.js';

const RAFT = 'follower_info 127.0.0.1:8101\nfollower_info 127.0.0.1:8102\n';

test('requirepass WORD on every kind of config; absent, there is none', (t) => {
  for (const text of [
    `${RAFT}requirepass s3cret\n`,
    'mode coordinator\ncoordinator_info 127.0.0.1:8001\nparticipant_info 127.0.0.1:8002\nrequirepass s3cret\n',
    'mode participant\nparticipant_info 127.0.0.1:8002\ncoordinator_info 127.0.0.1:8001\nrequirepass s3cret\n',
  ]) {
    const pass = parseLabConfig(text, 'x.conf').requirepass;
    t.true(pass?.matches(Buffer.from('s3cret')), text);
    t.false(pass?.matches(Buffer.from('s3cre')), text);
  }
  t.false('requirepass' in parseLabConfig(RAFT, 'x.conf'));
});

test('a bad requirepass line is a clear error naming the line, never echoing the password', (t) => {
  const cases: Array<[string, ConfigErrorCode, RegExp]> = [
    [`${RAFT}requirepass two words\n`, 'EXTRA_TOKENS', /^x\.conf:3: requirepass takes one word, got 2$/],
    [`${RAFT}requirepass\n`, 'MISSING_VALUE', /^x\.conf:3: requirepass needs a value$/],
    [`${RAFT}requirepass a\nrequirepass b\n`, 'DUPLICATE_PARAMETER', /^x\.conf:4: requirepass may appear once \(first on line 3\)$/],
    [`${RAFT}requirepass ${'p'.repeat(5000)}\n`, 'BAD_VALUE', /^x\.conf:3: requirepass is 5000 bytes, at most 4096$/],
    // Until the Redis endpoint checks it, requirepass beside redis_info would leave that door open.
    [`${RAFT}redis_info 127.0.0.1:6379\nrequirepass s3cret\n`, 'BAD_VALUE', /^x\.conf:4: requirepass guards the lab port only so far; the redis_info endpoint \(line 3\) would serve without AUTH/],
  ];
  for (const [text, code, message] of cases) {
    const err = t.throws(() => parseLabConfig(text, 'x.conf'), { instanceOf: ConfigError });
    t.is(err?.code, code);
    t.regex(err?.message ?? '', message);
    t.false(/words|ppppp/.test(err?.message ?? ''));
  }
});
