/**
 * The memcached endpoint's config lines (coordinator and raft peers):
 *   memcache_info IP:PORT        serve memcached's text protocol here
 *   memcache_allow CIDR[,CIDR]   only these client addresses (e.g. 127.0.0.1,10.0.0.0/8)
 *   memcache_item_max BYTES      largest item's data (default 1 MiB, at most 128 MiB)
 * memcached's text protocol has no password (kvstore does not do its SASL),
 * so with `requirepass` a memcache_info on a non-loopback address needs a
 * memcache_allow list: otherwise the password on the other doors would be
 * bypassed through this one, and the config is refused.
 */
import type { Cidr } from '../memcache/allow-list.js';
import { isLoopbackHost, parseCidr } from '../memcache/allow-list.js';
import type { MemcacheSettings } from '../memcache/memcache-door.js';
import type { Endpoint } from './address.js';
import type { ConfigErrorCode } from './config-error.js';
import { quoteValue } from './config-error.js';

export const MEMCACHE_PARAMETERS = ['memcache_info', 'memcache_allow', 'memcache_item_max'] as const;
/** Blocks one memcache_allow line may list. */
export const ALLOW_BLOCKS_MAX = 256;
const ITEM_BYTES_CEILING = 128 * 1024 * 1024;

interface Line {
  readonly name: string;
  readonly value: string;
  readonly at: number;
}

type Fail = (code: ConfigErrorCode, at: number | null, reason: string) => never;

export function memcacheSettings(info: { readonly line: Line; readonly endpoint: Endpoint } | undefined, allowLine: Line | undefined, itemLine: Line | undefined, requirepass: boolean, fail: Fail): MemcacheSettings | undefined {
  if (info === undefined) {
    const stray = allowLine ?? itemLine;
    if (stray !== undefined) fail('BAD_VALUE', stray.at, `${stray.name} needs a memcache_info line (the memcached endpoint it configures)`);
    return undefined;
  }
  let allow: Cidr[] | undefined;
  if (allowLine !== undefined) {
    const blocks = allowLine.value.split(',');
    if (blocks.length > ALLOW_BLOCKS_MAX) fail('BAD_VALUE', allowLine.at, `memcache_allow lists ${blocks.length} blocks, at most ${ALLOW_BLOCKS_MAX}`);
    allow = blocks.map((b) => {
      const c = parseCidr(b);
      return typeof c === 'string' ? fail('BAD_VALUE', allowLine.at, c) : c;
    });
  }
  let itemBytesMax: number | undefined;
  if (itemLine !== undefined) {
    if (!/^[1-9][0-9]*$/.test(itemLine.value) || Number(itemLine.value) > ITEM_BYTES_CEILING) {
      fail('BAD_VALUE', itemLine.at, `memcache_item_max must be an integer in 1..${ITEM_BYTES_CEILING} (bytes), got ${quoteValue(itemLine.value)}`);
    }
    itemBytesMax = Number(itemLine.value);
  }
  if (requirepass && allow === undefined && !isLoopbackHost(info.endpoint.host)) {
    fail(
      'BAD_VALUE',
      info.line.at,
      `memcache_info ${info.line.value} is not loopback and there is no memcache_allow line: memcached's protocol has no password, so with requirepass set the memcached endpoint must be bound to 127.0.0.1 or limited by memcache_allow`,
    );
  }
  return { listen: info.endpoint, ...(allow !== undefined ? { allow } : {}), ...(itemBytesMax !== undefined ? { itemBytesMax } : {}) };
}
