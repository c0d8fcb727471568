/**
 * `npm run bench:storage` (after `npm run build`): synced appends per second
 * through RaftStore.persist for batches of 1, 16 and 256 entries of 100 bytes,
 * next to the raw fsync floor of the same disk measured in the same run
 * (write + fdatasync of a 100-byte record in a plain file in the same temp
 * dir). Each figure is the median of `reps` runs. Not an ava test (ava only
 * runs *.test.ts).
 *
 * Options: --reps N (default 5), --seconds S per measurement (default 0.6).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RaftStore } from '../../storage/raft-store.js';
import type { Entry } from '../../raft/types.js';

const entryBytes = 100;
const batchSizes = [1, 16, 256] as const;
/** Concurrent callers, each with one 1-entry persist in flight at a time. */
const concurrentCallers = 64;
/** Persist calls per measurement at most, whatever the time budget. */
const callsPerRunMax = 20_000;

function arg(name: string, dflt: number): number {
  const k = process.argv.indexOf(`--${name}`);
  const v = k >= 0 ? Number(process.argv[k + 1]) : dflt;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} needs a positive number`);
  return v;
}
const reps = Math.floor(arg('reps', 5));
const secondsPerRun = arg('seconds', 0.6);

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kvstore-bench-'));
let dirCount = 0;
const freshDir = (): string => path.join(root, `d${dirCount++}`);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function nowS(): number {
  return Number(process.hrtime.bigint()) / 1e9;
}

/** Raw floor: synced 100-byte writes per second to a plain file. */
function fsyncFloor(): number {
  const file = path.join(root, `fsync-${dirCount++}`);
  const fd = fs.openSync(file, 'w');
  const record = Buffer.alloc(entryBytes, 0x5a);
  let n = 0;
  const t0 = nowS();
  let t = t0;
  while (t - t0 < secondsPerRun && n < callsPerRunMax) {
    fs.writeSync(fd, record);
    fs.fdatasyncSync(fd);
    n++;
    if (n % 16 === 0) t = nowS();
  }
  t = nowS();
  fs.closeSync(fd);
  fs.rmSync(file);
  return n / (t - t0);
}

const payload = new Uint8Array(entryBytes).fill(0x61);
function makeEntries(from: number, count: number): Entry[] {
  const out: Entry[] = [];
  for (let k = 0; k < count; k++) out.push({ type: 'normal', term: 1, index: from + k, data: payload });
  return out;
}

/** One caller, one persist of `batch` entries at a time. Returns [entries/s, synced batches/s]. */
async function sequential(batch: number): Promise<[number, number]> {
  const store = await RaftStore.open(freshDir(), { initialConf: { voters: [1], learners: [] } });
  let next = 1;
  for (let w = 0; w < 5; w++, next += batch) await store.persist({ entries: makeEntries(next, batch) }); // warm-up
  const before = store.stats().batches;
  let calls = 0;
  const t0 = nowS();
  while (nowS() - t0 < secondsPerRun && calls < callsPerRunMax) {
    await store.persist({ entries: makeEntries(next, batch) });
    next += batch;
    calls++;
  }
  const dt = nowS() - t0;
  const batches = store.stats().batches - before;
  await store.close();
  return [(calls * batch) / dt, batches / dt];
}

/** `concurrentCallers` callers, each persisting 1 entry, awaiting it, repeating. */
async function concurrent(): Promise<[number, number]> {
  const store = await RaftStore.open(freshDir(), { initialConf: { voters: [1], learners: [] } });
  let next = 1;
  await store.persist({ entries: makeEntries(next++, 1) });
  const before = store.stats().batches;
  let calls = 0;
  const t0 = nowS();
  const caller = async (): Promise<void> => {
    while (nowS() - t0 < secondsPerRun && calls < callsPerRunMax) {
      calls++;
      await store.persist({ entries: makeEntries(next++, 1) });
    }
  };
  await Promise.all(Array.from({ length: concurrentCallers }, caller));
  const dt = nowS() - t0;
  const batches = store.stats().batches - before;
  await store.close();
  return [calls / dt, batches / dt];
}

interface Row {
  name: string;
  entries: number[];
  batches: number[];
}

async function main(): Promise<void> {
  const rows: Row[] = [
    { name: 'fsync floor (plain file, 100 B)', entries: [], batches: [] },
    ...batchSizes.map((b) => ({ name: `persist, batch of ${b}`, entries: [], batches: [] })),
    { name: `persist, ${concurrentCallers} callers x 1`, entries: [], batches: [] },
  ];
  for (let r = 0; r < reps; r++) {
    // Interleave kinds within each repetition so drift in the disk hits all alike.
    const f = fsyncFloor();
    rows[0]!.entries.push(f);
    rows[0]!.batches.push(f);
    for (const [k, b] of batchSizes.entries()) {
      const [e, s] = await sequential(b);
      rows[k + 1]!.entries.push(e);
      rows[k + 1]!.batches.push(s);
    }
    const [e, s] = await concurrent();
    rows[rows.length - 1]!.entries.push(e);
    rows[rows.length - 1]!.batches.push(s);
  }
  const floor = median(rows[0]!.batches);
  const one = median(rows[1]!.entries);
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
  console.log(`kvstore storage benchmark: ${entryBytes}-byte entries, median of ${reps} runs of ~${secondsPerRun}s each`);
  console.log(`node ${process.version}, ${os.cpus().length} cpus, temp dir ${os.tmpdir()}\n`);
  console.log('| write | entries/s | synced writes/s | writes/s vs fsync floor | entries/s vs batch of 1 |');
  console.log('|---|---:|---:|---:|---:|');
  for (const row of rows) {
    const e = median(row.entries);
    const s = median(row.batches);
    const vsOne = row === rows[0] ? '' : `${(e / one).toFixed(1)}x`;
    console.log(`| ${row.name} | ${fmt(e)} | ${fmt(s)} | ${(s / floor).toFixed(2)} | ${vsOne} |`);
  }
  const ratio256 = median(rows[3]!.entries) / one;
  console.log(`\nbatch of 256 vs batch of 1: ${ratio256.toFixed(1)}x entries/s (needs >= 50x): ${ratio256 >= 50 ? 'ok' : 'BELOW TARGET'}`);
}

try {
  await main();
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
