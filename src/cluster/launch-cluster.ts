import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { formatEndpoint, type Endpoint } from '../config/address.js';
import { ConfigError } from '../config/config-error.js';
import { loadConfigFile, type LabConfig } from '../config/lab-config.js';
import { runMyshell } from '../shell/myshell.js';
import { RespConnection } from '../shell/resp-connection.js';
import { ShellConnectionError } from '../shell/shell-connection-error.js';
import { encodeRequest } from '../protocol/resp-encoder.js';
import { clusterLayout, type ClusterMember, type ClusterShape } from './cluster-layout.js';
import { ClusterSupervisor } from './cluster-supervisor.js';
import { packageRoot } from './package-root.js';
import { acceptsConnections } from './port-probe.js';

/** How long every member gets to start listening. */
export const listenWaitMs = 30_000;
/** How long the front door gets to answer a GET (leader elected, groups known). */
export const readyWaitMs = 20_000;
/** Between two listening checks / two readiness probes. */
const pollMs = 100;
const readyPollMs = 250;
/** The key the readiness probe reads (never written). */
const probeKey = 'kvstore-cluster:probe';

export const LAUNCH_EXIT = { ok: 0, startFailed: 1, badSetup: 2 } as const;
export type LaunchExit = (typeof LAUNCH_EXIT)[keyof typeof LAUNCH_EXIT];

export interface LaunchOptions {
  readonly dir: string;
  readonly shape: ClusterShape;
  readonly basePort: number;
  /** --base-port was given on the command line (not the default). */
  readonly basePortGiven: boolean;
  /** The front door's Redis endpoint port, written into its config (undefined: none). */
  readonly redisPort?: number;
  /** The front door's memcached endpoint port, written into its config (undefined: none). */
  readonly memcachePort?: number;
  /** Open myshell on the front door (only done when stdin and stdout are a TTY). */
  readonly shell: boolean;
  readonly out: Writable;
  readonly err: Writable;
}

interface Placed {
  readonly member: ClusterMember;
  readonly listen: Endpoint;
  readonly config: LabConfig;
}

/**
 * `kvstore cluster`: writes missing configs, starts every member with its
 * log under `<dir>/logs`, waits until each listens, prints who listens
 * where, then opens myshell on the front door (at a TTY) or waits for
 * SIGINT/SIGTERM. Stopping (signal, or leaving the shell) stops every
 * member and resolves with the exit status.
 */
export async function launchCluster(o: LaunchOptions): Promise<LaunchExit> {
  const say = (s: string): void => {
    o.out.write(`${s}\n`);
  };
  const complain = (s: string): void => {
    o.err.write(`kvstore cluster: ${s}\n`);
  };
  const root = packageRoot();
  const dir = resolve(o.dir);
  const layout = clusterLayout(o.shape, o.basePort, '127.0.0.1', o.redisPort, o.memcachePort);

  for (const p of new Set(layout.members.map((m) => m.program))) {
    if (!existsSync(join(root, 'bin', p))) {
      complain(`bin/${p} is not there yet${o.shape === '2pc' ? '; `kvstore cluster --raft` starts three kvstoreraftsystem peers instead' : ''}`);
      return LAUNCH_EXIT.badSetup;
    }
  }
  mkdirSync(join(dir, 'logs'), { recursive: true });
  mkdirSync(join(dir, 'data'), { recursive: true });

  const placed: Placed[] = [];
  const written: string[] = [];
  for (const member of layout.members) {
    const path = join(dir, member.configFile);
    if (!existsSync(path)) {
      writeFileSync(path, member.defaultConfig, { flag: 'wx' });
      written.push(member.configFile);
    }
    let config: LabConfig;
    try {
      config = await loadConfigFile(path);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      complain(err.message);
      return LAUNCH_EXIT.badSetup;
    }
    if (config.kind !== member.configKind) {
      complain(`${path} holds a ${config.kind} config; ${member.name} needs a ${member.configKind} config (delete the file to get the default back)`);
      return LAUNCH_EXIT.badSetup;
    }
    placed.push({ member, listen: config.kind === 'raft' ? config.self.address : config.self, config });
  }
  const reused = layout.members.length - written.length;
  if (reused > 0) {
    say(`Using the existing configs in ${dir} (${reused} of ${layout.members.length})${o.basePortGiven ? '; --base-port applies only to configs it writes' : ''}.`);
  }
  for (const p of placed) {
    if (await acceptsConnections(p.listen)) {
      complain(`${formatEndpoint(p.listen)} (${p.member.name}) is already taken: is an earlier cluster still running? (logs in ${join(dir, 'logs')})`);
      return LAUNCH_EXIT.badSetup;
    }
    const redis = p.config.redisListen;
    if (redis !== undefined && (await acceptsConnections(redis))) {
      complain(`${formatEndpoint(redis)} (${p.member.name}'s Redis endpoint, redis_info in ${p.member.configFile}) is already taken: a Redis server, or an earlier cluster? Pick another with --redis-port when the config is written, or edit the file.`);
      return LAUNCH_EXIT.badSetup;
    }
    const mc = p.config.memcache?.listen;
    if (mc !== undefined && (await acceptsConnections(mc))) {
      complain(`${formatEndpoint(mc)} (${p.member.name}'s memcached endpoint, memcache_info in ${p.member.configFile}) is already taken: a memcached server, or an earlier cluster? Pick another with --memcache-port when the config is written, or edit the file.`);
      return LAUNCH_EXIT.badSetup;
    }
  }

  // From here on, a signal stops whatever has been started.
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let started = false;
  const supervisor = new ClusterSupervisor((name, how, tail) => {
    // A Ctrl-C at the terminal reaches the members too: their exits are expected then.
    if (stop.signal.aborted) return;
    // One write, so the name and its log tail are never interleaved with other output.
    const shown = tail === '' ? '  | (empty)' : tail.split('\n').map((l) => `  | ${l}`).join('\n');
    complain(`${name} ${how}${started ? '; the others keep running' : ''}. Last lines of logs/${name}.log:\n${shown}`);
  });
  try {
    for (const p of placed) {
      supervisor.start({
        name: p.member.name,
        binPath: join(root, 'bin', p.member.program),
        args: ['--config_path', p.member.configFile],
        cwd: dir,
        logFile: join('logs', `${p.member.name}.log`),
      });
    }
    const failed = await waitListening(placed, supervisor, stop.signal);
    if (stop.signal.aborted) return LAUNCH_EXIT.ok;
    if (failed !== null) {
      complain(`${failed}; stopping the others`);
      return LAUNCH_EXIT.startFailed;
    }
    started = true;
    printTable(say, dir, layout.shape, placed, supervisor);
    await waitReady(layout.frontDoor, placed, say, stop.signal);

    const front = placed[0]!;
    if (o.shell && process.stdin.isTTY === true && process.stdout.isTTY === true && !stop.signal.aborted) {
      await runMyshell({
        endpoint: front.listen,
        input: process.stdin,
        output: process.stdout,
        errors: process.stderr,
        interactive: true,
        signal: stop.signal,
      });
    } else {
      say('Running until Ctrl-C (SIGINT) or SIGTERM.');
      await new Promise<void>((r) => {
        if (stop.signal.aborted) r();
        else stop.signal.addEventListener('abort', () => r(), { once: true });
      });
    }
    return LAUNCH_EXIT.ok;
  } finally {
    say('Stopping the cluster...');
    await supervisor.stopAll();
    say(`Stopped. Data stays in ${join(dir, 'data')}; run the same command again to resume.`);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Null once every member listens; else why not (a member died, or time ran out). */
async function waitListening(placed: readonly Placed[], supervisor: ClusterSupervisor, stop: AbortSignal): Promise<string | null> {
  const deadline = Date.now() + listenWaitMs;
  const waiting = new Set(placed);
  while (waiting.size > 0 && !stop.aborted) {
    for (const p of [...waiting]) {
      if (!supervisor.isRunning(p.member.name)) return `${p.member.name} stopped before it listened on ${formatEndpoint(p.listen)}`;
      if (await acceptsConnections(p.listen)) waiting.delete(p);
    }
    if (waiting.size === 0) break;
    if (Date.now() > deadline) {
      return `${[...waiting].map((p) => `${p.member.name} (${formatEndpoint(p.listen)})`).join(', ')} not listening after ${listenWaitMs} ms`;
    }
    await sleep(pollMs);
  }
  return null;
}

/**
 * Probes the front door with a GET until it answers with anything but an
 * error: a leader is elected and the routes are known. Only informs; the
 * cluster keeps running either way.
 */
async function waitReady(front: ClusterMember, placed: readonly Placed[], say: (s: string) => void, stop: AbortSignal): Promise<void> {
  const at = placed.find((p) => p.member === front)!.listen;
  const conn = new RespConnection(at, { connectTimeoutMs: 1_000, replyTimeoutMs: 2_000 });
  const started = Date.now();
  const request = encodeRequest(['GET', probeKey]);
  try {
    while (!stop.aborted && Date.now() - started < readyWaitMs) {
      try {
        const reply = await conn.request(request);
        if (reply.type !== 'error') {
          say(`Ready: ${front.name} answered a GET ${Date.now() - started} ms after every member listened.`);
          return;
        }
      } catch (err) {
        if (!(err instanceof ShellConnectionError)) throw err;
      }
      await sleep(readyPollMs);
    }
    if (!stop.aborted) say(`Note: ${front.name} still answers -ERROR after ${readyWaitMs} ms; see the logs. The cluster keeps running.`);
  } finally {
    conn.close();
  }
}

function printTable(say: (s: string) => void, dir: string, shape: ClusterShape, placed: readonly Placed[], supervisor: ClusterSupervisor): void {
  const rows = [
    ['name', 'program', 'listens on', 'pid', 'config', 'data', 'log'],
    ...placed.map((p) => [
      p.member.name,
      p.member.program,
      formatEndpoint(p.listen),
      String(supervisor.pid(p.member.name) ?? '?'),
      p.member.configFile,
      p.config.dataDir ?? '(program default)',
      `logs/${p.member.name}.log`,
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const what = shape === '2pc' ? 'a coordinator and three participants (2PC)' : 'three Raft peers (kvstoreraftsystem)';
  say(`kvstore cluster: ${what}, in ${dir}`);
  for (const r of rows) say(`  ${r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()}`);
  const front = placed[0]!;
  const [host, port] = [front.listen.host, front.listen.port];
  const rel = relative(process.cwd(), join(dir, front.member.configFile));
  const configPath = rel.startsWith('..') ? join(dir, front.member.configFile) : rel;
  say(`Front door: ${host}:${port}. Also try: bin/myshell --config ${configPath}   or   nc ${host} ${port}`);
  const redis = front.config.redisListen;
  if (redis !== undefined) say(`Redis endpoint: ${formatEndpoint(redis)}. Try: redis-cli -h ${redis.host} -p ${redis.port}`);
  const mc = front.config.memcache?.listen;
  if (mc !== undefined) say(`memcached endpoint: ${formatEndpoint(mc)}. Try: memccat --servers=${formatEndpoint(mc)} KEY`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
