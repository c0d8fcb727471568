import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, type ConfigErrorCode } from '../../src/config/config-error.js';
import { PROCESS_SECRET_SOURCES, type SecretSources } from '../../src/config/cluster-secret.js';
import { parseLabConfig } from '../../src/config/lab-config.js';
import { ClusterSecret } from '../../src/net/peer-auth.js';

const RAFT = 'follower_info 127.0.0.1:8101\nfollower_info 127.0.0.1:8102\n';
const TRANSCRIPT = { cluster: 'c', dialerRole: 'peer' as const, dialerId: 1, acceptorId: 2, dialerNonce: Buffer.alloc(32, 1), acceptorNonce: Buffer.alloc(32, 2) };

/** Two secrets are the same exactly when they prove the same. */
function sameSecret(a: ClusterSecret | undefined, bytes: string | Buffer): boolean {
  return a !== undefined && a.proof('dialer', TRANSCRIPT).equals(new ClusterSecret(Buffer.from(bytes)).proof('dialer', TRANSCRIPT));
}

function sources(files: Record<string, Buffer | string>, env: Record<string, string> = {}): SecretSources {
  const get = (p: string): Buffer => {
    const f = files[p];
    if (f === undefined) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
    return Buffer.from(f);
  };
  return { readFile: get, fileBytes: (p) => get(p).length, env: (n) => env[n] };
}

function expectError(t: import('ava').ExecutionContext, text: string, code: ConfigErrorCode, message: RegExp, src = sources({})): ConfigError | undefined {
  const err = t.throws(() => parseLabConfig(text, 'x.conf', src), { instanceOf: ConfigError });
  t.is(err?.code, code, text);
  t.regex(err?.message ?? '', message);
  return err;
}

test('no cluster_secret line: no secret, the config as the lab\'s', (t) => {
  const c = parseLabConfig(RAFT, 'r.conf');
  t.false('clusterSecret' in c);
});

test('cluster_secret WORD is the secret, in every kind of config', (t) => {
  for (const text of [
    `${RAFT}cluster_secret s3cret\n`,
    'mode coordinator\ncoordinator_info 127.0.0.1:8001\nparticipant_info 127.0.0.1:8002\ncluster_secret s3cret\n',
    'mode participant\nparticipant_info 127.0.0.1:8002\ncoordinator_info 127.0.0.1:8001\ncluster_secret s3cret\n',
  ]) {
    t.true(sameSecret(parseLabConfig(text, 'x.conf').clusterSecret, 's3cret'), text);
  }
  t.false(sameSecret(parseLabConfig(`${RAFT}cluster_secret other\n`, 'x.conf').clusterSecret, 's3cret'));
});

test('cluster_secret_file PATH: the file\'s bytes with blanks and line ends trimmed, binary kept as is', (t) => {
  const bin = Buffer.from([0x00, 0xff, 0xfe, 0x20, 0x80]);
  const src = sources({ '/s/word': '  s3cret \r\n', '/s/bin': Buffer.concat([bin, Buffer.from('\n')]) });
  t.true(sameSecret(parseLabConfig(`${RAFT}cluster_secret_file /s/word\n`, 'x.conf', src).clusterSecret, 's3cret'));
  t.true(sameSecret(parseLabConfig(`${RAFT}cluster_secret_file /s/bin\n`, 'x.conf', src).clusterSecret, bin));
});

test('cluster_secret_file: missing, unreadable, empty or huge files are clear errors naming the line', (t) => {
  const src = sources({ '/s/empty': ' \n\n', '/s/huge': Buffer.alloc(70_000, 0x41) });
  expectError(t, `${RAFT}cluster_secret_file /s/nope\n`, 'SECRET_UNAVAILABLE', /^x\.conf:3: cannot read cluster_secret_file \/s\/nope \(ENOENT\)$/, src);
  expectError(t, `${RAFT}cluster_secret_file /s/empty\n`, 'SECRET_UNAVAILABLE', /^x\.conf:3: cluster_secret_file \/s\/empty is empty$/, src);
  expectError(t, `${RAFT}cluster_secret_file /s/huge\n`, 'SECRET_UNAVAILABLE', /is 70000 bytes, more than 65536/, src);
});

test('cluster_secret_file on the real file system, including a file we may not read', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kvstore-secret-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'secret'), 's3cret\n');
  t.true(sameSecret(parseLabConfig(`${RAFT}cluster_secret_file ${join(dir, 'secret')}\n`, 'x.conf').clusterSecret, 's3cret'));
  t.true(sameSecret(parseLabConfig(`${RAFT}cluster_secret_file ${join(dir, 'secret')}\n`, 'x.conf', PROCESS_SECRET_SOURCES).clusterSecret, 's3cret'));
  expectError(t, `${RAFT}cluster_secret_file ${dir}\n`, 'SECRET_UNAVAILABLE', /cannot read cluster_secret_file .* \(EISDIR\)/, PROCESS_SECRET_SOURCES);
  if (process.getuid?.() !== 0) {
    writeFileSync(join(dir, 'locked'), 'x');
    chmodSync(join(dir, 'locked'), 0o000);
    expectError(t, `${RAFT}cluster_secret_file ${join(dir, 'locked')}\n`, 'SECRET_UNAVAILABLE', /\(EACCES\)/, PROCESS_SECRET_SOURCES);
  }
});

test('cluster_secret_env VAR: the variable\'s value; unset, blank or a malformed name are errors', (t) => {
  const src = sources({}, { KV_SECRET: 's3cret', BLANK: '  ' });
  t.true(sameSecret(parseLabConfig(`${RAFT}cluster_secret_env KV_SECRET\n`, 'x.conf', src).clusterSecret, 's3cret'));
  expectError(t, `${RAFT}cluster_secret_env NOPE\n`, 'SECRET_UNAVAILABLE', /^x\.conf:3: cluster_secret_env NOPE: the environment variable is not set$/, src);
  expectError(t, `${RAFT}cluster_secret_env BLANK\n`, 'SECRET_UNAVAILABLE', /BLANK: the environment variable is empty/, src);
  expectError(t, `${RAFT}cluster_secret_env 1BAD\n`, 'BAD_VALUE', /cluster_secret_env needs an environment variable name/, src);
});

test('at most one of the three secret lines', (t) => {
  const src = sources({ '/s': 'x' }, { V: 'y' });
  expectError(t, `${RAFT}cluster_secret a\ncluster_secret b\n`, 'DUPLICATE_PARAMETER', /^x\.conf:4: at most one of cluster_secret, cluster_secret_file, cluster_secret_env \(cluster_secret on line 3\)$/, src);
  expectError(t, `${RAFT}cluster_secret_env V\n! note\ncluster_secret_file /s\n`, 'DUPLICATE_PARAMETER', /^x\.conf:5: .*\(cluster_secret_env on line 3\)$/, src);
});

test('a bad cluster_secret line is a clear error that never echoes the secret', (t) => {
  const err = expectError(t, `${RAFT}cluster_secret two words\n`, 'EXTRA_TOKENS', /^x\.conf:3: cluster_secret takes one word, got 2 \(for a secret with blanks use cluster_secret_file\)$/);
  t.false(err?.message.includes('words') ?? true);
  expectError(t, `${RAFT}cluster_secret\n`, 'MISSING_VALUE', /^x\.conf:3: cluster_secret needs a value$/);
  expectError(t, `${RAFT}cluster_secret ${'x'.repeat(5000)}\n`, 'BAD_VALUE', /the secret is 5000 bytes, at most 4096/);
});
