import { globMatch } from '../kv/glob-match.js';
import { word } from './redis-call.js';
import type { Call, Reply } from './redis-call.js';
import { helpReply } from './connection-commands.js';
import { configSetImmutable, configSetUnknown } from './redis-errors.js';
import { OK, bulk, int, map, verbatim } from './resp-value.js';

/** INFO [section ...]: a bulk string (verbatim in RESP3, as Redis), `redis_version` and `loading` included. */
export function info(c: Call): Reply {
  return verbatim(c.door.info(c.argv.slice(1).map((a) => a.toString('utf8'))));
}

/** DBSIZE: the number of keys, over every group. */
export function dbsize(c: Call): Reply {
  return int(c.door.dbsize());
}

/** CONFIG GET pattern [pattern ...]: a map of every parameter some pattern matches (RESP2: a flat array). */
export function configGet(c: Call): Reply {
  const patterns = c.argv.slice(2);
  // Pattern by pattern, each parameter once (Redis 7 dedups when several patterns match it).
  const found = new Map<string, string>();
  for (const p of patterns) {
    // Redis's glob without regard to case (util.c stringmatchlen, nocase).
    for (const [name, value] of c.door.config) if (globMatch(p, Buffer.from(name, 'latin1'), true) && !found.has(name)) found.set(name, value);
  }
  return map([...found].map(([name, value]) => [name, bulk(value)] as const));
}

/** CONFIG SET: kvstore's parameters come from its config file; none is set at run time. */
export function configSet(c: Call): Reply {
  const param = word(c, 2);
  return { t: 'error', s: c.door.config.has(param.toLowerCase()) ? configSetImmutable(param) : configSetUnknown(param) };
}

/** CONFIG RESETSTAT: accepted (the counters are the process's, for /metrics too, and stay). */
export function configResetstat(): Reply {
  return OK;
}

export function configHelp(): Reply {
  return helpReply('CONFIG', [
    'GET <pattern>',
    '    Return parameters matching the glob-like <pattern> and their values.',
    'SET <directive> <value>',
    '    Refused: kvstore reads its parameters from its config file.',
    'RESETSTAT',
    '    Accepted; counters are kept.',
  ]);
}
