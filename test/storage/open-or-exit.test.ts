import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { Level } from 'level';
import { groupSingletonKey } from '../../storage/keys.js';
import { RaftStore } from '../../storage/raft-store.js';
import { compileChild } from './compile-child.js';
import { dirBytes, entries, tempDir, writeFormat1Dir } from './helpers.js';

/**
 * A node refuses a data dir it must not use: it names the dir and the
 * problem, exits with status 2, and leaves the dir as it was.
 */
const childTs = path.join(path.dirname(fileURLToPath(import.meta.url)), 'open-child.ts');
const conf = { voters: [1], learners: [] };

function runOpen(childJs: string, dir: string): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, [childJs, dir], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

/** All keys and values, as hex, read through a raw LevelDB handle. */
async function logicalContents(dir: string): Promise<string[]> {
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view', createIfMissing: false });
  await db.open({ createIfMissing: false });
  const out: string[] = [];
  for await (const [k, v] of db.iterator()) out.push(`${Buffer.from(k).toString('hex')}=${Buffer.from(v).toString('hex')}`);
  await db.close();
  return out;
}

let child: { js: string; cleanup: () => void };
test.before(() => {
  child = compileChild(childTs);
});
test.after.always(() => child?.cleanup());

test('a fresh dir opens, exit 0', (t) => {
  const dir = tempDir(t);
  const r = runOpen(child.js, dir);
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout.trim(), 'opened');
});

test('a dir holding a foreign LevelDB: exit 2, named, bytes unchanged', async (t) => {
  const dir = tempDir(t);
  const foreign = new Level(dir);
  await foreign.open();
  await foreign.put('user:1', 'alice');
  await foreign.close();
  const before = dirBytes(dir);
  const r = runOpen(child.js, dir);
  t.is(r.status, 2);
  t.is(r.stderr, `kvstore: cannot use data dir ${dir}: it holds files (a LevelDB database of something else) but no KVSTORE marker, so it is not a kvstore data dir; refusing to touch it\n`);
  t.deepEqual(dirBytes(dir), before);
});

test('a dir locked by a running node: exit 2, names the lock holder, bytes unchanged', async (t) => {
  const dir = tempDir(t);
  // Another process plays the running node. (Not this one: POSIX locks are
  // dropped when a process closes any fd of the file, and dirBytes reads LOCK.)
  const running = spawn(process.execPath, [child.js, dir, 'hold'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => running.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    running.stdout.on('data', (d: Buffer) => d.toString().includes('opened') && resolve());
    running.on('exit', (code) => reject(new Error(`holder exited ${code}`)));
  });
  const before = dirBytes(dir);
  const r = runOpen(child.js, dir);
  t.is(r.status, 2);
  t.true(r.stderr.startsWith(`kvstore: cannot use data dir ${dir}: it is locked by process ${running.pid}`), r.stderr);
  t.deepEqual(dirBytes(dir), before);
});

test('a stored value that fails to decode: exit 2, names the key kind, data kept', async (t) => {
  const dir = tempDir(t);
  const s = await RaftStore.open(dir, { initialConf: conf });
  await s.persist({ entries: entries(1, 3, 1), hardState: { term: 1, vote: 1, commit: 2 } });
  await s.close();
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  await db.put(groupSingletonKey(1, 'snapshotMeta'), Uint8Array.of(0x93, 0x01)); // a 3-element array cut short
  await db.close();
  const before = await logicalContents(dir);
  const r = runOpen(child.js, dir);
  t.is(r.status, 2);
  t.regex(r.stderr, /^kvstore: cannot use data dir .*: group 1: cannot decode the snapshot meta stored at key 0x100000000103: /);
  t.true(r.stderr.includes(dir));
  // LevelDB itself rewrites its own files on every open (it recovers its write-ahead
  // log into a table), so what must not change is what the database holds.
  t.deepEqual(await logicalContents(dir), before);
});

test('a kvstore dir of another format version: exit 2', async (t) => {
  const dir = tempDir(t);
  const s = await RaftStore.open(dir, { initialConf: conf });
  await s.close();
  const fs = await import('node:fs');
  fs.writeFileSync(path.join(dir, 'KVSTORE'), 'kvstore data dir, format 99\n');
  const before = dirBytes(dir);
  const r = runOpen(child.js, dir);
  t.is(r.status, 2);
  t.regex(r.stderr, /format 99, newer than this build's format 2; run the kvstore build that wrote it/);
  t.deepEqual(dirBytes(dir), before);
});

test('a data dir of the previous format (one group, keys unprefixed): exit 2, says to move it away, bytes unchanged', async (t) => {
  const dir = tempDir(t);
  await writeFormat1Dir(dir);
  const before = dirBytes(dir);
  const r = runOpen(child.js, dir);
  t.is(r.status, 2);
  t.is(
    r.stderr,
    `kvstore: cannot use data dir ${dir}: it holds kvstore data of format 1; this build reads format 2 only and does not convert it: ` +
      'move the dir away (this node then starts with no data) or run the kvstore build that wrote it\n',
  );
  t.deepEqual(dirBytes(dir), before);
});
