import test from 'ava';
import { BenchOptionError, DEFAULT_BENCH_OPTIONS, parseMix, validateBenchOptions, type BenchOptions } from '../../src/bench/bench-options.js';
import { cpuUsedUs, sampleCpu } from '../../src/bench/cpu-sampler.js';
import { formatResult } from '../../src/bench/format-result.js';
import { BenchUnreachableError, runBench } from '../../src/bench/run-bench.js';
import { freePorts } from '../helpers/ports.js';
import { makeLayout } from '../../src/sharding/layout.js';
import { SlotRouter } from '../../src/sharding/router.js';
import { FakeRespServer, type FakeAnswer } from './fake-resp-server.js';

async function fake(t: import('ava').ExecutionContext, answer?: (n: number) => FakeAnswer): Promise<FakeRespServer> {
  const s = new FakeRespServer(answer);
  await s.listen();
  t.teardown(() => s.close());
  return s;
}

const opts = (port: number, o: Partial<BenchOptions>): BenchOptions => ({
  ...DEFAULT_BENCH_OPTIONS, port, durationMs: null, ops: 1000, connections: 4, pipeline: 8, timeoutMs: 2000, ...o,
});

test('--ops sends and counts exactly that many requests, with latencies recorded', async (t) => {
  const s = await fake(t);
  const r = await runBench(opts(s.port, { ops: 2003, connections: 5, pipeline: 7 }));
  t.is(s.received.SET, 2003);
  t.is(r.ops, 2003);
  t.is(r.okReplies, 2003);
  t.deepEqual(r.commands, { set: 2003, get: 0, del: 0, mset: 0 });
  t.deepEqual(r.errors, { error: 0, otherError: 0, timeout: 0, connection: 0, connect: 0 });
  t.is(s.connections, 5);
  t.true(r.latencyUs.p50 > 0);
  t.true(r.latencyUs.p50 <= r.latencyUs.p99 && r.latencyUs.p99 <= r.latencyUs.p999 && r.latencyUs.p999 <= r.latencyUs.max);
  t.true(r.opsPerSec > 0);
  t.true(r.clientUsPerOp > 0, 'the generator\'s own CPU is measured');
  t.is(r.cpu, null);
});

test('the command mix follows the weights, and the server sees what was counted', async (t) => {
  const s = await fake(t);
  const r = await runBench(opts(s.port, { ops: 6000, mix: parseMix('set=50,get=30,del=20') }));
  t.deepEqual(r.commands, { set: s.received.SET, get: s.received.GET, del: s.received.DEL, mset: 0 });
  t.is(s.received.SET + s.received.GET + s.received.DEL, 6000);
  t.true(Math.abs(s.received.SET / 6000 - 0.5) < 0.03, `set share ${s.received.SET / 6000}`);
  t.true(Math.abs(s.received.GET / 6000 - 0.3) < 0.03, `get share ${s.received.GET / 6000}`);
  t.true(Math.abs(s.received.DEL / 6000 - 0.2) < 0.03, `del share ${s.received.DEL / 6000}`);
  t.is(r.okReplies, 6000, 'array and integer replies are OK replies');
});

test('mset sends MSETs of two keys in two groups, mset1 of two keys in one group, for any 2..8 groups', async (t) => {
  const s = await fake(t);
  const r = await runBench(opts(s.port, { ops: 400, mix: parseMix('mset=1,mset1=1,set=0'), valueBytes: 20 }));
  t.is(r.commands.mset, 400);
  t.is(s.received.MSET, 400);
  t.is(r.okReplies, 400);
  const pairs = s.msets.map((keys) => keys.map((k) => Buffer.from(k, 'latin1')));
  t.true(pairs.every((p) => p.length === 2));
  for (const groups of [2, 3, 5, 8]) {
    const router = new SlotRouter(makeLayout(['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'], { groups }));
    const cross = pairs.filter(([a, b]) => router.groupOf(a!) !== router.groupOf(b!)).length;
    const same = pairs.filter(([a, b]) => router.groupOf(a!) === router.groupOf(b!)).length;
    t.true(cross > 150 && same > 150, `groups ${groups}: ${cross} cross-group, ${same} one-group MSETs`);
    t.is(cross + same, 400);
  }
  for (const v of s.store.values()) t.is(v.length, 20);
});

test('keys stay inside the keyspace and values have the asked size', async (t) => {
  const s = await fake(t);
  await runBench(opts(s.port, { ops: 500, keyspace: 37, valueBytes: 33 }));
  t.true(s.keys.size <= 37 && s.keys.size > 20, `${s.keys.size} keys`);
  for (const k of s.keys) t.regex(k, /^key:(\d\d)$/);
  for (const k of s.keys) t.true(Number(k.slice(4)) < 37);
  for (const v of s.store.values()) t.is(v.length, 33);
});

test('sequential keys write every key of the keyspace once per pass, in order across connections', async (t) => {
  const s = await fake(t);
  const r = await runBench(opts(s.port, { ops: 1000, keyspace: 1000, keyPattern: 'sequential', connections: 7, pipeline: 5 }));
  t.is(r.ops, 1000);
  t.is(s.keys.size, 1000, 'no key twice, none missing');
  for (let n = 0; n < 1000; n++) t.true(s.keys.has(`key:${String(n).padStart(3, '0')}`));
  t.throws(() => validateBenchOptions({ ...DEFAULT_BENCH_OPTIONS, keyPattern: 'zigzag' as never }), { instanceOf: BenchOptionError, message: /--key-pattern/ });
});

test('-ERROR and other error replies are counted apart', async (t) => {
  const s = await fake(t, (n) => (n % 10 === 3 ? 'labError' : n % 10 === 7 ? 'otherError' : 'normal'));
  const r = await runBench(opts(s.port, { ops: 1000 }));
  t.is(r.errors.error, 100);
  t.is(r.errors.otherError, 100);
  t.is(r.okReplies, 800);
  t.is(r.ops, 1000);
});

test('an unanswered request counts as a timeout and the run still ends', async (t) => {
  const s = await fake(t, (n) => (n === 5 ? 'silent' : 'normal'));
  const r = await runBench(opts(s.port, { ops: 200, connections: 1, pipeline: 4, timeoutMs: 1000 }));
  t.is(r.errors.timeout, 1);
  t.is(r.ops, 199);
  t.is(s.received.SET, 200, 'the lost request is not sent again');
});

test('--duration stops sending after the time and drains', async (t) => {
  const s = await fake(t);
  const started = Date.now();
  const r = await runBench(opts(s.port, { ops: null, durationMs: 400, connections: 2, pipeline: 2 }));
  const took = Date.now() - started;
  t.true(took >= 400 && took < 3000, `took ${took} ms`);
  t.true(r.ops > 10);
  t.is(r.ops, s.received.SET);
});

test('the same seed gives the same commands and keys', async (t) => {
  const a = await fake(t);
  const b = await fake(t);
  const o = { ops: 300, connections: 1, pipeline: 1, mix: parseMix('set=1,get=1,del=1'), seed: 42 };
  const ra = await runBench(opts(a.port, o));
  const rb = await runBench(opts(b.port, o));
  t.deepEqual(ra.commands, rb.commands);
  t.deepEqual([...a.keys].sort(), [...b.keys].sort());
});

test('server CPU per op is reported for the given pids', async (t) => {
  const s = await fake(t);
  const r = await runBench(opts(s.port, { ops: 3000, pids: [process.pid] }));
  t.not(r.cpu, null);
  t.is(r.cpu?.perPid.length, 1);
  t.not(r.cpu?.perPid[0]?.cpuUs, null);
  // The fake server runs in this process, so it used some CPU for 3000 requests.
  t.true((r.cpu?.totalUs ?? 0) > 0);
  t.is(r.cpu?.usPerOp, (r.cpu?.totalUs ?? 0) / 3000);
  // The kernel's share, and the system calls: this process both sent every
  // request and answered it, so it made at least one socket write and one
  // socket read per 3 replies (Node coalesces writes of one tick).
  const cpu = r.cpu!;
  t.true(cpu.sysUsPerOp !== null && cpu.sysUsPerOp >= 0 && cpu.sysUsPerOp <= cpu.usPerOp);
  t.true(cpu.writeCallsPerOp !== null && cpu.writeCallsPerOp > 1 / 3, `write calls per op ${cpu.writeCallsPerOp}`);
  t.true(cpu.readCallsPerOp !== null && cpu.readCallsPerOp > 1 / 3, `read calls per op ${cpu.readCallsPerOp}`);
  t.regex(formatResult(r), /server calls {2}\d+\.\d\d write \+ \d+\.\d\d read system calls per op/);
});

test('a pid that is gone samples as unreadable, and its use as null', (t) => {
  const gone = sampleCpu(2 ** 22 + 1); // above the kernel's pid_max limit: never a process
  t.deepEqual(gone, { pid: 2 ** 22 + 1, cpuUs: null, sysUs: null, readCalls: null, writeCalls: null });
  const me = sampleCpu(process.pid);
  t.true(me.cpuUs !== null && me.sysUs !== null && me.sysUs <= me.cpuUs);
  t.true(me.writeCalls !== null && me.readCalls !== null);
  const used = cpuUsedUs([me, gone], [sampleCpu(process.pid), gone]);
  t.true(used[0]!.cpuUs !== null && used[0]!.cpuUs >= 0 && used[0]!.writeCalls !== null && used[0]!.writeCalls >= 0);
  t.deepEqual(used[1], { pid: 2 ** 22 + 1, cpuUs: null, sysUs: null, readCalls: null, writeCalls: null });
});

test('an endpoint nobody listens on fails with BenchUnreachableError', async (t) => {
  const [port] = await freePorts(1);
  await t.throwsAsync(runBench(opts(port!, { ops: 10, timeoutMs: 300 })), { instanceOf: BenchUnreachableError });
});

test('option checks name the bad option', (t) => {
  t.throws(() => parseMix('set=1,put=2'), { instanceOf: BenchOptionError, message: /put/ });
  t.throws(() => parseMix('set=0'), { instanceOf: BenchOptionError, message: /sum to 0/ });
  t.throws(() => validateBenchOptions(opts(1, { pipeline: 0 })), { instanceOf: BenchOptionError, message: /--pipeline/ });
  t.throws(() => validateBenchOptions(opts(1, { durationMs: 5 })), { instanceOf: BenchOptionError, message: /exactly one/ });
  t.deepEqual(parseMix('GET=1, set=3'), { set: 3, get: 1, del: 0, mset: 0, mset1: 0 });
  t.deepEqual(parseMix('mset=2,MSET1=1'), { set: 0, get: 0, del: 0, mset: 2, mset1: 1 });
});
