import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import type { Entry } from '../../raft/types.js';

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
