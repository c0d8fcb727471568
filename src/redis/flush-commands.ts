import type { Call, Reply } from './redis-call.js';
import { SYNTAX_ERROR } from './redis-errors.js';
import { OK, error } from './resp-value.js';

/**
 * FLUSHALL / FLUSHDB [ASYNC|SYNC]: every key of every group goes, as ONE
 * transaction (kv-service `flush`): each group is emptied under a lock on
 * all of it, so no client sees some groups flushed and others not. kvstore
 * has one keyspace, so FLUSHDB is FLUSHALL; ASYNC and SYNC both answer once
 * the flush is committed.
 */
export function flush(c: Call): Reply {
  if (c.argv.length > 2) return error(SYNTAX_ERROR);
  if (c.argv.length === 2) {
    const mode = c.argv[1]!.toString('utf8').toUpperCase();
    if (mode !== 'ASYNC' && mode !== 'SYNC') return error(SYNTAX_ERROR);
  }
  return c.session.execute({ type: 'flush' }).then((a) => {
    if (a.type !== 'ok') throw new Error(`kv answered ${a.type} to FLUSHALL`);
    return OK;
  });
}
