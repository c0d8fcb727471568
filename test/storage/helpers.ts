import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { Level } from 'level';
import type { Entry } from '../../raft/types.js';
import { encode, encodeEntry, encodeHardState, encodeLogStart, encodeSnapshotMeta } from '../../storage/codec.js';

/** A fresh temp dir removed when the test ends; `sub` names a not-yet-existing data dir inside. */
export function tempDir(t: ExecutionContext, sub = 'data'): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kvstore-storage-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  return path.join(root, sub);
}

/** A normal entry whose data names its index and term, `bytes` long. */
export function entry(index: number, term: number, bytes = 8): Entry {
  const data = new Uint8Array(bytes);
  for (let k = 0; k < bytes; k++) data[k] = (index * 31 + term * 7 + k) & 0xff;
  return { type: 'normal', index, term, data };
}

export function entries(from: number, to: number, term: number, bytes = 8): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push(entry(i, term, bytes));
  return out;
}

/** Every file under dir (relative name -> content), to prove nothing was touched. */
export function dirBytes(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = path.join(d, name);
      if (fs.statSync(p).isDirectory()) walk(p);
      else out.set(path.relative(dir, p), fs.readFileSync(p).toString('base64'));
    }
  };
  walk(dir);
  return out;
}

/**
 * A data dir as format 1 (one group per dir, keys unprefixed) left it:
 * its KVSTORE marker, and a LevelDB holding the format key, hard state,
 * log start, snapshot meta and entries 1..3, written with raw keys.
 */
export async function writeFormat1Dir(dir: string): Promise<void> {
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  const batch = db.batch();
  batch.put(Uint8Array.of(0x01), encode({ name: 'kvstore', version: 1 }));
  batch.put(Uint8Array.of(0x02), encodeHardState({ term: 1, vote: 1, commit: 3 }));
  batch.put(Uint8Array.of(0x04), encodeLogStart({ index: 0, term: 0 }));
  const sha256 = createHash('sha256').update(new Uint8Array(0)).digest();
  batch.put(Uint8Array.of(0x03), encodeSnapshotMeta({ index: 0, term: 0, conf: { voters: [1], learners: [] }, chunks: 0, bytes: 0, sha256 }));
  for (const e of entries(1, 3, 1)) batch.put(Uint8Array.of(0x10, 0, 0, 0, 0, 0, 0, 0, e.index), encodeEntry(e));
  await batch.write();
  await db.close();
  fs.writeFileSync(path.join(dir, 'KVSTORE'), 'kvstore data dir, format 1\n');
}
