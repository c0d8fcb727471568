import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { CONFIG_ERROR_CODES, ConfigError } from '../../src/config/config-error.js';
import type { SecretSources } from '../../src/config/cluster-secret.js';
import { endpointKey } from '../../src/config/address.js';
import { parseLabConfig, type LabConfig } from '../../src/config/lab-config.js';
import { violation, type FuzzTarget } from './fuzz-target.js';
import { mutated } from './mutate.js';
import { describe } from './resp-target.js';

const FILE = 'fuzz.conf';
/** A clear error is one line a person reads: bounded, whatever the input echoed. */
export const CONFIG_REASON_CHARS_MAX = 300;

/** Secrets come from here, never from the real file system or environment. */
const SECRETS: SecretSources = {
  readFile: (p) => {
    if (p === '/s') return Buffer.from('s3cret\n');
    if (p === '/empty') return Buffer.from('\n');
    throw Object.assign(new Error(`ENOENT ${p}`), { code: 'ENOENT' });
  },
  fileBytes: (p) => (p === '/s' ? 7 : p === '/empty' ? 1 : (() => { throw Object.assign(new Error(`ENOENT ${p}`), { code: 'ENOENT' }); })()),
  env: (n) => ({ V: 's3cret', BLANK: ' ' })[n],
};

type Outcome = { ok: true; config: unknown } | { ok: false; code: string; line: number | null; reason: string };

const TRANSCRIPT = { cluster: 'c', dialerRole: 'peer' as const, dialerId: 1, acceptorId: 2, dialerNonce: Buffer.alloc(32), acceptorNonce: Buffer.alloc(32) };

/** A parsed config with its secret replaced by what identifies it (its proof), so configs compare by value. */
function comparable(c: LabConfig): unknown {
  const { clusterSecret, ...rest } = c;
  return clusterSecret === undefined ? rest : { ...rest, clusterSecret: clusterSecret.proof('dialer', TRANSCRIPT).toString('hex') };
}

export function parseOutcome(text: string): Outcome {
  let config: LabConfig;
  try {
    config = parseLabConfig(text, FILE, SECRETS);
  } catch (err) {
    if (!(err instanceof ConfigError)) violation(`parseLabConfig threw ${describe(err)}, not a ConfigError`);
    const lines = text.split('\n').length;
    if (!(CONFIG_ERROR_CODES as readonly string[]).includes(err.code)) violation(`unknown error code ${err.code}`);
    if (err.file !== FILE) violation(`the error names file ${err.file}`);
    if (err.line !== null && (!Number.isInteger(err.line) || err.line < 1 || err.line > lines)) violation(`the error names line ${err.line} of ${lines}`);
    if (err.message !== (err.line === null ? `${FILE}: ${err.reason}` : `${FILE}:${err.line}: ${err.reason}`)) violation(`the message ${JSON.stringify(err.message)} does not name file and line`);
    if (err.reason.trim().length === 0 || err.reason.length > CONFIG_REASON_CHARS_MAX) violation(`unclear reason (${err.reason.length} chars): ${err.reason.slice(0, 200)}...`);
    if (/[\r\n]/.test(err.reason)) violation(`the reason spans lines: ${JSON.stringify(err.reason.slice(0, 200))}`);
    return { ok: false, code: err.code, line: err.line, reason: err.reason };
  }
  checkConfig(config);
  return { ok: true, config: comparable(config) };
}

/** What every accepted config must satisfy. */
function checkConfig(c: LabConfig): void {
  const keys = (c.kind === 'coordinator' ? [c.self, ...c.participants] : c.kind === 'participant' ? [c.self, c.coordinator] : c.peers.map((p) => p.address)).map(endpointKey);
  if (c.metricsListen !== undefined) keys.push(endpointKey(c.metricsListen));
  if (new Set(keys).size !== keys.length) violation(`accepted a config that uses an address twice: ${keys.join(', ')}`);
  if (c.kind === 'coordinator' && c.participants.length === 0) violation('accepted a coordinator without participants');
  if (c.kind === 'raft') {
    if (!c.peers.every((p, k) => p.id === k + 1)) violation('raft peer ids are not 1..n in order');
    if (!c.peers.some((p) => p.id === c.self.id && p.address === c.self.address)) violation('raft self is not among the peers');
  }
}

// ---- inputs ----

const ADDRESSES = ['127.0.0.1:8001', '127.0.0.1:8002', '127.0.0.1:8003', 'localhost:8002', '10.0.0.1:1', '255.255.255.255:65535',
  '256.1.1.1:1', '1.2.3.4:0', '1.2.3.4:65536', '01.2.3.4:5', '1.2.3:4', ':', '1.2.3.4:', '1.2.3.4:+5', '[::1]:5', 'host:5'];
const NUMBERS = ['0', '1', '2', '3', '16384', '16385', '-1', '1e3', '0x10', '01', '1000000000', '1000000001', '99999999999999999999', '536870912', '1mb', '64KB', '1gb', '5g', '1k'];
const WORDS = ['coordinator', 'participant', 'raft', 'info', 'debug', 's3cret', '/s', '/empty', '/nope', 'V', 'BLANK', 'NOPE', '1BAD', 'my-cluster', 'a.b_c', '-x', 'é', '\u0000', 'x'.repeat(400)];
const PARAMETERS = ['mode', 'coordinator_info', 'participant_info', 'follower_info', 'data_dir', 'node_id', 'log_level', 'snapshot_entries',
  'cluster_name', 'peer_route', 'bulk_bytes_max', 'groups', 'replicas', 'metrics_info', 'cluster_secret', 'cluster_secret_file', 'cluster_secret_env',
  'maxclients', 'timeout', 'client_query_buffer_limit', 'client_output_buffer_limit'];

const value = fc.oneof(fc.constantFrom(...ADDRESSES), fc.constantFrom(...NUMBERS), fc.constantFrom(...WORDS), fc.string({ maxLength: 12 }));
const blank = fc.constantFrom(' ', '\t', '  ', ' \t ');
const paramLine = fc
  .tuple(fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...PARAMETERS) }, { weight: 1, arbitrary: fc.constantFrom('MODE', 'junk', 'mode:', '!mode') }), fc.array(fc.tuple(blank, value), { maxLength: 3 }), fc.constantFrom('', ' ', '\t', '\r'))
  .map(([p, vs, tail]) => `${p}${vs.map(([b, v]) => `${b}${v}`).join('')}${tail}`);
const line = fc.oneof(
  { weight: 8, arbitrary: paramLine },
  { weight: 1, arbitrary: fc.constantFrom('', '   ', '! a comment', '  ! indented', '!', '\r') },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
);
const grammarArb = fc.tuple(fc.array(line, { maxLength: 14 }), fc.boolean(), fc.boolean()).map(([ls, crlf, bom]) => `${bom ? '\uFEFF' : ''}${ls.join(crlf ? '\r\n' : '\n')}`);

const SAMPLES = [
  'mode coordinator\ncoordinator_info 127.0.0.1:8001\nparticipant_info 127.0.0.1:8002\nparticipant_info 127.0.0.1:8003\nparticipant_info 127.0.0.1:8004\ngroups 3\nreplicas 3\n',
  'mode participant\nparticipant_info 127.0.0.1:8002\ncoordinator_info 127.0.0.1:8001\ndata_dir data/participant1\ncluster_secret_file /s\n',
  'follower_info 127.0.0.1:8101\nfollower_info 127.0.0.1:8102\nfollower_info 127.0.0.1:8103\ndata_dir data/raft1\nnode_id 1\nmetrics_info 127.0.0.1:9101\ncluster_secret s3cret\n',
  'mode raft\nfollower_info 127.0.0.1:8103\nfollower_info localhost:8101\npeer_route 127.0.0.1:8101 127.0.0.1:9001\nsnapshot_entries 100\nbulk_bytes_max 1024\ncluster_name lab\nlog_level warn\ncluster_secret_env V\n',
];
const CONFIG_TOKENS = ['\n', '\r\n', ' ', '\t', '!', ':', '.', '0', '9', 'mode ', '\nmode raft\n', 'follower_info ', 'participant_info 127.0.0.1:8002', '\uFEFF', '\u00a0', '\u2028', '\u0085'];

export const configArb: fc.Arbitrary<string> = fc.oneof(
  grammarArb,
  mutated(fc.constantFrom(...SAMPLES).map((s) => Buffer.from(s, 'utf8')), CONFIG_TOKENS).map((b) => b.toString('utf8')),
  fc.string({ unit: 'binary', maxLength: 200 }),
);

/**
 * The lab config parser: only ConfigError, naming file and a real line,
 * with a bounded one-line reason; accepted configs hold their invariants;
 * line ends (LF/CRLF), a BOM, comments and blank lines change nothing but
 * line numbers, which shift exactly by the lines added in front.
 */
export const configTarget: FuzzTarget<string> = {
  name: 'config',
  about: 'lab config parser (src/config/lab-config.ts), grammar-built and mutated sample configs',
  arbitrary: configArb,
  check(text) {
    const base = parseOutcome(text);
    const same = (variant: string, what: string, lineShift = 0): void => {
      const o = parseOutcome(variant);
      const expected = base.ok || base.line === null || lineShift === 0 ? base : { ...base, line: base.line + lineShift, reason: base.reason };
      // A reason may cite other line numbers ("first on line 3"): shift those too.
      const shiftCited = (r: string): string => (lineShift === 0 ? r : r.replace(/line (\d+)/g, (_m, n: string) => `line ${Number(n) + lineShift}`));
      const want = expected.ok ? expected : { ...expected, reason: shiftCited(expected.reason) };
      if (!isDeepStrictEqual(o, want)) violation(`${what} changed the outcome: ${JSON.stringify(o).slice(0, 300)} vs ${JSON.stringify(want).slice(0, 300)}; text ${JSON.stringify(text.slice(0, 300))}`);
    };
    // CRLF only where the text has bare LF; a text with lone CRs keeps them.
    if (!text.includes('\r')) same(text.replace(/\n/g, '\r\n'), 'CRLF line ends');
    same(`${text}\n! appended comment\n   \n`, 'trailing comment and blank lines');
    if (!text.startsWith('\uFEFF')) {
      same(`\uFEFF${text}`, 'a BOM');
      same(`! leading comment\n\n${text}`, 'two leading comment/blank lines', 2);
    }
  },
};
