import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import path from 'node:path';
import test from 'ava';
import { makeLayout } from '../../src/sharding/layout.js';
import { encodeLayout } from '../../src/sharding/layout-codec.js';
import type { ExecutionContext } from 'ava';
import { freePorts } from '../helpers/ports.js';
import { REPO } from '../helpers/processes.js';
import { dirBytes, tempDir, writeFormat1Dir } from './helpers.js';

/**
 * A participant whose data dir cannot be created exits with status 2 and
 * one line naming the dir, like every other refused data dir, instead of
 * hanging. Real processes (bin/kvstore2pcsystem, built by tsc) on loopback;
 * the coordinator is a fake that answers KVSTORE.LAYOUT when told to.
 */

/** A refusal must come this fast; the hang it guards against never ends. */
const exitMsMax = 10_000;

interface FakeCoordinator {
  /** Resolves at the participant's first KVSTORE.LAYOUT question (it is waiting for the answer then). */
  readonly asked: Promise<void>;
  /** Answers every question, held and future, with a one-group layout of `[member]`. */
  answer(): void;
  close(): Promise<void>;
}

async function fakeCoordinator(port: number, member: string): Promise<FakeCoordinator> {
  const layout = JSON.stringify(encodeLayout(makeLayout([member])));
  const reply = `$${Buffer.byteLength(layout)}\r\n${layout}\r\n`;
  let answering = false;
  const held: Socket[] = [];
  let asked!: () => void;
  const askedP = new Promise<void>((r) => (asked = r));
  const server: Server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => {
      if (!d.toString('latin1').toUpperCase().includes('KVSTORE.LAYOUT')) return;
      asked();
      if (answering) socket.end(reply);
      else held.push(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    asked: askedP,
    answer: () => {
      answering = true;
      for (const s of held.splice(0)) s.end(reply);
    },
    close: () => {
      for (const s of held.splice(0)) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

interface Participant {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  stderr(): string;
}

/** Starts `kvstore2pcsystem --config_path` as a participant in `cwd`; killed at teardown whatever happens. */
function startParticipant(t: ExecutionContext, cwd: string, configPath: string): Participant {
  const child = spawn(process.execPath, [path.join(REPO, 'bin', 'kvstore2pcsystem'), '--config_path', configPath], {
    cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, KVSTORE_LOG_LEVEL: 'info' },
  });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-100_000)));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, exited, stderr: () => stderr };
}

/** The exit status, or 'hung' (and the process killed) if it has not exited within exitMsMax. */
async function exitStatus(p: Participant): Promise<number | null | 'hung'> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), exitMsMax)));
  const status = await Promise.race([p.exited, hung]);
  clearTimeout(timer);
  if (status === 'hung') p.child.kill('SIGKILL');
  return status;
}

async function setUp(t: ExecutionContext, dataDirLine: string, configDir: string): Promise<{ coordinator: FakeCoordinator; configPath: string }> {
  const [selfPort, coordPort] = await freePorts(2);
  const self = `127.0.0.1:${selfPort!}`;
  const coordinator = await fakeCoordinator(coordPort!, self);
  t.teardown(() => coordinator.close());
  const configPath = path.join(configDir, 'participant.conf');
  fs.writeFileSync(configPath, ['mode participant', `participant_info ${self}`, `coordinator_info 127.0.0.1:${coordPort!}`, dataDirLine, ''].join('\n'));
  return { coordinator, configPath };
}

test('a data dir that cannot be created (under /proc): exit 2 naming the dir, no hang', async (t) => {
  const root = path.dirname(tempDir(t));
  const dataDir = `/proc/kvstore-no-such-${process.pid}/data`;
  const { coordinator, configPath } = await setUp(t, `data_dir ${dataDir}`, root);
  coordinator.answer();
  const p = startParticipant(t, root, configPath);
  t.is(await exitStatus(p), 2, p.stderr());
  t.regex(p.stderr(), new RegExp(`^kvstore: cannot use data dir ${dataDir}: cannot create /proc/kvstore-no-such-${process.pid}\\b.*ENOENT`, 'm'));
});

test('the data dir\'s folder deleted while waiting for the coordinator: exit 2 naming the dir, no hang', async (t) => {
  const root = path.dirname(tempDir(t));
  const work = path.join(root, 'work');
  fs.mkdirSync(work, { recursive: true });
  // A relative data dir, as the default one is: its folder is the working directory.
  const { coordinator, configPath } = await setUp(t, 'data_dir data/p1', root);
  const p = startParticipant(t, work, configPath);
  await coordinator.asked;
  fs.rmSync(work, { recursive: true, force: true });
  coordinator.answer();
  t.is(await exitStatus(p), 2, p.stderr());
  t.regex(p.stderr(), /^kvstore: cannot use data dir data\/p1: cannot create data\b.*ENOENT/m);
});

test('a data dir refused before the coordinator is asked (under a file): exit 2 naming the dir, not a stack trace', async (t) => {
  const root = path.dirname(tempDir(t));
  const file = path.join(root, 'a-file');
  fs.writeFileSync(file, 'not a directory\n');
  const { configPath } = await setUp(t, `data_dir ${file}/data`, root);
  const p = startParticipant(t, root, configPath);
  t.is(await exitStatus(p), 2, p.stderr());
  t.regex(p.stderr(), new RegExp(`^kvstore: cannot use data dir ${file}/data: cannot read it \\(ENOTDIR\\)$`, 'm'));
});

test('a data dir of the previous format: exit 2 with the VERSION line, the dir untouched', async (t) => {
  const root = path.dirname(tempDir(t));
  const dataDir = path.join(root, 'old');
  await writeFormat1Dir(dataDir);
  const before = dirBytes(dataDir);
  const { configPath } = await setUp(t, `data_dir ${dataDir}`, root);
  const p = startParticipant(t, root, configPath);
  t.is(await exitStatus(p), 2, p.stderr());
  t.regex(p.stderr(), new RegExp(`^kvstore: cannot use data dir ${dataDir}: it holds kvstore data of format 1; .*move the dir away`, 'm'));
  t.deepEqual(dirBytes(dataDir), before);
});
