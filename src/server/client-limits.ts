import { assert } from '../../raft/assert.js';
import { DEFAULT_RESP_PARSER_LIMITS } from '../protocol/resp-parser.js';
import type { RespParserLimits } from '../protocol/resp-parser.js';

/**
 * What one process lets its clients cost, for every front door (the lab
 * port and the Redis port), named after Redis's parameters of the same
 * meaning (redis.conf: maxclients, timeout, client-query-buffer-limit,
 * client-output-buffer-limit normal). Door-independent, so any door can
 * adopt them.
 */
export interface ClientLimits {
  /** Client connections open at once over all doors of the process; one more is refused (Redis maxclients). */
  readonly maxclients: number;
  /** Seconds a client may stay idle (nothing read or written, no request running) before it is closed; 0 = never (Redis timeout). */
  readonly idleTimeoutSec: number;
  /** Most bytes one request may declare (headers and payloads): the query buffer a connection may hold (Redis client-query-buffer-limit). */
  readonly queryBufferBytes: number;
  /** Replies waiting to be sent to one client beyond which it is closed at once; 0 = no limit (Redis hard limit). */
  readonly outputHardBytes: number;
  /** Replies waiting beyond this for outputSoftSec in a row close the client; 0 = no limit (Redis soft limit). */
  readonly outputSoftBytes: number;
  readonly outputSoftSec: number;
}

/**
 * Defaults for a box like ours (24 GiB, 2 cores). maxclients and timeout
 * are Redis's. The query buffer is Redis's 1 GiB: it must hold one request
 * with a value of proto-max-bulk-len (512 MiB) and the rest of its words.
 * Redis leaves normal clients' output unlimited; we do not: a client that
 * never reads would otherwise hold the server's memory. 256 MiB hard, and
 * 64 MiB for 60 s soft, let a slow reader fetch a value of several hundred
 * MiB but bound what one non-reader costs to ~1% of the box.
 */
export const DEFAULT_CLIENT_LIMITS: ClientLimits = {
  maxclients: 10_000,
  idleTimeoutSec: 0,
  queryBufferBytes: 1024 * 1024 * 1024,
  outputHardBytes: 256 * 1024 * 1024,
  outputSoftBytes: 64 * 1024 * 1024,
  outputSoftSec: 60,
};

/** Ceilings the config parser checks against (Redis's own, where it has them). */
export const CLIENT_LIMIT_CEILINGS = {
  maxclients: 1_000_000,
  idleTimeoutSec: 365 * 24 * 3600,
  queryBufferBytes: 4 * 1024 * 1024 * 1024,
  outputBytes: 64 * 1024 * 1024 * 1024,
  outputSoftSec: 365 * 24 * 3600,
} as const;

/** Below this, a request line and one small bulk would not fit: the parser's limits would contradict it. */
export const QUERY_BUFFER_BYTES_MIN = 1024 * 1024;

/**
 * File descriptors a process keeps besides its clients (Redis reserves 32:
 * CONFIG_MIN_RESERVED_FDS): listeners, LevelDB, logs, peers.
 */
export const RESERVED_FDS = 32;

export function validateClientLimits(l: ClientLimits): void {
  for (const [name, v] of Object.entries(l)) {
    assert(Number.isSafeInteger(v) && v >= 0, `client limits: ${name} must be a non-negative integer, got ${v}`);
  }
  assert(l.maxclients >= 1, 'client limits: maxclients >= 1');
  assert(l.queryBufferBytes >= QUERY_BUFFER_BYTES_MIN, `client limits: queryBufferBytes >= ${QUERY_BUFFER_BYTES_MIN}`);
}

/**
 * The maxclients a process can honour with `openFilesMax` descriptors: as
 * Redis does when it cannot raise its limit, lower it to what fits after
 * the reserved ones, and say so. Pure: the caller reads the limit.
 */
export function fdLimitedMaxclients(maxclients: number, openFilesMax: number | undefined): { maxclients: number; lowered: boolean } {
  if (openFilesMax === undefined) return { maxclients, lowered: false };
  const fits = Math.max(1, openFilesMax - RESERVED_FDS);
  return fits < maxclients ? { maxclients: fits, lowered: true } : { maxclients, lowered: false };
}

/**
 * Redis's memory units (memtoll in util.c): a decimal integer with an
 * optional unit, b, k = 1000, kb = 1024, m, mb, g, gb, case-insensitive.
 * Undefined for anything else.
 */
export function parseMemoryBytes(text: string): number | undefined {
  const m = /^([0-9]+)(b|k|kb|m|mb|g|gb)?$/i.exec(text);
  if (m === null) return undefined;
  const unit = (m[2] ?? 'b').toLowerCase();
  const mul = { b: 1, k: 1000, kb: 1024, m: 1000 ** 2, mb: 1024 ** 2, g: 1000 ** 3, gb: 1024 ** 3 }[unit]!;
  const n = Number(m[1]) * mul;
  return Number.isSafeInteger(n) ? n : undefined;
}

/** CONFIG GET client-output-buffer-limit's value, the normal class ours, the others Redis's defaults (kvstore has neither). */
export function outputBufferLimitText(l: ClientLimits): string {
  return `normal ${l.outputHardBytes} ${l.outputSoftBytes} ${l.outputSoftSec} slave 268435456 67108864 60 pubsub 33554432 8388608 60`;
}

/**
 * The request parser's limits for a door: one request may declare up to the
 * query buffer; a bulk larger than that could never be read whole, so the
 * smaller of the two limits is the one in force (and reported).
 */
export function parserLimitsOf(l: ClientLimits, bulkBytesMax: number | undefined): Pick<RespParserLimits, 'bulkBytesMax' | 'requestBytesMax'> {
  return {
    bulkBytesMax: Math.min(bulkBytesMax ?? DEFAULT_RESP_PARSER_LIMITS.bulkBytesMax, l.queryBufferBytes),
    requestBytesMax: l.queryBufferBytes,
  };
}
