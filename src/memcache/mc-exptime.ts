import type { McTtl } from '../kv/mc-change.js';

/** memcached's bound between a relative exptime (seconds from now) and an absolute one (unix seconds): 30 days. */
export const RELATIVE_EXPTIME_MAX_S = 60 * 60 * 24 * 30;

/**
 * memcached's exptime rules (protocol.txt "Expiration times"): 0 never
 * expires; up to 30 days is seconds from now; larger is a unix time; a
 * negative one has expired already. The leader turns `in` into an absolute
 * time when it proposes the entry (str-command.ts), so replicas agree.
 */
export function ttlOfExptime(exptime: number): McTtl {
  if (exptime === 0) return { t: 'clear' };
  // Any time in the past: applied, the item is gone at once.
  if (exptime < 0) return { t: 'at', ms: 1 };
  if (exptime <= RELATIVE_EXPTIME_MAX_S) return { t: 'in', ms: exptime * 1000 };
  return { t: 'at', ms: exptime * 1000 };
}
