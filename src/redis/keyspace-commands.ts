import type { KvAnswer } from '../server/kv-service.js';
import { SCAN_COUNT_MAX } from '../rpc/forward-protocol.js';
import { SLOTS } from '../sharding/slot.js';
import { SCAN_START, decodeCursor, encodeCursor, type ScanPosition } from '../kv/scan-cursor.js';
import { matchesEverything } from '../kv/glob-match.js';
import { parseInteger } from './redis-call.js';
import type { Call, Reply } from './redis-call.js';
import { NOT_AN_INTEGER, SYNTAX_ERROR } from './redis-errors.js';
import { array, bulk, error } from './resp-value.js';

/**
 * SCAN and KEYS over every group (src/kv/scan-cursor.ts: the cursor is a
 * slot and a hash within it, the same on every replica, so an iteration
 * survives leader changes and spans groups in slot order).
 */

/** KEYS asks the groups in steps of this many keys, so no host turn does a whole keyspace. */
const KEYS_STEP_COUNT = 1_000;

type ScanAnswer = Extract<KvAnswer, { type: 'scan' }>;

function scanStep(c: Call, from: ScanPosition, count: number, match: Buffer | undefined): Promise<ScanAnswer> {
  return c.session.execute({ type: 'scan', from, toSlot: SLOTS, count, match }).then((a) => {
    if (a.type !== 'scan') throw new Error(`kv answered ${a.type} to SCAN`);
    return a;
  });
}

/** SCAN cursor [MATCH pattern] [COUNT count] [TYPE type], parsed as db.c scanGenericCommand does. */
export function scan(c: Call): Reply {
  const from = decodeCursor(c.argv[1]!.toString('latin1'));
  if (from === undefined) return error('ERR invalid cursor');
  let count = 10;
  let match: Buffer | undefined;
  let typeName: string | undefined;
  for (let i = 2; i < c.argv.length; ) {
    const opt = c.argv[i]!.toString('utf8').toLowerCase();
    const arg = c.argv[i + 1];
    if (opt === 'count' && arg !== undefined) {
      const n = parseInteger(arg);
      // getLongFromObjectOrReply, then count < 1 is a syntax error.
      if (n === undefined) return error(NOT_AN_INTEGER);
      if (n < 1n) return error(SYNTAX_ERROR);
      count = n > BigInt(SCAN_COUNT_MAX) ? SCAN_COUNT_MAX : Number(n);
    } else if (opt === 'match' && arg !== undefined) {
      match = matchesEverything(arg) ? undefined : arg;
    } else if (opt === 'type' && arg !== undefined) {
      typeName = arg.toString('utf8');
    } else return error(SYNTAX_ERROR);
    i += 2;
  }
  // Every kvstore value is a string: another type matches no key, so the whole iteration is this one empty call.
  if (typeName !== undefined && typeName.toLowerCase() !== 'string') return array([bulk('0'), array([])]);
  return scanStep(c, from, count, match).then((a) => array([bulk(encodeCursor(a.next ?? { slot: SLOTS, hash: 0 })), array(a.keys.map((k) => bulk(k)))]));
}

/** KEYS pattern: every key that matches, walked group by group in bounded steps. */
export async function keys(c: Call): Promise<ReturnType<typeof array>> {
  const pattern = c.argv[1]!;
  const match = matchesEverything(pattern) ? undefined : pattern;
  const found: Buffer[] = [];
  let at: ScanPosition | undefined = SCAN_START;
  while (at !== undefined) {
    const a: ScanAnswer = await scanStep(c, at, KEYS_STEP_COUNT, match);
    for (const k of a.keys) found.push(k);
    at = a.next;
  }
  return array(found.map((k) => bulk(k)));
}
