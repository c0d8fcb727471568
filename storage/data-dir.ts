import fs from 'node:fs';
import path from 'node:path';
import { FORMAT_NAME, FORMAT_VERSION, versionProblem } from './codec.js';
import { StorageError } from './storage-error.js';

/**
 * The data dir before LevelDB sees it. LevelDB changes files as soon as it
 * opens a directory (it rotates LOG even when the lock then fails, and
 * recovers its write-ahead log into a new table), so everything we can
 * refuse without opening, we refuse here, touching nothing:
 *  - a dir with files but no KVSTORE marker file is not ours (NOT_OURS);
 *  - a marker of another format version (VERSION);
 *  - a LevelDB lock held by a live process, read from /proc/locks (LOCKED).
 * The marker file is written (synced, renamed into place) before LevelDB
 * creates anything, so a dir with our marker and no database is only ever a
 * creation cut short, which open may finish.
 */

export const markerFileName = 'KVSTORE';
const markerText = `${FORMAT_NAME} data dir, format ${FORMAT_VERSION}\n`;
const markerPattern = /^kvstore data dir, format (\d+)\n$/;
/** The marker is one short line; anything bigger is not ours. */
const markerBytesMax = 128;

/** Files LevelDB writes while creating a database, before CURRENT exists. */
const creationDebris = /^(LOCK|LOG|LOG\.old|MANIFEST-\d+|\d+\.dbtmp|KVSTORE\.tmp)$/;

export type DataDirState =
  /** Nothing there yet, or an empty dir, or our marker alone: create a fresh database. */
  | 'fresh'
  /** Our marker and a LevelDB database: open it and check the marker key. */
  | 'existing';

export function inspectDataDir(dataDir: string, create: boolean): DataDirState {
  const fail = (code: 'NOT_OURS' | 'VERSION' | 'CORRUPT' | 'MISSING' | 'IO', problem: string, cause?: unknown): never => {
    throw new StorageError(code, dataDir, problem, cause === undefined ? {} : { cause });
  };
  let names: string[];
  try {
    const st = fs.statSync(dataDir);
    if (!st.isDirectory()) fail('NOT_OURS', 'it is not a directory');
    names = fs.readdirSync(dataDir);
  } catch (err) {
    if (err instanceof StorageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      if (!create) fail('MISSING', 'it does not exist (and creating it was not asked for)');
      return 'fresh';
    }
    return fail('IO', `cannot read it (${code ?? String(err)})`, err);
  }
  if (names.length === 0) return 'fresh';
  if (!names.includes(markerFileName)) {
    const looksLevel = names.includes('CURRENT') ? ' (a LevelDB database of something else)' : '';
    return fail('NOT_OURS', `it holds files${looksLevel} but no ${markerFileName} marker, so it is not a kvstore data dir; refusing to touch it`);
  }
  const version = readMarker(dataDir, fail);
  if (version !== FORMAT_VERSION) fail('VERSION', versionProblem(version));
  checkNotLocked(dataDir);
  if (names.includes('CURRENT')) return 'existing';
  const strays = names.filter((n) => n !== markerFileName && !creationDebris.test(n));
  if (strays.length > 0) {
    fail('CORRUPT', `it has the ${markerFileName} marker but no database (CURRENT missing) and holds ${strays.slice(0, 5).join(', ')}`);
  }
  return 'fresh';
}

function readMarker(dataDir: string, fail: (code: 'NOT_OURS' | 'IO', problem: string, cause?: unknown) => never): number {
  const file = path.join(dataDir, markerFileName);
  let text: string;
  try {
    const st = fs.statSync(file);
    if (!st.isFile() || st.size > markerBytesMax) fail('NOT_OURS', `${markerFileName} is not a kvstore marker file`);
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof StorageError) throw err;
    return fail('IO', `cannot read ${markerFileName} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, err);
  }
  const m = markerPattern.exec(text);
  if (m === null) return fail('NOT_OURS', `${markerFileName} does not hold a kvstore marker`);
  return Number(m[1]);
}

/**
 * Creates the dir and writes the marker durably: temp file, fsync, rename,
 * fsync of the dir, so after a crash the marker is either whole or absent.
 * Any failure is an IO StorageError naming the dir (the node exits 2).
 */
export function writeMarker(dataDir: string): void {
  createDirs(dataDir);
  const file = path.join(dataDir, markerFileName);
  try {
    if (fs.existsSync(file)) return;
    const tmp = `${file}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, markerText);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    const dirFd = fs.openSync(dataDir, 'r');
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
    }
  } catch (err) {
    throw new StorageError('IO', dataDir, `cannot write its ${markerFileName} marker (${errorCode(err)})`, { cause: err });
  }
}

/** Directories made on the way to a data dir at most: a bound on the walk up. */
const createDepthMax = 64;

/**
 * Makes the dir and its missing parents, nearest existing ancestor first.
 * Not fs.mkdirSync's `recursive`: on Node 20 that loops forever, one core
 * at 100%, when mkdir keeps answering ENOENT for a parent that exists
 * (a path under /proc; a relative path whose working directory was
 * deleted). Here a second ENOENT for a dir whose parent is there is final.
 */
function createDirs(dataDir: string): void {
  const missing: string[] = [];
  for (let dir = dataDir; !makeDir(dataDir, dir); ) {
    const parent = path.dirname(dir);
    if (parent === dir || missing.length >= createDepthMax) {
      throw new StorageError('IO', dataDir, `cannot create ${dir} (ENOENT: none of its parents exists)`);
    }
    missing.push(dir);
    dir = parent;
  }
  for (let k = missing.length - 1; k >= 0; k--) {
    const dir = missing[k]!;
    if (!makeDir(dataDir, dir)) {
      throw new StorageError(
        'IO',
        dataDir,
        `cannot create ${dir} (ENOENT although ${path.dirname(dir)} is a directory: a deleted working directory, or a file system that takes no new directories, such as /proc)`,
      );
    }
  }
}

/** mkdir of one dir: true if it is a directory now, false if its parent is missing (ENOENT). */
function makeDir(dataDir: string, dir: string): boolean {
  try {
    fs.mkdirSync(dir);
    return true;
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOENT') return false;
    if (code === 'EEXIST' && isDirectory(dir)) return true;
    const what = code === 'EEXIST' ? 'EEXIST: it is not a directory' : code;
    throw new StorageError('IO', dataDir, `cannot create ${dir} (${what})`, { cause: err });
  }
}

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? String(err);
}

/**
 * LevelDB takes a POSIX (fcntl) write lock on <dir>/LOCK. Linux lists held
 * locks in /proc/locks as "N: POSIX ADVISORY WRITE <pid> <maj>:<min>:<inode> ...".
 * Where /proc/locks cannot be read, LevelDB's own lock still refuses (after
 * rotating its LOG file, which is all it touches before the lock).
 */
export function checkNotLocked(dataDir: string): void {
  let st: fs.Stats;
  let table: string;
  try {
    st = fs.statSync(path.join(dataDir, 'LOCK'));
    table = fs.readFileSync('/proc/locks', 'utf8');
  } catch {
    return;
  }
  const major = ((st.dev >> 8) & 0xfff) | (Math.floor(st.dev / 2 ** 32) & ~0xfff);
  const minor = (st.dev & 0xff) | ((st.dev >> 12) & 0xfff00);
  const id = `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}:${st.ino}`;
  for (const line of table.split('\n')) {
    const f = line.trim().split(/\s+/);
    // "1:" "POSIX" "ADVISORY" "WRITE" pid dev:ino start end; blocked waiters show "->".
    if (f[1] === '->') continue;
    if (f[1] !== 'POSIX' && f[1] !== 'OFDLCK' && f[1] !== 'FLOCK') continue;
    if (f[5] !== id) continue;
    const pid = Number(f[4]);
    const who = pid === process.pid ? 'this process (the store is already open here)' : `process ${pid}`;
    throw new StorageError('LOCKED', dataDir, `it is locked by ${who}, probably a running kvstore node`);
  }
}
