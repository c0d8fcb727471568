import type { ServerProc } from './process-owner.js';

/**
 * What the benchmark reads from a member's JSON log (pino, on stderr): each
 * group of a multi-raft participant logs with a "group" field, so every
 * reader here answers per group.
 */

/** The JSON log lines of `p` with this msg, oldest first. */
export function logLines<T>(p: ServerProc, msg: string): T[] {
  const found: T[] = [];
  for (const line of p.stderr.split('\n')) {
    if (!line.includes(`"msg":"${msg}"`)) continue;
    try {
      found.push(JSON.parse(line) as T);
    } catch {
      // a line cut by the tail window
    }
  }
  return found;
}

/** The latest line with this msg of each group, by group id (lines without a group count as group 1, the single-group shape). */
export function latestByGroup<T extends { group?: number }>(p: ServerProc, msg: string): Map<number, T> {
  const byGroup = new Map<number, T>();
  for (const line of logLines<T>(p, msg)) byGroup.set(line.group ?? 1, line);
  return byGroup;
}

/** The first line with this msg of each group, by group id. */
export function firstByGroup<T extends { group?: number }>(p: ServerProc, msg: string): Map<number, T> {
  const byGroup = new Map<number, T>();
  for (const line of logLines<T>(p, msg)) if (!byGroup.has(line.group ?? 1)) byGroup.set(line.group ?? 1, line);
  return byGroup;
}

/** The groups whose latest 'raft role' line on `p` says it leads them, ascending. */
export function ledGroups(p: ServerProc): number[] {
  return [...latestByGroup<{ group?: number; role?: string }>(p, 'raft role')]
    .filter(([, line]) => line.role === 'leader')
    .map(([g]) => g)
    .sort((a, b) => a - b);
}

/** The groups `p` said it hosts in its 'member started' line (logged once all are open), or undefined before that line. */
export function hostedGroups(p: ServerProc): number[] | undefined {
  const started = logLines<{ groups?: Array<{ group: number }> }>(p, 'member started').at(-1);
  return started?.groups?.map((g) => g.group).sort((a, b) => a - b);
}
