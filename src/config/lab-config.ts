import { readFile } from 'node:fs/promises';
import { assertNever } from '../../raft/assert.js';
import { addressProblem, endpointKey, parseEndpoint, type Endpoint } from './address.js';
import { LAYOUT_LIMITS } from '../sharding/layout.js';
import { rankAddresses } from '../sharding/rank.js';
import { ConfigError, elideValue, quoteValue, type ConfigErrorCode } from './config-error.js';
import type { ClusterSecret } from '../net/peer-auth.js';
import { RequirePass, REQUIREPASS_BYTES_MAX } from '../server/client-auth.js';
import { CLIENT_LIMIT_CEILINGS, parseMemoryBytes, QUERY_BUFFER_BYTES_MIN, type ClientLimits } from '../server/client-limits.js';
import { isSecretParameter, PROCESS_SECRET_SOURCES, resolveClusterSecret, SecretProblem, SECRET_PARAMETERS, type SecretSources } from './cluster-secret.js';
import { MEMCACHE_PARAMETERS, memcacheSettings } from './memcache-config.js';
import type { MemcacheSettings } from '../memcache/memcache-door.js';

/**
 * The lab's config files: `parameter value` lines, `!` comments.
 *
 * | parameter          | kinds                  | meaning                                                     |
 * | ------------------ | ---------------------- | ----------------------------------------------------------- |
 * | mode               | all (raft: optional)   | `coordinator`, `participant` or `raft`; first parameter line |
 * | coordinator_info   | coordinator, participant | the coordinator's IP:PORT (exactly one)                   |
 * | participant_info   | coordinator, participant | coordinator: each participant (>= 1); participant: itself |
 * | follower_info      | raft                   | each peer's IP:PORT (>= 1); the first line is this peer     |
 * | data_dir PATH      | all (extension)        | where this node keeps its LevelDB (one token, no spaces)    |
 * | node_id N          | raft (extension)       | pins this peer's id; must equal the id derived below        |
 * | log_level LEVEL    | all (extension)        | fatal, error, warn, info, debug, trace or silent            |
 * | snapshot_entries N | participant, raft (ext.) | applied entries between snapshots, 1..1e9                 |
 * | bulk_bytes_max N   | all (ext.)              | largest RESP bulk string a client may send, 1..512 MiB    |
 * | cluster_name NAME  | all (extension)        | checked in the peer handshake; [A-Za-z0-9][A-Za-z0-9._-]{0,63} |
 * | groups N           | coordinator, raft (ext.) | Raft groups the 16384 slots are split into, 1..16384       |
 * | replicas R         | coordinator (ext.)     | replicas of each group, 1..participants (raft: every peer)  |
 * | metrics_info IP:PORT | all (extension)      | serve /metrics, /health, /readyz, /status over HTTP here     |
 * | cluster_secret WORD, cluster_secret_file PATH, cluster_secret_env VAR | all (ext.) | the secret peers prove in the handshake; at most one of the three |
 * | requirepass WORD   | all (extension)        | clients must AUTH with this password first (Redis's requirepass) |
 * | redis_info IP:PORT | coordinator, raft (ext.) | a Redis endpoint (RESP2/RESP3, real Redis replies) here     |
 * | maxclients N       | all (extension)        | client connections at once over the node's doors (Redis's), 1..1e6 |
 * | timeout SECONDS    | all (extension)        | close clients idle this long; 0 = never (Redis's timeout)   |
 * | client_query_buffer_limit BYTES | all (ext.) | most bytes one request may declare, 1mb..4gb (Redis units) |
 * | client_output_buffer_limit HARD SOFT SECONDS | all (ext.) | close a client whose unsent replies pass HARD, or SOFT for SECONDS |
 * | memcache_info IP:PORT, memcache_allow CIDRS, memcache_item_max BYTES | coordinator, raft (ext.) | a memcached text endpoint (memcache-config.ts) |
 *
 * Raft peer ids: every peer's id is the 1-based rank of its address in
 * sorted (numeric IP, then port) order. Not file position: each peer's file
 * lists itself first, so positions differ between files, while ranks are the
 * same in all of them. config/README.md says the same for users.
 *
 * groups and replicas only describe the placement (src/sharding/layout.ts
 * applies the defaults and places the groups); the parser checks that the
 * numbers are in range for this file.
 */

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Our optional extension lines; absent means "use the program's default". */
export interface ConfigExtensions {
  readonly dataDir?: string;
  readonly logLevel?: LogLevel;
  readonly snapshotEntries?: number;
  /** bulk_bytes_max N: the largest RESP bulk string a client may send (bytes). */
  readonly bulkBytesMax?: number;
  readonly clusterName?: string;
  /**
   * peer_route PEER VIA: dial PEER (as named in the group) at VIA instead, e.g.
   * a fault-injecting proxy a test harness places between peers. Keyed by
   * endpointKey(PEER).
   */
  readonly peerRoutes?: ReadonlyMap<string, Endpoint>;
  /** metrics_info IP:PORT: where this node serves its metrics over HTTP. Invariant: none of the file's other addresses. */
  readonly metricsListen?: Endpoint;
  /** cluster_secret / _file / _env: proved both ways in every peer handshake (src/net/peer-handshake.ts). */
  readonly clusterSecret?: ClusterSecret;
  /** requirepass WORD: the client port's password (src/server/client-auth.ts). */
  readonly requirepass?: RequirePass;
  /** redis_info IP:PORT: where this node serves the Redis endpoint (coordinator and raft peers). Invariant: none of the file's other addresses. */
  readonly redisListen?: Endpoint;
  /** maxclients, timeout, client_query_buffer_limit, client_output_buffer_limit: the lines given (src/server/client-limits.ts has the rest). */
  readonly clientLimits?: Partial<ClientLimits>;
  /** memcache_info (+ memcache_allow, memcache_item_max): the memcached endpoint. Invariant: its address is none of the file's others. */
  readonly memcache?: MemcacheSettings;
}

export interface CoordinatorConfig extends ConfigExtensions {
  readonly kind: 'coordinator';
  readonly file: string;
  /** coordinator_info: where this coordinator listens. */
  readonly self: Endpoint;
  /** participant_info lines, in file order. Invariant: non-empty, distinct. */
  readonly participants: readonly Endpoint[];
  /** groups N: Raft groups over the participants. Invariant: 1..LAYOUT_LIMITS.groupsMax. */
  readonly groups?: number;
  /** replicas R: participants holding each group. Invariant: 1..participants.length. */
  readonly replicas?: number;
}

export interface ParticipantConfig extends ConfigExtensions {
  readonly kind: 'participant';
  readonly file: string;
  /** participant_info: where this participant listens. */
  readonly self: Endpoint;
  readonly coordinator: Endpoint;
}

export interface RaftPeer {
  readonly id: number;
  readonly address: Endpoint;
}

export interface RaftConfig extends ConfigExtensions {
  readonly kind: 'raft';
  readonly file: string;
  /** The first follower_info line. Invariant: self is in peers. */
  readonly self: RaftPeer;
  /** Every follower_info line, self included, sorted by id (ids 1..n). */
  readonly peers: readonly RaftPeer[];
  /** groups N: Raft groups, each on every peer. Invariant: 1..LAYOUT_LIMITS.groupsMax. */
  readonly groups?: number;
}

export type LabConfig = CoordinatorConfig | ParticipantConfig | RaftConfig;
export type ConfigKind = LabConfig['kind'];

/** Limits on what a config may hold. */
export const configBytesMax = 1024 * 1024;
export const addressesMax = 256;
const snapshotEntriesMax = 1_000_000_000;
/** RESP's own ceiling for a bulk string (as Redis's proto-max-bulk-len). */
const bulkBytesCeiling = 512 * 1024 * 1024;

/** The lines of src/server/client-limits.ts, named as Redis's (underscores for dashes, as our other lines). */
const CLIENT_LIMIT_PARAMETERS = ['maxclients', 'timeout', 'client_query_buffer_limit', 'client_output_buffer_limit'] as const;

const PARAMETERS = [
  'mode', 'coordinator_info', 'participant_info', 'follower_info',
  'data_dir', 'node_id', 'log_level', 'snapshot_entries', 'cluster_name', 'peer_route', 'bulk_bytes_max',
  'groups', 'replicas', 'metrics_info', 'redis_info', ...SECRET_PARAMETERS, 'requirepass', ...CLIENT_LIMIT_PARAMETERS, ...MEMCACHE_PARAMETERS,
] as const;
type Parameter = (typeof PARAMETERS)[number];

/** Which parameters each kind accepts. */
const ALLOWED: Record<ConfigKind, ReadonlySet<Parameter>> = {
  coordinator: new Set<Parameter>(['mode', 'coordinator_info', 'participant_info', 'data_dir', 'log_level', 'cluster_name', 'peer_route', 'bulk_bytes_max', 'groups', 'replicas', 'metrics_info', 'redis_info', ...SECRET_PARAMETERS, 'requirepass', ...CLIENT_LIMIT_PARAMETERS, ...MEMCACHE_PARAMETERS]),
  participant: new Set<Parameter>(['mode', 'coordinator_info', 'participant_info', 'data_dir', 'log_level', 'snapshot_entries', 'cluster_name', 'peer_route', 'bulk_bytes_max', 'metrics_info', ...SECRET_PARAMETERS, 'requirepass', ...CLIENT_LIMIT_PARAMETERS]),
  raft: new Set<Parameter>(['mode', 'follower_info', 'data_dir', 'node_id', 'log_level', 'snapshot_entries', 'cluster_name', 'peer_route', 'bulk_bytes_max', 'groups', 'metrics_info', 'redis_info', ...SECRET_PARAMETERS, 'requirepass', ...CLIENT_LIMIT_PARAMETERS, ...MEMCACHE_PARAMETERS]),
};

/** One parameter line. */
interface Line {
  readonly name: Parameter;
  readonly value: string;
  /** 1-based line number. */
  readonly at: number;
}

function isParameter(name: string): name is Parameter {
  return (PARAMETERS as readonly string[]).includes(name);
}

function isKind(value: string): value is ConfigKind {
  return value === 'coordinator' || value === 'participant' || value === 'raft';
}

/**
 * Parses a config file's text; `file` is only used in error messages.
 * `secrets`: where cluster_secret_file and cluster_secret_env are read from.
 */
export function parseLabConfig(text: string, file: string, secrets: SecretSources = PROCESS_SECRET_SOURCES): LabConfig {
  const fail: Fail = (code, at, reason) => {
    throw new ConfigError(code, file, at, reason);
  };
  const lines = tokenize(text, fail);
  const first = lines[0];
  const modeLine = first?.name === 'mode' ? first : undefined;
  let kind: ConfigKind;
  if (modeLine !== undefined) {
    if (!isKind(modeLine.value)) {
      return fail('BAD_VALUE', modeLine.at, `unknown mode ${quoteValue(modeLine.value)} (expected coordinator, participant or raft)`);
    }
    kind = modeLine.value;
  } else if (lines.some((l) => l.name === 'follower_info')) {
    kind = 'raft';
  } else {
    return fail('MISSING_MODE', first?.at ?? null, 'the first parameter line must be "mode coordinator" or "mode participant"');
  }
  for (const l of lines) {
    if (!ALLOWED[kind].has(l.name)) fail('WRONG_MODE_PARAMETER', l.at, `${l.name} does not belong in a ${kind} config`);
  }
  const ctx = new Checker(lines, fail, modeLine?.at ?? null);
  const metricsLine = ctx.optionalOne('metrics_info');
  const metrics = metricsLine === undefined ? undefined : ctx.address(metricsLine);
  const redisLine = ctx.optionalOne('redis_info');
  const redis = redisLine === undefined ? undefined : ctx.address(redisLine);
  const mcLine = ctx.optionalOne('memcache_info');
  const mc = mcLine === undefined ? undefined : ctx.address(mcLine);
  const withMetrics = (addresses: AddressLine[]): AddressLine[] => [...addresses, ...(metrics === undefined ? [] : [metrics]), ...(redis === undefined ? [] : [redis]), ...(mc === undefined ? [] : [mc])];
  const secret = clusterSecretOf(lines, fail, secrets);
  const pass = ctx.optionalOne('requirepass');
  if (pass !== undefined && Buffer.byteLength(pass.value) > REQUIREPASS_BYTES_MAX) fail('BAD_VALUE', pass.at, `requirepass is ${Buffer.byteLength(pass.value)} bytes, at most ${REQUIREPASS_BYTES_MAX}`);
  const memcache = memcacheSettings(mc, ctx.optionalOne('memcache_allow'), ctx.optionalOne('memcache_item_max'), pass !== undefined, fail);
  const ext: ConfigExtensions = {
    ...ctx.extensions(),
    ...(memcache !== undefined ? { memcache } : {}),
    ...(metrics !== undefined ? { metricsListen: metrics.endpoint } : {}),
    ...(redis !== undefined ? { redisListen: redis.endpoint } : {}),
    ...(secret !== undefined ? { clusterSecret: secret } : {}),
    ...(pass !== undefined ? { requirepass: new RequirePass(Buffer.from(pass.value, 'utf8')) } : {}),
  };
  switch (kind) {
    case 'coordinator': {
      const self = ctx.exactlyOne('coordinator_info', 'the coordinator\'s own address');
      const participants = ctx.atLeastOne('participant_info', 'one per participant');
      ctx.distinct(withMetrics([self, ...participants]));
      const groups = ctx.groups();
      const replicasLine = ctx.optionalOne('replicas');
      const replicas = replicasLine === undefined ? undefined : ctx.positiveInt(replicasLine, participants.length, ' (at most one per participant_info line)');
      return {
        kind: 'coordinator', file, self: self.endpoint, participants: participants.map((p) => p.endpoint), ...ext,
        ...(groups !== undefined ? { groups } : {}),
        ...(replicas !== undefined ? { replicas } : {}),
      };
    }
    case 'participant': {
      const self = ctx.exactlyOne('participant_info', 'this participant\'s own address');
      const coordinator = ctx.exactlyOne('coordinator_info', 'the coordinator\'s address');
      ctx.distinct(withMetrics([self, coordinator]));
      return { kind: 'participant', file, self: self.endpoint, coordinator: coordinator.endpoint, ...ext };
    }
    case 'raft': {
      const followers = ctx.atLeastOne('follower_info', 'one per peer, this peer first');
      ctx.distinct(withMetrics(followers));
      const peers: RaftPeer[] = rankAddresses(followers.map((f) => f.endpoint));
      const self = peers.find((p) => p.address === followers[0]!.endpoint)!;
      const nodeId = ctx.optionalOne('node_id');
      if (nodeId !== undefined) {
        const n = ctx.positiveInt(nodeId, addressesMax);
        if (n !== self.id) {
          fail('BAD_VALUE', nodeId.at, `node_id ${n} does not match this peer's id ${self.id} (ids are ranks of the follower_info addresses in sorted order)`);
        }
      }
      const groups = ctx.groups();
      return { kind: 'raft', file, self, peers, ...ext, ...(groups !== undefined ? { groups } : {}) };
    }
    default:
      return assertNever(kind, 'config kind');
  }
}

type Fail = (code: ConfigErrorCode, at: number | null, reason: string) => never;

/** The one cluster_secret line's secret, if there is one; two such lines, or a secret not to be had, fail naming the line. */
function clusterSecretOf(lines: readonly Line[], fail: Fail, secrets: SecretSources): ClusterSecret | undefined {
  const found = lines.filter((l) => isSecretParameter(l.name));
  const [first, second] = found;
  if (second !== undefined) fail('DUPLICATE_PARAMETER', second.at, `at most one of ${SECRET_PARAMETERS.join(', ')} (${first!.name} on line ${first!.at})`);
  if (first === undefined || !isSecretParameter(first.name)) return undefined;
  try {
    return resolveClusterSecret(first.name, first.value, secrets);
  } catch (err) {
    if (!(err instanceof SecretProblem)) throw err;
    return fail(err.code, first.at, err.reason);
  }
}

/** Lines -> parameter lines: comments and blanks dropped, one value checked. */
function tokenize(text: string, fail: Fail): Line[] {
  const out: Line[] = [];
  let modeAt: number | null = null;
  const rows = text.replace(/^\uFEFF/, '').split('\n');
  for (let i = 0; i < rows.length; i++) {
    const at = i + 1;
    const trimmed = (rows[i] as string).trim(); // also drops the \r of CRLF
    if (trimmed === '' || trimmed.startsWith('!')) continue;
    const [name, ...values] = trimmed.split(/\s+/) as [string, ...string[]];
    if (!isParameter(name)) return fail('UNKNOWN_PARAMETER', at, `unknown parameter ${quoteValue(name)}`);
    const param = name;
    if (values.length === 0) fail('MISSING_VALUE', at, `${param} needs a value`);
    // peer_route takes two addresses: the peer, and where to dial it; client_output_buffer_limit hard, soft and seconds.
    const want = param === 'peer_route' ? 2 : param === 'client_output_buffer_limit' ? 3 : 1;
    if (values.length < want) fail('MISSING_VALUE', at, `${param} needs ${want} values`);
    // A secret is never echoed, even in an error.
    if (values.length > want && param === 'cluster_secret') fail('EXTRA_TOKENS', at, `cluster_secret takes one word, got ${values.length} (for a secret with blanks use cluster_secret_file)`);
    if (values.length > want && param === 'requirepass') fail('EXTRA_TOKENS', at, `requirepass takes one word, got ${values.length}`);
    if (values.length > want) fail('EXTRA_TOKENS', at, `${param} takes ${want === 1 ? 'one value' : `${want} values`}, got ${values.length}: ${elideValue(values.join(' '))}`);
    if (param === 'mode') {
      if (modeAt !== null) fail('DUPLICATE_MODE', at, `mode given twice (first on line ${modeAt})`);
      if (out.length > 0) fail('MODE_NOT_FIRST', at, `mode must be the first parameter line (line ${out[0]!.at} comes before it)`);
      modeAt = at;
    }
    out.push({ name: param, value: values.join(' '), at });
    if (out.length > addressesMax + PARAMETERS.length) {
      fail('TOO_MANY_ADDRESSES', at, `more than ${addressesMax + PARAMETERS.length} parameter lines`);
    }
  }
  return out;
}

interface AddressLine {
  readonly line: Line;
  readonly endpoint: Endpoint;
  readonly key: string;
}

/** Count and value checks over the parameter lines of one file. */
class Checker {
  constructor(
    private readonly lines: readonly Line[],
    private readonly fail: Fail,
    /** Whole-file complaints point at the mode line when there is one. */
    private readonly modeAt: number | null,
  ) {}

  exactlyOne(name: Parameter, what: string): AddressLine {
    const found = this.all(name);
    if (found.length === 0) this.fail('MISSING_PARAMETER', this.modeAt, `missing ${name} (${what})`);
    if (found.length > 1) {
      this.fail('DUPLICATE_PARAMETER', found[1]!.at, `${name} may appear once (first on line ${found[0]!.at})`);
    }
    return this.address(found[0]!);
  }

  atLeastOne(name: Parameter, what: string): AddressLine[] {
    const found = this.all(name);
    if (found.length === 0) this.fail('MISSING_PARAMETER', this.modeAt, `missing ${name} (${what})`);
    if (found.length > addressesMax) this.fail('TOO_MANY_ADDRESSES', found[addressesMax]!.at, `more than ${addressesMax} ${name} lines`);
    return found.map((l) => this.address(l));
  }

  optionalOne(name: Parameter): Line | undefined {
    const found = this.all(name);
    if (found.length > 1) {
      this.fail('DUPLICATE_PARAMETER', found[1]!.at, `${name} may appear once (first on line ${found[0]!.at})`);
    }
    return found[0];
  }

  /** Fails on the second line that names an address already used in this file. */
  distinct(addresses: readonly AddressLine[]): void {
    const seen = new Map<string, AddressLine>();
    for (const a of [...addresses].sort((x, y) => x.line.at - y.line.at)) {
      const prev = seen.get(a.key);
      if (prev !== undefined) {
        this.fail('DUPLICATE_ADDRESS', a.line.at, `address ${a.line.value} already used on line ${prev.line.at} (${prev.line.name})`);
      }
      seen.set(a.key, a);
    }
  }

  /** `bound` says where max comes from when it is not a fixed limit. */
  positiveInt(line: Line, max: number, bound = ''): number {
    if (!/^[1-9][0-9]*$/.test(line.value) || Number(line.value) > max) {
      this.fail('BAD_VALUE', line.at, `${line.name} must be an integer in 1..${max}${bound}, got ${quoteValue(line.value)}`);
    }
    return Number(line.value);
  }

  /** groups N, if given: each group owns at least one of the slots. */
  groups(): number | undefined {
    const line = this.optionalOne('groups');
    return line === undefined ? undefined : this.positiveInt(line, LAYOUT_LIMITS.groupsMax, ' (each group owns at least one slot)');
  }

  extensions(): ConfigExtensions {
    const ext: { dataDir?: string; logLevel?: LogLevel; snapshotEntries?: number; bulkBytesMax?: number; clusterName?: string; peerRoutes?: Map<string, Endpoint>; clientLimits?: Partial<ClientLimits> } = {};
    const bulk = this.optionalOne('bulk_bytes_max');
    if (bulk !== undefined) ext.bulkBytesMax = this.positiveInt(bulk, bulkBytesCeiling);
    for (const line of this.lines.filter((l) => l.name === 'peer_route')) {
      const [peer, via] = line.value.split(' ') as [string, string];
      for (const a of [peer, via]) {
        const problem = addressProblem(a);
        if (problem !== null) this.fail('BAD_ADDRESS', line.at, problem);
      }
      ext.peerRoutes ??= new Map();
      const key = endpointKey(parseEndpoint(peer));
      if (ext.peerRoutes.has(key)) this.fail('DUPLICATE_ADDRESS', line.at, `a second peer_route for ${peer}`);
      ext.peerRoutes.set(key, parseEndpoint(via));
    }
    const dataDir = this.optionalOne('data_dir');
    if (dataDir !== undefined) ext.dataDir = dataDir.value;
    const logLevel = this.optionalOne('log_level');
    if (logLevel !== undefined) {
      if (!(LOG_LEVELS as readonly string[]).includes(logLevel.value)) {
        this.fail('BAD_VALUE', logLevel.at, `log_level must be one of ${LOG_LEVELS.join(', ')}, got ${quoteValue(logLevel.value)}`);
      }
      ext.logLevel = logLevel.value as LogLevel;
    }
    const snap = this.optionalOne('snapshot_entries');
    if (snap !== undefined) ext.snapshotEntries = this.positiveInt(snap, snapshotEntriesMax);
    const limits = this.clientLimits();
    if (limits !== undefined) ext.clientLimits = limits;
    const cluster = this.optionalOne('cluster_name');
    if (cluster !== undefined) {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(cluster.value)) {
        this.fail('BAD_VALUE', cluster.at, `cluster_name must match [A-Za-z0-9][A-Za-z0-9._-]{0,63}, got ${quoteValue(cluster.value)}`);
      }
      ext.clusterName = cluster.value;
    }
    return ext;
  }

  /** The client-limit lines, if any (each range checked here; defaults in client-limits.ts). */
  clientLimits(): Partial<ClientLimits> | undefined {
    const out: { -readonly [K in keyof ClientLimits]?: ClientLimits[K] } = {};
    const max = this.optionalOne('maxclients');
    if (max !== undefined) out.maxclients = this.positiveInt(max, CLIENT_LIMIT_CEILINGS.maxclients);
    const timeout = this.optionalOne('timeout');
    if (timeout !== undefined) out.idleTimeoutSec = this.intIn(timeout, timeout.value, 0, CLIENT_LIMIT_CEILINGS.idleTimeoutSec, 'timeout (seconds)');
    const qbuf = this.optionalOne('client_query_buffer_limit');
    if (qbuf !== undefined) out.queryBufferBytes = this.bytesIn(qbuf, qbuf.value, QUERY_BUFFER_BYTES_MIN, CLIENT_LIMIT_CEILINGS.queryBufferBytes, 'client_query_buffer_limit');
    const obuf = this.optionalOne('client_output_buffer_limit');
    if (obuf !== undefined) {
      const [hard, soft, sec] = obuf.value.split(' ') as [string, string, string];
      out.outputHardBytes = this.bytesIn(obuf, hard, 0, CLIENT_LIMIT_CEILINGS.outputBytes, 'the hard limit');
      out.outputSoftBytes = this.bytesIn(obuf, soft, 0, CLIENT_LIMIT_CEILINGS.outputBytes, 'the soft limit');
      out.outputSoftSec = this.intIn(obuf, sec, 0, CLIENT_LIMIT_CEILINGS.outputSoftSec, 'the soft seconds');
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }

  private intIn(line: Line, text: string, min: number, max: number, what: string): number {
    if (!/^(0|[1-9][0-9]*)$/.test(text) || Number(text) < min || Number(text) > max) {
      this.fail('BAD_VALUE', line.at, `${line.name}: ${what} must be an integer in ${min}..${max}, got ${quoteValue(text)}`);
    }
    return Number(text);
  }

  private bytesIn(line: Line, text: string, min: number, max: number, what: string): number {
    const n = parseMemoryBytes(text);
    if (n === undefined || n < min || n > max) {
      this.fail('BAD_VALUE', line.at, `${line.name}: ${what} must be bytes (units b, k, kb, m, mb, g, gb as Redis) in ${min}..${max}, got ${quoteValue(text)}`);
    }
    return n;
  }

  private all(name: Parameter): Line[] {
    return this.lines.filter((l) => l.name === name);
  }

  address(line: Line): AddressLine {
    const problem = addressProblem(line.value);
    if (problem !== null) this.fail('BAD_ADDRESS', line.at, problem);
    const endpoint = parseEndpoint(line.value);
    return { line, endpoint, key: endpointKey(endpoint) };
  }
}

/** Reads and parses a config file; every failure is a ConfigError naming the file. */
export async function loadConfigFile(path: string): Promise<LabConfig> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    // Node says "ENOENT: no such file or directory, open '<path>'": the code and the path are given once already.
    const why = (err as Error).message.replace(/^[A-Z]+: /, '').replace(/, \w+( '.*')?$/, '');
    throw new ConfigError('READ_FAILED', path, null, `cannot read config file (${code}): ${why}`);
  }
  if (bytes.length > configBytesMax) {
    throw new ConfigError('TOO_LARGE', path, null, `config file is ${bytes.length} bytes, more than ${configBytesMax}`);
  }
  return parseLabConfig(bytes.toString('utf8'), path);
}

/** What exitOnConfigError writes to and exits through; real process by default. */
export interface ExitIo {
  readonly writeError: (text: string) => void;
  readonly exit: (status: number) => never;
}

const processIo: ExitIo = {
  writeError: (text) => process.stderr.write(text),
  exit: (status) => process.exit(status),
};

/**
 * For CLIs: a ConfigError is printed (one line, file and line named) and the
 * process exits with status 2; anything else is rethrown, it is a bug.
 */
export function exitOnConfigError(err: unknown, io: ExitIo = processIo): never {
  if (err instanceof ConfigError) {
    io.writeError(`${err.message}\n`);
    return io.exit(2);
  }
  throw err;
}

/** `loadConfigFile`, exiting with status 2 on a bad or unreadable file. */
export async function loadConfigFileOrExit(path: string, io: ExitIo = processIo): Promise<LabConfig> {
  try {
    return await loadConfigFile(path);
  } catch (err) {
    return exitOnConfigError(err, io);
  }
}
