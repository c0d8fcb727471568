import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** How many folders up from this file the package root may be (src/cluster, dist/src/cluster). */
const levelsUpMax = 6;

/**
 * The kvstore package root (the folder with package.json and bin/), found
 * from this file's own location so it works from src/ under tsx and from
 * dist/ alike, whatever the working directory.
 */
export function packageRoot(from: string = import.meta.dirname): string {
  let dir = from;
  for (let i = 0; i <= levelsUpMax; i++) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && existsSync(join(dir, 'bin'))) {
      const name = (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name;
      if (name === 'kvstore') return dir;
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new Error(`kvstore package root not found above ${from}`);
}
