import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../cluster/package-root.js';

let cached: string | undefined;

/** kvstore's version from its package.json (read once), for INFO and kvstore_build_info. */
export function kvstoreVersion(): string {
  if (cached === undefined) {
    try {
      const v = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown }).version;
      cached = typeof v === 'string' ? v : 'unknown';
    } catch {
      cached = 'unknown';
    }
  }
  return cached;
}
