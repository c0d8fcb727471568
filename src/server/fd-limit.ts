import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { DEFAULT_CLIENT_LIMITS, fdLimitedMaxclients, RESERVED_FDS } from './client-limits.js';
import type { ClientLimits } from './client-limits.js';
import { ClientPool } from './client-pool.js';
import type { FrontDoorStats } from './front-door-stats.js';

/**
 * This process's soft limit on open files (RLIMIT_NOFILE), from
 * /proc/self/limits; undefined where that is not to be read (not Linux) or
 * unlimited. Node itself raises the soft limit to the hard one as it starts
 * (node.cc, PlatformInit), so what is read here is in effect `ulimit -Hn`
 * of whoever started us: only that (limits.conf, systemd LimitNOFILE,
 * docker --ulimit, prlimit) can give more (README, "Many clients").
 */
export function openFilesSoftLimit(limitsText?: string): number | undefined {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return undefined;
    }
  }
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
  if (m === null || m[1] === 'unlimited') return undefined;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/**
 * The process's ClientPool: the config's limits, with maxclients lowered
 * (and a warning logged) when the open-files limit cannot hold that many
 * clients, as Redis does at start; CONFIG GET maxclients then reports the
 * lowered value, the one enforced.
 */
export function processClientPool(stats: FrontDoorStats, log: Logger, limits: Partial<ClientLimits> = {}, openFiles = openFilesSoftLimit()): ClientPool {
  const wanted = limits.maxclients ?? DEFAULT_CLIENT_LIMITS.maxclients;
  const fit = fdLimitedMaxclients(wanted, openFiles);
  if (fit.lowered) {
    log.warn(
      { maxclients: wanted, openFiles, reservedFds: RESERVED_FDS, loweredTo: fit.maxclients },
      `maxclients ${wanted} needs ${wanted + RESERVED_FDS} open files, the limit is ${openFiles}: maxclients lowered to ${fit.maxclients} (raise it with ulimit -n before starting, see README)`,
    );
  }
  return new ClientPool(stats, log, { ...limits, maxclients: fit.maxclients });
}
