import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, type ConfigErrorCode } from '../../src/config/config-error.js';
import { exitOnConfigError, loadConfigFile, loadConfigFileOrExit, parseLabConfig, type ExitIo } from '../../src/config/lab-config.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function expectError(t: import('ava').ExecutionContext, text: string, code: ConfigErrorCode, message: string) {
  const err = t.throws(() => parseLabConfig(text, 'config/x.conf'), { instanceOf: ConfigError });
  t.is(err?.code, code, text);
  t.is(err?.message, message);
}

test('the lab coordinator example', (t) => {
  const c = parseLabConfig(
    'mode coordinator\ncoordinator_info 127.0.0.1:8001\nparticipant_info 127.0.0.1:8002\nparticipant_info 127.0.0.1:8003\nparticipant_info 127.0.0.1:8004\n',
    'c.conf',
  );
  t.deepEqual(c, {
    kind: 'coordinator',
    file: 'c.conf',
    self: { host: '127.0.0.1', port: 8001 },
    participants: [8002, 8003, 8004].map((port) => ({ host: '127.0.0.1', port })),
  });
});

test('the lab participant example', (t) => {
  const c = parseLabConfig('mode participant\nparticipant_info 127.0.0.1:8002\ncoordinator_info 127.0.0.1:8001\n', 'p.conf');
  t.deepEqual(c, {
    kind: 'participant',
    file: 'p.conf',
    self: { host: '127.0.0.1', port: 8002 },
    coordinator: { host: '127.0.0.1', port: 8001 },
  });
});

test('comments, blank lines, tabs, trailing spaces, CRLF and a BOM are tolerated', (t) => {
  const text = '\uFEFF! a comment\r\n\r\n   ! indented comment\r\nmode\tcoordinator  \r\n  coordinator_info \t 127.0.0.1:8001\t\r\n\r\nparticipant_info   localhost:8002   \r\n';
  const c = parseLabConfig(text, 'c.conf');
  t.is(c.kind, 'coordinator');
  if (c.kind !== 'coordinator') return;
  t.deepEqual(c.participants, [{ host: 'localhost', port: 8002 }]);
});

test('raft: first follower_info is self; ids are ranks of sorted addresses, equal in every rotated file', (t) => {
  const addrs = ['127.0.0.1:8101', '127.0.0.1:8102', '127.0.0.1:8103'];
  for (let i = 0; i < 3; i++) {
    const rotated = [...addrs.slice(i), ...addrs.slice(0, i)];
    const c = parseLabConfig(rotated.map((a) => `follower_info ${a}`).join('\n'), `raft${i + 1}.conf`);
    t.is(c.kind, 'raft');
    if (c.kind !== 'raft') return;
    t.deepEqual(c.self, { id: i + 1, address: { host: '127.0.0.1', port: 8101 + i } });
    t.deepEqual(c.peers.map((p) => [p.id, p.address.port]), [[1, 8101], [2, 8102], [3, 8103]]);
  }
  // Numeric, not textual, order: 10.0.0.9 < 10.0.0.10, and ports numerically.
  const c = parseLabConfig('mode raft\nfollower_info 10.0.0.10:1\nfollower_info 10.0.0.9:1\nfollower_info 10.0.0.9:900\nfollower_info 10.0.0.9:80', 'r.conf');
  if (c.kind !== 'raft') return t.fail();
  t.deepEqual(c.peers.map((p) => `${p.id}=${p.address.host}:${p.address.port}`), ['1=10.0.0.9:1', '2=10.0.0.9:80', '3=10.0.0.9:900', '4=10.0.0.10:1']);
  t.is(c.self.id, 4);
});

test('extensions are parsed and typed', (t) => {
  const c = parseLabConfig(
    'follower_info 127.0.0.1:8102\nfollower_info 127.0.0.1:8101\ndata_dir /tmp/kv-2\nnode_id 2\nlog_level debug\nsnapshot_entries 10000\ncluster_name lab-3.a_b\n',
    'r.conf',
  );
  t.like(c, { kind: 'raft', dataDir: '/tmp/kv-2', logLevel: 'debug', snapshotEntries: 10000, clusterName: 'lab-3.a_b' });
  const p = parseLabConfig('mode participant\nparticipant_info 127.0.0.1:8002\ncoordinator_info 127.0.0.1:8001\ndata_dir d\n', 'p.conf');
  t.like(p, { dataDir: 'd' });
  t.false('logLevel' in p); // absent, not undefined
});

test('groups and replicas on a coordinator config, groups on a raft config', (t) => {
  const coordinator = 'mode coordinator\ncoordinator_info 127.0.0.1:8001\nparticipant_info 127.0.0.1:8002\nparticipant_info 127.0.0.1:8003\nparticipant_info 127.0.0.1:8004\n';
  t.like(parseLabConfig(`${coordinator}groups 16384\nreplicas 3\n`, 'c.conf'), { kind: 'coordinator', groups: 16384, replicas: 3 });
  t.like(parseLabConfig(`${coordinator}groups 1\nreplicas 1\n`, 'c.conf'), { groups: 1, replicas: 1 });
  const plain = parseLabConfig(coordinator, 'c.conf');
  t.false('groups' in plain, 'absent, not undefined');
  t.false('replicas' in plain);
  const raft = parseLabConfig('follower_info 127.0.0.1:8101\nfollower_info 127.0.0.1:8102\ngroups 8\n', 'r.conf');
  t.like(raft, { kind: 'raft', groups: 8 });
  t.false('replicas' in raft);
  t.false('groups' in parseLabConfig('follower_info 127.0.0.1:8101\n', 'r.conf'));
});

test('groups and replicas values are checked: integers in range, replicas at most the participants', (t) => {
  const coordinator = 'mode coordinator\ncoordinator_info 127.0.0.1:8001\nparticipant_info 127.0.0.1:8002\nparticipant_info 127.0.0.1:8003\nparticipant_info 127.0.0.1:8004\n';
  const groupsRange = 'must be an integer in 1..16384 (each group owns at least one slot)';
  expectError(t, `${coordinator}groups 0\n`, 'BAD_VALUE', `config/x.conf:6: groups ${groupsRange}, got "0"`);
  expectError(t, `${coordinator}groups 16385\n`, 'BAD_VALUE', `config/x.conf:6: groups ${groupsRange}, got "16385"`);
  expectError(t, `${coordinator}groups 2.5\n`, 'BAD_VALUE', `config/x.conf:6: groups ${groupsRange}, got "2.5"`);
  expectError(t, `${coordinator}groups -1\n`, 'BAD_VALUE', `config/x.conf:6: groups ${groupsRange}, got "-1"`);
  expectError(t, `${coordinator}groups 08\n`, 'BAD_VALUE', `config/x.conf:6: groups ${groupsRange}, got "08"`);
  expectError(t, `${coordinator}groups many\n`, 'BAD_VALUE', `config/x.conf:6: groups ${groupsRange}, got "many"`);
  expectError(t, `${coordinator}replicas 4\n`, 'BAD_VALUE',
    'config/x.conf:6: replicas must be an integer in 1..3 (at most one per participant_info line), got "4"');
  expectError(t, `${coordinator}replicas 0\n`, 'BAD_VALUE',
    'config/x.conf:6: replicas must be an integer in 1..3 (at most one per participant_info line), got "0"');
  expectError(t, `${coordinator}replicas three\n`, 'BAD_VALUE',
    'config/x.conf:6: replicas must be an integer in 1..3 (at most one per participant_info line), got "three"');
  expectError(t, `${coordinator}groups 3\ngroups 4\n`, 'DUPLICATE_PARAMETER', 'config/x.conf:7: groups may appear once (first on line 6)');
  expectError(t, `${coordinator}replicas 2\nreplicas 2\n`, 'DUPLICATE_PARAMETER', 'config/x.conf:7: replicas may appear once (first on line 6)');
  expectError(t, `${coordinator}groups 3 4\n`, 'EXTRA_TOKENS', 'config/x.conf:6: groups takes one value, got 2: 3 4');
  expectError(t, `${coordinator}replicas\n`, 'MISSING_VALUE', 'config/x.conf:6: replicas needs a value');
  expectError(t, 'follower_info 127.0.0.1:8101\ngroups 0\n', 'BAD_VALUE', `config/x.conf:2: groups ${groupsRange}, got "0"`);
});

test('the shipped sample configs parse and agree with each other', async (t) => {
  const coord = await loadConfigFile(join(root, 'config/coordinator.conf'));
  if (coord.kind !== 'coordinator') return t.fail();
  t.deepEqual(coord.self, { host: '127.0.0.1', port: 8001 });
  for (let i = 1; i <= 3; i++) {
    const p = await loadConfigFile(join(root, `config/participant${i}.conf`));
    if (p.kind !== 'participant') return t.fail();
    t.deepEqual(p.coordinator, coord.self);
    t.deepEqual(p.self, coord.participants[i - 1]);
    const r = await loadConfigFile(join(root, `config/raft${i}.conf`));
    if (r.kind !== 'raft') return t.fail();
    t.is(r.self.id, i);
    t.is(r.self.address.port, 8100 + i);
    t.deepEqual(r.peers.map((x) => x.address.port), [8101, 8102, 8103]);
  }
});

test('line-level errors name file and line', (t) => {
  expectError(t, 'mode coordinator\ncoordinator_info 127.0.0.1:8001\nfoo bar\n', 'UNKNOWN_PARAMETER', 'config/x.conf:3: unknown parameter "foo"');
  expectError(t, 'mode coordinator\ncoordinator_info\n', 'MISSING_VALUE', 'config/x.conf:2: coordinator_info needs a value');
  expectError(t, 'mode coordinator\ncoordinator_info 127.0.0.1:8001 127.0.0.1:8002\n', 'EXTRA_TOKENS', 'config/x.conf:2: coordinator_info takes one value, got 2: 127.0.0.1:8001 127.0.0.1:8002');
  expectError(t, 'mode coordinator\ncoordinator_info 127.0.0.1:8001 ! trailing comment\nparticipant_info 127.0.0.1:8002', 'EXTRA_TOKENS', 'config/x.conf:2: coordinator_info takes one value, got 4: 127.0.0.1:8001 ! trailing comment');
  expectError(t, 'Mode coordinator\n', 'UNKNOWN_PARAMETER', 'config/x.conf:1: unknown parameter "Mode"');
});

test('bad addresses', (t) => {
  const bad: Array<[string, string]> = [
    ['127.0.0.1', 'expected IP:PORT'],
    ['127.0.0.1:', 'expected IP:PORT'],
    [':8001', 'expected IP:PORT'],
    ['127.0.0.1:0', 'port "0"'],
    ['127.0.0.1:65536', 'port "65536"'],
    ['127.0.0.1:080', 'port "080"'],
    ['127.0.0.1:80a', 'port "80a"'],
    ['127.0.0.1:-1', 'port "-1"'],
    ['256.0.0.1:80', 'not an IPv4 address'],
    ['1.2.3:80', 'not an IPv4 address'],
    ['1.2.3.4.5:80', 'not an IPv4 address'],
    ['01.2.3.4:80', 'not an IPv4 address'],
    ['example.com:80', 'not an IPv4 address'],
    ['[::1]:80', 'not an IPv4 address'],
  ];
  for (const [addr, why] of bad) {
    const err = t.throws(() => parseLabConfig(`mode participant\nparticipant_info ${addr}\ncoordinator_info 127.0.0.1:8001`, 'p.conf'), { instanceOf: ConfigError });
    t.is(err?.code, 'BAD_ADDRESS', addr);
    t.true(err?.message.startsWith(`p.conf:2: bad address "${addr}"`), err?.message);
    t.true(err?.message.includes(why), `${addr}: ${err?.message}`);
  }
  t.notThrows(() => parseLabConfig('mode participant\nparticipant_info 0.0.0.0:65535\ncoordinator_info 255.255.255.255:1', 'p.conf'));
});

test('mode: missing, not first, twice, unknown', (t) => {
  expectError(t, '! c\ncoordinator_info 127.0.0.1:8001\nparticipant_info 127.0.0.1:8002\n', 'MISSING_MODE',
    'config/x.conf:2: the first parameter line must be "mode coordinator" or "mode participant"');
  expectError(t, '', 'MISSING_MODE', 'config/x.conf: the first parameter line must be "mode coordinator" or "mode participant"');
  expectError(t, '! only comments\n\n', 'MISSING_MODE', 'config/x.conf: the first parameter line must be "mode coordinator" or "mode participant"');
  expectError(t, 'coordinator_info 127.0.0.1:8001\nmode coordinator\n', 'MODE_NOT_FIRST',
    'config/x.conf:2: mode must be the first parameter line (line 1 comes before it)');
  expectError(t, 'mode coordinator\nmode coordinator\n', 'DUPLICATE_MODE', 'config/x.conf:2: mode given twice (first on line 1)');
  expectError(t, 'mode leader\n', 'BAD_VALUE', 'config/x.conf:1: unknown mode "leader" (expected coordinator, participant or raft)');
  expectError(t, 'follower_info 127.0.0.1:1\nmode raft\n', 'MODE_NOT_FIRST', 'config/x.conf:2: mode must be the first parameter line (line 1 comes before it)');
});

test('coordinator: needs exactly one coordinator_info and at least one participant', (t) => {
  expectError(t, '! c\nmode coordinator\ncoordinator_info 127.0.0.1:8001\n', 'MISSING_PARAMETER', 'config/x.conf:2: missing participant_info (one per participant)');
  expectError(t, 'mode coordinator\nparticipant_info 127.0.0.1:8002\n', 'MISSING_PARAMETER', 'config/x.conf:1: missing coordinator_info (the coordinator\'s own address)');
  expectError(t, 'mode coordinator\ncoordinator_info 127.0.0.1:8001\ncoordinator_info 127.0.0.1:8009\nparticipant_info 127.0.0.1:8002\n', 'DUPLICATE_PARAMETER',
    'config/x.conf:3: coordinator_info may appear once (first on line 2)');
});

test('participant: exactly one participant_info and one coordinator_info', (t) => {
  expectError(t, 'mode participant\nparticipant_info 127.0.0.1:8002\nparticipant_info 127.0.0.1:8003\ncoordinator_info 127.0.0.1:8001\n', 'DUPLICATE_PARAMETER',
    'config/x.conf:3: participant_info may appear once (first on line 2)');
  expectError(t, 'mode participant\ncoordinator_info 127.0.0.1:8001\n', 'MISSING_PARAMETER', 'config/x.conf:1: missing participant_info (this participant\'s own address)');
  expectError(t, 'mode participant\nparticipant_info 127.0.0.1:8002\n', 'MISSING_PARAMETER', 'config/x.conf:1: missing coordinator_info (the coordinator\'s address)');
});

test('raft: mode raft with no followers', (t) => {
  expectError(t, 'mode raft\ndata_dir d\n', 'MISSING_PARAMETER', 'config/x.conf:1: missing follower_info (one per peer, this peer first)');
});

test('duplicate addresses, including localhost vs 127.0.0.1', (t) => {
  expectError(t, 'mode coordinator\ncoordinator_info 127.0.0.1:8001\nparticipant_info 127.0.0.1:8002\nparticipant_info 127.0.0.1:8002\n', 'DUPLICATE_ADDRESS',
    'config/x.conf:4: address 127.0.0.1:8002 already used on line 3 (participant_info)');
  expectError(t, 'mode coordinator\ncoordinator_info 127.0.0.1:8001\nparticipant_info localhost:8001\n', 'DUPLICATE_ADDRESS',
    'config/x.conf:3: address localhost:8001 already used on line 2 (coordinator_info)');
  expectError(t, 'mode participant\ncoordinator_info 127.0.0.1:8001\nparticipant_info 127.0.0.1:8001\n', 'DUPLICATE_ADDRESS',
    'config/x.conf:3: address 127.0.0.1:8001 already used on line 2 (coordinator_info)');
  expectError(t, 'follower_info 127.0.0.1:8101\nfollower_info 127.0.0.1:8102\nfollower_info 127.0.0.1:8101\n', 'DUPLICATE_ADDRESS',
    'config/x.conf:3: address 127.0.0.1:8101 already used on line 1 (follower_info)');
});

test('parameters that do not belong to the mode', (t) => {
  expectError(t, 'mode coordinator\ncoordinator_info 127.0.0.1:8001\nfollower_info 127.0.0.1:8002\n', 'WRONG_MODE_PARAMETER',
    'config/x.conf:3: follower_info does not belong in a coordinator config');
  expectError(t, 'mode participant\nnode_id 1\n', 'WRONG_MODE_PARAMETER', 'config/x.conf:2: node_id does not belong in a participant config');
  expectError(t, 'mode coordinator\nsnapshot_entries 5\n', 'WRONG_MODE_PARAMETER', 'config/x.conf:2: snapshot_entries does not belong in a coordinator config');
  expectError(t, 'follower_info 127.0.0.1:8101\ncoordinator_info 127.0.0.1:8001\n', 'WRONG_MODE_PARAMETER',
    'config/x.conf:2: coordinator_info does not belong in a raft config');
  expectError(t, 'mode raft\nparticipant_info 127.0.0.1:8001\n', 'WRONG_MODE_PARAMETER', 'config/x.conf:2: participant_info does not belong in a raft config');
  expectError(t, 'follower_info 127.0.0.1:8101\nreplicas 1\n', 'WRONG_MODE_PARAMETER',
    'config/x.conf:2: replicas does not belong in a raft config');
  expectError(t, 'mode participant\nparticipant_info 127.0.0.1:8002\ncoordinator_info 127.0.0.1:8001\ngroups 3\n', 'WRONG_MODE_PARAMETER',
    'config/x.conf:4: groups does not belong in a participant config');
  expectError(t, 'mode participant\nparticipant_info 127.0.0.1:8002\ncoordinator_info 127.0.0.1:8001\nreplicas 3\n', 'WRONG_MODE_PARAMETER',
    'config/x.conf:4: replicas does not belong in a participant config');
});

test('extension values are checked', (t) => {
  const raft = 'follower_info 127.0.0.1:8101\nfollower_info 127.0.0.1:8102\n';
  expectError(t, `${raft}node_id 2\n`, 'BAD_VALUE',
    'config/x.conf:3: node_id 2 does not match this peer\'s id 1 (ids are ranks of the follower_info addresses in sorted order)');
  expectError(t, `${raft}node_id 0\n`, 'BAD_VALUE', 'config/x.conf:3: node_id must be an integer in 1..256, got "0"');
  expectError(t, `${raft}node_id x\n`, 'BAD_VALUE', 'config/x.conf:3: node_id must be an integer in 1..256, got "x"');
  expectError(t, `${raft}log_level loud\n`, 'BAD_VALUE', 'config/x.conf:3: log_level must be one of fatal, error, warn, info, debug, trace, silent, got "loud"');
  expectError(t, `${raft}snapshot_entries 1.5\n`, 'BAD_VALUE', 'config/x.conf:3: snapshot_entries must be an integer in 1..1000000000, got "1.5"');
  expectError(t, `${raft}snapshot_entries 1000000001\n`, 'BAD_VALUE', 'config/x.conf:3: snapshot_entries must be an integer in 1..1000000000, got "1000000001"');
  expectError(t, `${raft}cluster_name -x\n`, 'BAD_VALUE', 'config/x.conf:3: cluster_name must match [A-Za-z0-9][A-Za-z0-9._-]{0,63}, got "-x"');
  expectError(t, `${raft}data_dir a\ndata_dir b\n`, 'DUPLICATE_PARAMETER', 'config/x.conf:4: data_dir may appear once (first on line 3)');
  expectError(t, `${raft}data_dir my dir\n`, 'EXTRA_TOKENS', 'config/x.conf:3: data_dir takes one value, got 2: my dir');
});

test('too many addresses', (t) => {
  const lines = Array.from({ length: 257 }, (_, i) => `follower_info 10.0.${i >> 8}.${i & 0xff}:1`);
  const err = t.throws(() => parseLabConfig(lines.join('\n'), 'r.conf'), { instanceOf: ConfigError });
  t.is(err?.code, 'TOO_MANY_ADDRESSES');
  t.notThrows(() => parseLabConfig(lines.slice(0, 256).join('\n'), 'r.conf'));
});

test('loadConfigFile: unreadable and oversized files are ConfigErrors naming the path', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kvstore-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const missing = join(dir, 'nope.conf');
  const err = await t.throwsAsync(loadConfigFile(missing), { instanceOf: ConfigError });
  t.is(err?.code, 'READ_FAILED');
  // The path and the code once each, and what the system said in words.
  t.is(err?.message, `${missing}: cannot read config file (ENOENT): no such file or directory`);
  const big = join(dir, 'big.conf');
  writeFileSync(big, `! ${'x'.repeat(1024 * 1024)}\n`);
  const err2 = await t.throwsAsync(loadConfigFile(big), { instanceOf: ConfigError });
  t.is(err2?.code, 'TOO_LARGE');
});

test('exitOnConfigError prints the message and exits 2; other errors are rethrown', async (t) => {
  const written: string[] = [];
  const io: ExitIo = {
    writeError: (s) => written.push(s),
    exit: (status) => {
      throw new Error(`exit ${status}`);
    },
  };
  t.throws(() => exitOnConfigError(new ConfigError('UNKNOWN_PARAMETER', 'x.conf', 3, 'unknown parameter "foo"'), io), { message: 'exit 2' });
  t.deepEqual(written, ['x.conf:3: unknown parameter "foo"\n']);
  const bug = new TypeError('bug');
  t.is(t.throws(() => exitOnConfigError(bug, io)), bug);
  await t.throwsAsync(loadConfigFileOrExit('/nonexistent/kvstore.conf', io), { message: 'exit 2' });
});

test('a real process exits with status 2 and one stderr line on a bad config', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kvstore-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'bad.conf');
  writeFileSync(file, 'mode coordinator\ncoordinator_info 127.0.0.1:8001\nfoo bar\n');
  const script = `import { loadConfigFileOrExit } from ${JSON.stringify(join(root, 'src/config/lab-config.ts'))};
await loadConfigFileOrExit(${JSON.stringify(file)}); console.log('not reached');`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000, cwd: root });
  t.is(r.status, 2, r.stderr);
  t.is(r.stdout, '');
  t.is(r.stderr, `${file}:3: unknown parameter "foo"\n`);
});

test('peer_route PEER VIA: dial a peer through another address (e.g. a test proxy); both must be addresses', (t) => {
  const cfg = parseLabConfig('follower_info 127.0.0.1:8101\nfollower_info 127.0.0.1:8102\npeer_route 127.0.0.1:8102 127.0.0.1:9102\n', 'r.conf');
  t.is(cfg.kind, 'raft');
  t.deepEqual([...(cfg.peerRoutes?.values() ?? [])], [{ host: '127.0.0.1', port: 9102 }]);
  expectError(t, 'follower_info 127.0.0.1:8101\npeer_route 127.0.0.1:8102\n', 'MISSING_VALUE', 'config/x.conf:2: peer_route needs 2 values');
  expectError(t, 'follower_info 127.0.0.1:8101\npeer_route 127.0.0.1:8102 nowhere:1\n', 'BAD_ADDRESS', 'config/x.conf:2: bad address "nowhere:1": "nowhere" is not an IPv4 address (a.b.c.d, each 0..255) or localhost');
});

test('metrics_info IP:PORT on every kind of node: where it serves /metrics', (t) => {
  const c = parseLabConfig('mode coordinator\ncoordinator_info 127.0.0.1:8001\nparticipant_info 127.0.0.1:8002\nmetrics_info 127.0.0.1:9001\n', 'c.conf');
  t.deepEqual(c.metricsListen, { host: '127.0.0.1', port: 9001 });
  const p = parseLabConfig('mode participant\nparticipant_info 127.0.0.1:8002\ncoordinator_info 127.0.0.1:8001\nmetrics_info localhost:9002\n', 'p.conf');
  t.deepEqual(p.metricsListen, { host: 'localhost', port: 9002 });
  const r = parseLabConfig('follower_info 127.0.0.1:8101\nfollower_info 127.0.0.1:8102\nmetrics_info 127.0.0.1:9101\n', 'r.conf');
  t.deepEqual(r.metricsListen, { host: '127.0.0.1', port: 9101 });
  t.false('metricsListen' in parseLabConfig('follower_info 127.0.0.1:8101\n', 'r.conf'), 'absent: no metrics');
});

test('a bad metrics_info is a clear error naming the line: bad address, twice, or an address the node uses already', (t) => {
  expectError(t, 'follower_info 127.0.0.1:8101\nmetrics_info 127.0.0.1:70000\n', 'BAD_ADDRESS', 'config/x.conf:2: bad address "127.0.0.1:70000": port "70000" is not an integer in 1..65535');
  expectError(t, 'follower_info 127.0.0.1:8101\nmetrics_info 9000\n', 'BAD_ADDRESS', 'config/x.conf:2: bad address "9000": expected IP:PORT, e.g. 127.0.0.1:8001');
  expectError(t, 'follower_info 127.0.0.1:8101\nmetrics_info 127.0.0.1:9000\nmetrics_info 127.0.0.1:9001\n', 'DUPLICATE_PARAMETER', 'config/x.conf:3: metrics_info may appear once (first on line 2)');
  expectError(t, 'follower_info 127.0.0.1:8101\nmetrics_info localhost:8101\n', 'DUPLICATE_ADDRESS', 'config/x.conf:2: address localhost:8101 already used on line 1 (follower_info)');
  expectError(
    t,
    'mode participant\nparticipant_info 127.0.0.1:8002\ncoordinator_info 127.0.0.1:8001\nmetrics_info 127.0.0.1:8001\n',
    'DUPLICATE_ADDRESS',
    'config/x.conf:4: address 127.0.0.1:8001 already used on line 3 (coordinator_info)',
  );
  expectError(t, 'follower_info 127.0.0.1:8101\nmetrics_info 127.0.0.1:9000 extra\n', 'EXTRA_TOKENS', 'config/x.conf:2: metrics_info takes one value, got 2: 127.0.0.1:9000 extra');
});
