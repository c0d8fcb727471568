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

/**
 * CONFIG GET pattern [pattern ...]: a map of every parameter some pattern
 * matches (RESP2: a flat array), as Redis 7's configGetCommand: a pattern
 * without glob characters is a name looked up in any case and answered as
 * typed; a glob matches names without regard to case, answered as stored.
 */
export function configGet(c: Call): Reply {
  const found = new Map<string, readonly [string, string]>();
  for (const p of c.argv.slice(2)) {
    const text = p.toString('latin1');
    if (!/[[*?]/.test(text)) {
      const value = c.door.config.get(text.toLowerCase());
      if (value !== undefined && !found.has(text.toLowerCase())) found.set(text.toLowerCase(), [text, value]);
      continue;
    }
    for (const [name, value] of c.door.config) if (globMatch(p, Buffer.from(name, 'latin1'), true) && !found.has(name)) found.set(name, [name, value]);
  }
  return map([...found.values()].map(([name, value]) => [name, bulk(value)] as const));
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
