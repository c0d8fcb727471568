import { performance } from 'node:perf_hooks';
import * as hdr from 'hdr-histogram-js';
import { assert } from '../../raft/assert.js';
import { BenchConnection } from './bench-connection.js';
import type { ConnectionOwner } from './bench-connection.js';
import type { BenchOptions } from './bench-options.js';
import { validateBenchOptions } from './bench-options.js';
import { cpuUsedUs, sampleCpu, type CpuUsed } from './cpu-sampler.js';
import { BenchCommand, RequestEncoder } from './request-encoder.js';
import { ReplyKind } from './reply-counter.js';

export interface BenchProgress {
  readonly elapsedMs: number;
  /** Requests finished (replied, errored or lost). */
  readonly done: number;
  readonly opsPerSec: number;
  readonly errors: number;
}

export interface BenchResult {
  readonly target: string;
  readonly connections: number;
  readonly pipeline: number;
  readonly valueBytes: number;
  readonly keyspace: number;
  readonly mix: BenchOptions['mix'];
  /** Replies received (OK and error replies; lost requests excluded). */
  readonly ops: number;
  readonly okReplies: number;
  readonly elapsedMs: number;
  /** Replies per second over the run. */
  readonly opsPerSec: number;
  /** Latency of OK replies in microseconds (HDR histogram, 3 significant digits). */
  readonly latencyUs: { readonly p50: number; readonly p99: number; readonly p999: number; readonly max: number; readonly mean: number };
  readonly errors: {
    /** `-ERROR` replies. */
    readonly error: number;
    /** Any other error reply. */
    readonly otherError: number;
    /** Requests without a reply within timeoutMs. */
    readonly timeout: number;
    /** Requests in flight on a connection that closed. */
    readonly connection: number;
    /** Connection attempts that failed. */
    readonly connect: number;
  };
  readonly commands: { readonly set: number; readonly get: number; readonly del: number; readonly mset: number };
  /** CPU time of the given server PIDs over the run; null when none were given. */
  /** CPU this load generator's own process spent per reply (µs), to show it is not the bottleneck. */
  readonly clientUsPerOp: number;
  readonly cpu: ServerCpu | null;
}

/** What the given server processes used over a run, summed and per reply. */
export interface ServerCpu {
  readonly perPid: readonly CpuUsed[];
  readonly totalUs: number;
  readonly usPerOp: number;
  /** The kernel's share of usPerOp; null if any pid's stime was unreadable. */
  readonly sysUsPerOp: number | null;
  /**
   * Read- and write-family system calls per reply, over every thread of the
   * servers (socket reads and sends, disk writes; fsync not counted): what
   * batching saves shows here. Null if any pid's /proc/<pid>/io was unreadable.
   */
  readonly readCallsPerOp: number | null;
  readonly writeCallsPerOp: number | null;
}

/** Operating error: the target could not be reached for a whole timeout. */
export class BenchUnreachableError extends Error {
  readonly code = 'BENCH_UNREACHABLE';
}

/** How often timeouts, unreachability and progress are checked. */
export const benchTickMs = 100;
/** Highest latency the histogram tracks exactly (60 s); longer ones are clamped. */
const latencyUsMax = 60_000_000;

/**
 * One load-generator run: `connections` connections, each keeping
 * `pipeline` requests in flight, until `ops` replies or `durationMs` of
 * sending. The run owns the shared request budget, the counters and the
 * histogram; connections only report to it.
 */
class BenchRun implements ConnectionOwner {
  readonly encoder: RequestEncoder;
  private readonly histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: latencyUsMax, numberOfSignificantValueDigits: 3, autoResize: false });
  private readonly connections: BenchConnection[] = [];
  private claimed = 0;
  private done = 0;
  private okReplies = 0;
  private readonly errors = { error: 0, otherError: 0, timeout: 0, connection: 0, connect: 0 };
  private readonly commands = { set: 0, get: 0, del: 0, mset: 0 };
  private startMs = 0;
  private clientCpuBefore: NodeJS.CpuUsage = { user: 0, system: 0 };
  private stopSendingAtMs = Infinity;
  private lastReplyMs = 0;
  private lastProgressMs = 0;
  /** When a connect last failed (0: never). */
  private lastConnectFailMs = 0;
  private openCount = 0;
  private finished = false;
  private ticker: NodeJS.Timeout | null = null;
  private settle: { resolve: () => void; reject: (e: Error) => void } | null = null;

  constructor(private readonly o: BenchOptions, private readonly onProgress: (p: BenchProgress) => void) {
    this.encoder = new RequestEncoder(o.mix, o.keyspace, o.valueBytes, o.seed, o.keyPattern);
  }

  get running(): boolean {
    return !this.finished;
  }

  async run(): Promise<BenchResult> {
    const before = this.o.pids.map(sampleCpu);
    this.clientCpuBefore = process.cpuUsage();
    this.startMs = performance.now();
    this.lastProgressMs = this.startMs;
    if (this.o.durationMs !== null) this.stopSendingAtMs = this.startMs + this.o.durationMs;
    const finished = new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    for (let k = 0; k < this.o.connections; k++) {
      const c = new BenchConnection(this, this.o.host, this.o.port, this.o.pipeline, this.o.timeoutMs);
      this.connections.push(c);
      c.start();
    }
    this.ticker = setInterval(() => this.tick(), benchTickMs);
    try {
      await finished;
    } finally {
      this.finish();
    }
    const after = this.o.pids.map(sampleCpu);
    return this.result(before.length === 0 ? null : cpuUsedUs(before, after));
  }

  claim(want: number): number {
    if (this.finished || performance.now() >= this.stopSendingAtMs) return 0;
    const left = this.o.ops === null ? want : Math.min(want, this.o.ops - this.claimed);
    this.claimed += left;
    return left;
  }

  countCommand(c: BenchCommand): void {
    if (c === BenchCommand.set) this.commands.set++;
    else if (c === BenchCommand.get) this.commands.get++;
    else if (c === BenchCommand.del) this.commands.del++;
    else this.commands.mset++;
  }

  reply(kind: ReplyKind, latencyMs: number, nowMs: number): void {
    this.done++;
    this.lastReplyMs = nowMs;
    this.lastProgressMs = nowMs;
    if (kind === ReplyKind.ok) {
      this.okReplies++;
      this.histogram.recordValue(Math.min(latencyUsMax, Math.max(1, Math.round(latencyMs * 1000))));
    } else if (kind === ReplyKind.labError) {
      this.errors.error++;
    } else {
      this.errors.otherError++;
    }
    this.checkDone();
  }

  lost(count: number, why: 'timeout' | 'connection'): void {
    this.done += count;
    this.errors[why] += count;
    this.checkDone();
  }

  connected(): void {
    this.openCount++;
    this.lastProgressMs = performance.now();
  }

  connectFailed(): void {
    this.errors.connect++;
    this.lastConnectFailMs = performance.now();
  }

  private checkDone(): void {
    if (this.finished) return;
    if (this.o.ops !== null && this.done >= this.o.ops) {
      assert(this.done === this.o.ops, `bench: ${this.done} requests finished, budget ${this.o.ops}`);
      this.settle?.resolve();
    } else if (this.o.ops === null && performance.now() >= this.stopSendingAtMs && this.inFlight() === 0) {
      this.settle?.resolve();
    }
  }

  private inFlight(): number {
    let n = 0;
    for (const c of this.connections) n += c.requestsInFlight;
    return n;
  }

  private tick(): void {
    const now = performance.now();
    for (const c of this.connections) {
      const oldest = c.oldestSendMs();
      if (oldest !== null && now - oldest > this.o.timeoutMs) c.timeOut();
    }
    this.openCount = this.connections.filter((c) => c.isOpen).length;
    // Unreachable: nothing open, connects keep failing, and nothing good happened for a whole timeout.
    if (this.openCount === 0 && this.lastConnectFailMs > this.lastProgressMs && now - this.lastProgressMs > this.o.timeoutMs) {
      this.settle?.reject(new BenchUnreachableError(`no connection to ${this.o.host}:${this.o.port} for ${this.o.timeoutMs} ms (${this.errors.connect} attempts failed)`));
      return;
    }
    this.checkDone();
    const elapsedMs = now - this.startMs;
    this.onProgress({ elapsedMs, done: this.done, opsPerSec: elapsedMs > 0 ? (this.done * 1000) / elapsedMs : 0, errors: this.errorCount() });
  }

  private errorCount(): number {
    const e = this.errors;
    return e.error + e.otherError + e.timeout + e.connection;
  }

  private finish(): void {
    this.finished = true;
    if (this.ticker !== null) clearInterval(this.ticker);
    for (const c of this.connections) c.stop();
  }

  private result(cpu: CpuUsed[] | null): BenchResult {
    const ops = this.okReplies + this.errors.error + this.errors.otherError;
    const end = this.lastReplyMs > 0 ? this.lastReplyMs : performance.now();
    const elapsedMs = Math.max(end - this.startMs, 1e-3);
    const h = this.histogram;
    const empty = h.totalCount === 0;
    // Percentiles come back as the top of their bucket (3 significant
    // digits), which can pass the exact maximum; never report p > max.
    const at = (p: number): number => (empty ? 0 : Math.min(h.getValueAtPercentile(p), h.maxValue));
    const client = process.cpuUsage(this.clientCpuBefore);
    return {
      target: `${this.o.host}:${this.o.port}`,
      connections: this.o.connections,
      pipeline: this.o.pipeline,
      valueBytes: this.o.valueBytes,
      keyspace: this.o.keyspace,
      mix: this.o.mix,
      ops,
      okReplies: this.okReplies,
      elapsedMs,
      opsPerSec: (ops * 1000) / elapsedMs,
      latencyUs: {
        p50: at(50),
        p99: at(99),
        p999: at(99.9),
        max: empty ? 0 : h.maxValue,
        mean: empty ? 0 : h.mean,
      },
      errors: { ...this.errors },
      commands: { ...this.commands },
      clientUsPerOp: ops > 0 ? (client.user + client.system) / ops : 0,
      cpu: cpu === null ? null : serverCpu(cpu, ops),
    };
  }
}

function serverCpu(perPid: readonly CpuUsed[], ops: number): ServerCpu {
  const totalUs = perPid.reduce((s, p) => s + (p.cpuUs ?? 0), 0);
  /** A sum over every pid, per reply; null if any pid lacks it. */
  const perOp = (k: 'sysUs' | 'readCalls' | 'writeCalls'): number | null => {
    if (perPid.some((p) => p[k] === null)) return null;
    return ops > 0 ? perPid.reduce((s, p) => s + p[k]!, 0) / ops : 0;
  };
  return {
    perPid,
    totalUs,
    usPerOp: ops > 0 ? totalUs / ops : 0,
    sysUsPerOp: perOp('sysUs'),
    readCallsPerOp: perOp('readCalls'),
    writeCallsPerOp: perOp('writeCalls'),
  };
}

/** Runs one load-generator run against a RESP endpoint. */
export async function runBench(options: BenchOptions, onProgress: (p: BenchProgress) => void = () => {}): Promise<BenchResult> {
  validateBenchOptions(options);
  return new BenchRun(options, onProgress).run();
}
