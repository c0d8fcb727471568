/** Options of one load-generator run (`kvstore bench`), and their checks. */

/** Relative weights of the commands a run sends. Invariant: non-negative integers, sum > 0. */
export interface CommandMix {
  readonly set: number;
  readonly get: number;
  readonly del: number;
  /** MSET of two keys that always fall in different groups (a cross-group transaction). */
  readonly mset?: number;
  /** MSET of two keys that share a `{tag}`, so one group (one Raft entry). */
  readonly mset1?: number;
}

/** The sum of a mix's weights. */
export function mixTotal(m: CommandMix): number {
  return m.set + m.get + m.del + (m.mset ?? 0) + (m.mset1 ?? 0);
}

export type KeyPattern = 'random' | 'sequential';

export interface BenchOptions {
  readonly host: string;
  readonly port: number;
  /** Concurrent TCP connections. */
  readonly connections: number;
  /** Requests in flight per connection (1 = no pipelining). */
  readonly pipeline: number;
  /** Stop after this many replies (exactly), or... */
  readonly ops: number | null;
  /** ...after this many milliseconds of sending. Exactly one of ops / durationMs is set. */
  readonly durationMs: number | null;
  /** Keys are `key:<n>` with n in [0, keyspace): uniform, or... */
  readonly keyspace: number;
  /** ...in order across all connections, wrapping: one pass with ops = keyspace writes every key once. */
  readonly keyPattern: KeyPattern;
  /** Bytes of each SET value (one word of printable bytes). */
  readonly valueBytes: number;
  readonly mix: CommandMix;
  /** Server processes whose CPU time is sampled before and after. */
  readonly pids: readonly number[];
  readonly seed: number;
  /** A request without reply after this long counts as a timeout (and resets its connection). */
  readonly timeoutMs: number;
}

/** Operating error: a bad option, reported to the user with exit status 2. */
export class BenchOptionError extends Error {
  readonly code = 'BAD_BENCH_OPTION';
}

/** Named limits on what one run may ask for (each is a buffer or a loop bound). */
export const benchLimits = {
  connectionsMax: 10_000,
  pipelineMax: 10_000,
  valueBytesMax: 16 * 1024 * 1024,
  keyspaceMax: 1_000_000_000,
  durationMsMax: 24 * 3600 * 1000,
  pidsMax: 64,
} as const;

export const DEFAULT_BENCH_OPTIONS: BenchOptions = {
  host: '127.0.0.1',
  port: 6379,
  connections: 16,
  pipeline: 1,
  ops: null,
  durationMs: 5000,
  keyspace: 10_000,
  keyPattern: 'random',
  valueBytes: 100,
  mix: { set: 100, get: 0, del: 0 },
  pids: [],
  seed: 1,
  timeoutMs: 5000,
};

/** Parses `set=50,get=50,del=0,mset=0,mset1=0` (any subset, any order; missing names weigh 0). */
export function parseMix(text: string): CommandMix {
  const mix = { set: 0, get: 0, del: 0, mset: 0, mset1: 0 };
  const seen = new Set<string>();
  for (const part of text.split(',')) {
    const m = /^\s*(set|get|del|mset1|mset)\s*=\s*(\d{1,9})\s*$/i.exec(part);
    if (m === null) throw new BenchOptionError(`--mix: "${part}" is not name=weight (names: set, get, del, mset, mset1)`);
    const name = m[1]!.toLowerCase() as keyof CommandMix;
    if (seen.has(name)) throw new BenchOptionError(`--mix: ${name} given twice`);
    seen.add(name);
    mix[name] = Number(m[2]);
  }
  if (mixTotal(mix) === 0) throw new BenchOptionError('--mix: the weights sum to 0');
  return mix;
}

export function parsePids(text: string): number[] {
  const pids = text.split(',').filter((s) => s.trim() !== '').map((s) => {
    const n = Number(s.trim());
    if (!Number.isSafeInteger(n) || n <= 0) throw new BenchOptionError(`--pids: "${s}" is not a process id`);
    return n;
  });
  if (pids.length > benchLimits.pidsMax) throw new BenchOptionError(`--pids: at most ${benchLimits.pidsMax}`);
  return pids;
}

/** Throws BenchOptionError naming the first option that is out of range. */
export function validateBenchOptions(o: BenchOptions): void {
  const int = (name: string, v: number, lo: number, hi: number): void => {
    if (!Number.isSafeInteger(v) || v < lo || v > hi) throw new BenchOptionError(`${name} must be an integer in ${lo}..${hi}, got ${v}`);
  };
  int('--port', o.port, 1, 65535);
  int('--connections', o.connections, 1, benchLimits.connectionsMax);
  int('--pipeline', o.pipeline, 1, benchLimits.pipelineMax);
  int('--keyspace', o.keyspace, 1, benchLimits.keyspaceMax);
  int('--value-size', o.valueBytes, 1, benchLimits.valueBytesMax);
  int('--timeout-ms', o.timeoutMs, 1, 3_600_000);
  int('--seed', o.seed, 0, 0xffffffff);
  if (o.keyPattern !== 'random' && o.keyPattern !== 'sequential') throw new BenchOptionError(`--key-pattern must be random or sequential, got ${String(o.keyPattern)}`);
  if ((o.ops === null) === (o.durationMs === null)) throw new BenchOptionError('give exactly one of --ops and --duration');
  if (o.ops !== null) int('--ops', o.ops, 1, Number.MAX_SAFE_INTEGER);
  if (o.durationMs !== null) int('--duration (ms)', o.durationMs, 1, benchLimits.durationMsMax);
  for (const [k, v] of Object.entries(o.mix)) int(`--mix ${k}`, v, 0, 1e9);
  if (mixTotal(o.mix) === 0) throw new BenchOptionError('--mix: the weights sum to 0');
}
