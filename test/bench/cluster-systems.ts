import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { freePorts } from '../helpers/ports.js';
import { assert } from '../../raft/assert.js';
import { layoutOf } from '../../src/coordinator/coordinator.js';
import { parseLabConfig } from '../../src/config/lab-config.js';
import type { Layout } from '../../src/sharding/layout.js';
import { SlotRouter } from '../../src/sharding/router.js';
import { ledGroups } from './member-log.js';
import { exited, type ProcessOwner, type ServerProc } from './process-owner.js';

/** The repository root: the nearest folder above this file with bin/ (works from test/ and from dist/test/). */
function findRepo(): string {
  let d = import.meta.dirname;
  for (let up = 0; up < 6; up++) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'bin'))) return d;
    d = resolve(d, '..');
  }
  throw new Error(`no repository root above ${import.meta.dirname}`);
}
export const REPO = findRepo();

/** How long a system may take to serve its first write. */
export const startTimeoutMs = 30_000;

/** A system under test that is up and serving at `port`. */
export interface RunningSystem {
  readonly name: string;
  readonly port: number;
  /** Server processes whose CPU is charged to this system. */
  readonly pids: number[];
  /** The processes themselves, data-holding members first (not for redis). */
  readonly procs?: ServerProc[];
  /** Where its groups live and which slots each owns (coordinator systems). */
  readonly layout?: Layout;
  /** Requests it can have in flight at once (connections × pipeline); absent: any. Rows above it are not run on it. */
  readonly concurrencyMax?: number;
  /** Each process's metrics_info port, when started with metrics on. */
  readonly metricsPorts?: number[];
}

/** Sends one raw RESP request and resolves with the first reply bytes (or rejects). */
export function rawRequest(port: number, words: string[], timeoutMs = 2000): Promise<string> {
  return new Promise((resolveReply, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error('no reply'));
    }, timeoutMs);
    let got = '';
    s.on('connect', () => s.write(`*${words.length}\r\n${words.map((w) => `$${Buffer.byteLength(w)}\r\n${w}\r\n`).join('')}`));
    s.on('data', (d) => {
      got += d.toString('latin1');
      if (got.endsWith('\r\n')) {
        clearTimeout(timer);
        s.destroy();
        resolveReply(got);
      }
    });
    s.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function tail(p: ServerProc, lines = 8): string {
  return p.stderr.trim().split('\n').slice(-lines).map((l) => `    ${p.name}: ${l}`).join('\n');
}

/** The key of the probe SET; a sharded system's probes add a number. */
const PROBE_KEY = '__bench_probe';
/** Candidate keys tried per layout: every group owns a slot, and 16384 slots need ~170,000 tries (coupon collector). */
const probeTriesMax = 10_000_000;

/**
 * One probe key per group of the layout (group g's at index g-1), found by
 * the product's own router, so a probe of all of them is a write in every
 * group: a sharded system is up only when each of its groups has a leader.
 */
export function probeKeys(layout: Layout): string[] {
  const router = new SlotRouter(layout);
  const byGroup = new Map<number, string>();
  for (let n = 0; byGroup.size < layout.groups; n++) {
    assert(n < probeTriesMax, `probeKeys: no key found for some of ${layout.groups} groups in ${probeTriesMax} tries`);
    const key = `${PROBE_KEY}:${n}`;
    const g = router.groupOf(Buffer.from(key));
    if (!byGroup.has(g)) byGroup.set(g, key);
  }
  return [...byGroup].sort(([a], [b]) => a - b).map(([, key]) => key);
}

/** Waits until a SET of each key through `port` answers +OK; throws with the processes' last words otherwise. */
export async function waitForWrites(port: number, procs: readonly ServerProc[], what: string, keys: readonly string[] = [PROBE_KEY]): Promise<void> {
  const deadline = Date.now() + startTimeoutMs;
  let last = '';
  let pending = [...keys];
  while (Date.now() < deadline) {
    const dead = procs.find(exited);
    if (dead !== undefined) throw new Error(`${what}: ${dead.name} exited (${dead.child.exitCode ?? dead.child.signalCode})\n${tail(dead)}`);
    const still: string[] = [];
    for (const key of pending) {
      try {
        const reply = await rawRequest(port, ['SET', key, 'x']);
        if (reply !== '+OK\r\n') {
          still.push(key);
          last = `${key}: ${reply.trim()}`;
        }
      } catch (err) {
        still.push(key);
        last = `${key}: ${(err as Error).message}`;
      }
    }
    pending = still;
    if (pending.length === 0) return;
    await sleep(200);
  }
  throw new Error(`${what}: no +OK to a SET of ${pending.join(', ')} within ${startTimeoutMs} ms (last: ${last})\n${procs.map((p) => tail(p, 4)).join('\n')}`);
}

/** How long start2pc waits for the leader balancer to spread the leads; past it the system runs as it is. */
const spreadTimeoutMs = 15_000;

/**
 * Waits (up to spreadTimeoutMs) until every group has a leader and each
 * participant leads its share, floor or ceil of groups / participants: the
 * steady state the leader balancer moves to once the first elections
 * settle, so measurements do not start in the middle of its transfers.
 */
async function waitForSpreadLeads(participants: readonly ServerProc[], layout: Layout): Promise<void> {
  const share = layout.groups / participants.length;
  const deadline = Date.now() + spreadTimeoutMs;
  while (Date.now() < deadline) {
    const led = participants.map((p) => ledGroups(p).length);
    if (led.reduce((a, b) => a + b, 0) === layout.groups && led.every((n) => n >= Math.floor(share) && n <= Math.ceil(share))) return;
    await sleep(100);
  }
}

/** The peer whose latest 'raft role' line says it leads (the single group of a kvstoreraftsystem), if any. */
function loggedLeader(procs: readonly ServerProc[]): number | undefined {
  const k = procs.findIndex((p) => ledGroups(p).length > 0);
  return k < 0 ? undefined : k;
}

/** (a) A 3-peer kvstoreraftsystem; the load goes to the leader found from its log. */
export async function startRaft(owner: ProcessOwner, dir: string): Promise<RunningSystem> {
  const bin = join(REPO, 'bin', 'kvstoreraftsystem');
  if (!existsSync(bin)) throw new Error(`${bin} does not exist`);
  const ports = await freePorts(3);
  const procs = ports.map((self, k) => {
    const peerDir = join(dir, `raft-${k + 1}`);
    mkdirSync(peerDir, { recursive: true });
    const conf = join(peerDir, 'raft.conf');
    writeFileSync(conf, [
      '! written by npm run bench:cluster',
      `follower_info 127.0.0.1:${self}`,
      ...ports.filter((p) => p !== self).map((p) => `follower_info 127.0.0.1:${p}`),
      `data_dir ${join(peerDir, 'data')}`,
      'log_level info',
      '',
    ].join('\n'));
    return owner.start(`raft-${k + 1}`, process.execPath, [bin, '--config_path', conf], peerDir);
  });
  await waitForWrites(ports[0]!, procs, 'kvstoreraftsystem');
  const deadline = Date.now() + startTimeoutMs;
  let leader = loggedLeader(procs);
  while (leader === undefined && Date.now() < deadline) {
    await sleep(100);
    leader = loggedLeader(procs);
  }
  if (leader === undefined) throw new Error('kvstoreraftsystem: no peer logged "raft role" leader');
  return { name: 'raft leader', port: ports[leader]!, pids: procs.map((p) => p.child.pid!).filter((x) => x !== undefined), procs };
}

export interface TwoPcOptions {
  /** The system's name in the table; default 'coordinator+3'. */
  readonly name?: string;
  /** Extra lines for every participant's config (e.g. `snapshot_entries N`). */
  readonly participantLines?: readonly string[];
  /** Extra lines for the coordinator's config (e.g. `groups 1`). */
  readonly coordinatorLines?: readonly string[];
  /** Give every process a metrics_info port of its own (metricsPorts: participants, then the coordinator). */
  readonly metrics?: boolean;
}

/**
 * (b) A coordinator and 3 participants (kvstore2pcsystem); the load goes to
 * the coordinator. Up once a write to every group of its layout answers.
 */
export async function start2pc(owner: ProcessOwner, dir: string, options: TwoPcOptions = {}): Promise<RunningSystem> {
  const bin = join(REPO, 'bin', 'kvstore2pcsystem');
  if (!existsSync(bin)) throw new Error(`${bin} does not exist yet`);
  const [coordinator, ...participants] = await freePorts(4);
  const metricsPorts = options.metrics === true ? await freePorts(4) : [];
  const metricsLine = (k: number): string[] => (metricsPorts[k] === undefined ? [] : [`metrics_info 127.0.0.1:${metricsPorts[k]}`]);
  const conf = (name: string, lines: string[]): { path: string; cwd: string; text: string } => {
    const cwd = join(dir, name);
    mkdirSync(cwd, { recursive: true });
    const path = join(cwd, `${name}.conf`);
    const text = ['! written by npm run bench:cluster', ...lines, `data_dir ${join(cwd, 'data')}`, 'log_level info', ''].join('\n');
    writeFileSync(path, text);
    return { path, cwd, text };
  };
  const procs = participants.map((p, k) => {
    const c = conf(`participant-${k + 1}`, ['mode participant', `participant_info 127.0.0.1:${p}`, `coordinator_info 127.0.0.1:${coordinator}`, ...metricsLine(k), ...(options.participantLines ?? [])]);
    return owner.start(`participant-${k + 1}`, process.execPath, [bin, '--config_path', c.path], c.cwd);
  });
  const c = conf('coordinator', ['mode coordinator', `coordinator_info 127.0.0.1:${coordinator}`, ...participants.map((p) => `participant_info 127.0.0.1:${p}`), ...metricsLine(3), ...(options.coordinatorLines ?? [])]);
  // The placement the coordinator derives from this file, derived the same way here.
  const cfg = parseLabConfig(c.text, c.path);
  assert(cfg.kind === 'coordinator', 'start2pc: the coordinator config parses as one');
  const layout = layoutOf(cfg);
  procs.push(owner.start('coordinator', process.execPath, [bin, '--config_path', c.path], c.cwd));
  await waitForWrites(coordinator!, procs, 'kvstore2pcsystem', probeKeys(layout));
  await waitForSpreadLeads(procs.slice(0, participants.length), layout);
  return { name: options.name ?? 'coordinator+3', port: coordinator!, pids: procs.map((p) => p.child.pid!).filter((x) => x !== undefined), procs, layout, ...(metricsPorts.length > 0 ? { metricsPorts } : {}) };
}

/** (c) The reference: one redis-server, every write fsynced before its reply. */
export async function startRedis(owner: ProcessOwner, dir: string): Promise<RunningSystem> {
  const which = spawnSync('which', ['redis-server'], { encoding: 'utf8' });
  const bin = which.stdout.trim();
  if (which.status !== 0 || bin === '') throw new Error('redis-server is not installed (apt-get install -y redis-server)');
  const [port] = await freePorts(1);
  const cwd = join(dir, 'redis');
  mkdirSync(cwd, { recursive: true });
  const proc = owner.start('redis', bin, [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', cwd,
    '--appendonly', 'yes', '--appendfsync', 'always', '--save', '',
    '--daemonize', 'no', '--logfile', '',
  ], cwd);
  await waitForWrites(port!, [proc], 'redis-server');
  return { name: 'redis aof always', port: port!, pids: [proc.child.pid!] };
}
