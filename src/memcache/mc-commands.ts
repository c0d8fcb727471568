/**
 * memcached requests -> KvSession ops -> reply bytes. Every write is one
 * replicated op (a str change, mc-change.ts) whose outcome the state
 * machine decides; reads are the door's ordinary GETs. A failure of the
 * store (no leader, timeout, a lock) is `SERVER_ERROR <reason>`: the client
 * learns the write may not have happened, as with memcached's own
 * SERVER_ERRORs.
 */
import { assertNever } from '../../raft/assert.js';
import type { McChange } from '../kv/mc-change.js';
import { casOf, decodeItem } from '../kv/mc-item.js';
import type { StrResult } from '../kv/str-command.js';
import type { KvSession } from '../server/kv-service.js';
import { kvstoreVersion } from '../metrics/version.js';
import { ttlOfExptime } from './mc-exptime.js';
import type { McRequest } from './mc-request.js';
import type { McStats } from './mc-stats.js';

/** The memcached version `version` and `stats` report: the protocol level kvstore speaks. */
export const MC_PROTOCOL_VERSION = '1.6.21';

export interface McDoorFacts {
  readonly stats: McStats;
  /** curr_items: keys of every group as this process knows them. */
  readonly items: () => number;
  readonly itemBytesMax: number;
  /** flush_all with a delay: every key is removed then (one pending at a time, as memcached's single oldest_live; a new one replaces it). */
  readonly flushAt: (atMs: number) => void;
}

const CRLF = '\r\n';
const line = (s: string): Buffer => Buffer.from(s + CRLF, 'latin1');
const END = line('END');

/** A failure of the store as one memcached line (no CR/LF inside). */
export function serverError(err: unknown): Buffer {
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  return line(`SERVER_ERROR kvstore ${typeof code === 'string' ? `${code}: ` : ''}${message}`.replace(/[\r\n]+/g, ' ').slice(0, 512));
}

function str(session: KvSession, key: Buffer, change: McChange | { kind: 'getdel' }): Promise<StrResult> {
  return session.execute({ type: 'str', key, change }).then((a) => {
    if (a.type !== 'str') throw new Error(`kv answered ${a.type} to a str op`);
    return a.result;
  });
}

/** The stored value of a key as one string of bytes (a lab value's words joined by spaces, as the Redis door reads them). */
function read(session: KvSession, key: Buffer): Promise<Buffer | undefined> {
  return session.execute({ type: 'get', key }).then((a) => {
    if (a.type !== 'values') throw new Error(`kv answered ${a.type} to GET`);
    if (a.values === undefined) return undefined;
    return a.values.length === 1 ? a.values[0]! : Buffer.from(a.values.map((v) => v.toString('latin1')).join(' '), 'latin1');
  });
}

/** `VALUE <key> <flags> <bytes> [<cas>]\r\n<data>\r\n` for one stored value. */
function valueBlock(key: Buffer, stored: Buffer, withCas: boolean): Buffer {
  const item = decodeItem(stored);
  const head = `VALUE ${key.toString('latin1')} ${item.flags} ${item.data.length}${withCas ? ` ${casOf(stored)}` : ''}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), item.data, Buffer.from(CRLF)]);
}

function storeReply(r: StrResult, stats: McStats, cas: boolean): Buffer {
  if (r.kind !== 'mc') throw new Error(`kv answered ${r.kind} to a memcached store`);
  if (cas) {
    if (r.code === 'STORED') stats.casHits++;
    else if (r.code === 'EXISTS') stats.casBadval++;
    else stats.casMisses++;
  }
  // memcached's words when an append does not fit (do_store_item: the joined item cannot be allocated).
  return line(r.code === 'TOO_LARGE' ? 'SERVER_ERROR out of memory storing object' : r.code);
}

/** Runs one parsed request (not `refused` nor `quit`: the connection answers those itself). */
export function runMcRequest(req: Exclude<McRequest, { t: 'refused' | 'quit' }>, session: KvSession, door: McDoorFacts): Buffer | Promise<Buffer> {
  const stats = door.stats;
  switch (req.t) {
    case 'store': {
      stats.cmdSet++;
      // A plain set is the lab's SET of one word: the same bytes every door reads (and SET clears an expiry, as memcached's set).
      if (req.mode === 'set' && req.flags === 0 && req.exptime === 0) return session.execute({ type: 'set', key: req.key, values: [req.data] }).then(() => line('STORED'));
      const change: McChange = { kind: 'mcstore', mode: req.mode, value: req.data, flags: req.flags, ttl: ttlOfExptime(req.exptime), cas: req.cas, itemBytesMax: door.itemBytesMax };
      return str(session, req.key, change).then((r) => storeReply(r, stats, req.mode === 'cas'));
    }
    case 'get':
      return Promise.all(req.keys.map((k) => read(session, k))).then((values) => {
        const out: Buffer[] = [];
        values.forEach((v, i) => {
          stats.cmdGet++;
          if (v === undefined) {
            stats.getMisses++;
            return;
          }
          stats.getHits++;
          out.push(valueBlock(req.keys[i]!, v, req.withCas));
        });
        out.push(END);
        return Buffer.concat(out);
      });
    case 'gat':
      return Promise.all(req.keys.map((k) => str(session, k, { kind: 'mctouch', ttl: ttlOfExptime(req.exptime), get: true }))).then((results) => {
        const out: Buffer[] = [];
        results.forEach((r, i) => {
          stats.cmdTouch++;
          stats.cmdGet++;
          if (r.kind !== 'value') throw new Error(`kv answered ${r.kind} to gat`);
          if (r.value === null) {
            stats.touchMisses++;
            stats.getMisses++;
            return;
          }
          stats.touchHits++;
          stats.getHits++;
          out.push(valueBlock(req.keys[i]!, r.value, req.withCas));
        });
        out.push(END);
        return Buffer.concat(out);
      });
    case 'delete':
      // GETDEL, not DEL: a key whose expiry has passed but is not swept yet is NOT_FOUND, as in memcached.
      return str(session, req.key, { kind: 'getdel' }).then((r) => {
        const found = r.kind === 'value' && r.applied;
        if (found) stats.deleteHits++;
        else stats.deleteMisses++;
        return line(found ? 'DELETED' : 'NOT_FOUND');
      });
    case 'arith':
      return str(session, req.key, { kind: 'mcincr', by: req.delta, decr: req.decr }).then((r) => {
        if (r.kind === 'mcnum') {
          if (req.decr) stats.decrHits++;
          else stats.incrHits++;
          return line(r.n);
        }
        if (r.kind !== 'mc') throw new Error(`kv answered ${r.kind} to incr/decr`);
        if (r.code === 'NOT_FOUND') {
          if (req.decr) stats.decrMisses++;
          else stats.incrMisses++;
          return line('NOT_FOUND');
        }
        return line('CLIENT_ERROR cannot increment or decrement non-numeric value');
      });
    case 'touch':
      return str(session, req.key, { kind: 'mctouch', ttl: ttlOfExptime(req.exptime), get: false }).then((r) => {
        stats.cmdTouch++;
        if (r.kind !== 'mc') throw new Error(`kv answered ${r.kind} to touch`);
        if (r.code === 'TOUCHED') stats.touchHits++;
        else stats.touchMisses++;
        return line(r.code);
      });
    case 'flush_all': {
      stats.cmdFlush++;
      // kv-service `flush`: every key of every group, as one transaction (the same as the Redis door's FLUSHALL).
      const ttl = ttlOfExptime(req.delay);
      if (ttl.t !== 'clear') {
        const atMs = ttl.t === 'in' ? Date.now() + ttl.ms : ttl.ms;
        if (atMs > Date.now()) {
          door.flushAt(atMs);
          return line('OK');
        }
      }
      return session.execute({ type: 'flush' }).then(() => line('OK'));
    }
    case 'version':
      return line(`VERSION ${MC_PROTOCOL_VERSION}`);
    case 'verbosity':
      return line('OK');
    case 'stats':
      return req.args.length === 0 ? statsReply(door) : line('ERROR');
    default:
      return assertNever(req, 'memcached request');
  }
}

/** `stats` with no argument: memcached's general-purpose statistics that mean something here. */
function statsReply(door: McDoorFacts): Buffer {
  const s = door.stats;
  const now = Date.now();
  const cpu = process.cpuUsage();
  const fields: [string, string | number][] = [
    ['pid', process.pid],
    ['uptime', Math.floor((now - s.startedMs) / 1000)],
    ['time', Math.floor(now / 1000)],
    ['version', MC_PROTOCOL_VERSION],
    ['kvstore_version', kvstoreVersion()],
    ['libevent', 'none'],
    ['pointer_size', 64],
    ['rusage_user', (cpu.user / 1e6).toFixed(6)],
    ['rusage_system', (cpu.system / 1e6).toFixed(6)],
    ['max_connections', 10000],
    ['curr_connections', s.currConnections],
    ['total_connections', s.totalConnections],
    ['rejected_connections', s.rejectedConnections],
    ['cmd_get', s.cmdGet],
    ['cmd_set', s.cmdSet],
    ['cmd_flush', s.cmdFlush],
    ['cmd_touch', s.cmdTouch],
    ['get_hits', s.getHits],
    ['get_misses', s.getMisses],
    ['get_expired', 0],
    ['delete_misses', s.deleteMisses],
    ['delete_hits', s.deleteHits],
    ['incr_misses', s.incrMisses],
    ['incr_hits', s.incrHits],
    ['decr_misses', s.decrMisses],
    ['decr_hits', s.decrHits],
    ['cas_misses', s.casMisses],
    ['cas_hits', s.casHits],
    ['cas_badval', s.casBadval],
    ['touch_hits', s.touchHits],
    ['touch_misses', s.touchMisses],
    ['bytes_read', s.bytesRead],
    ['bytes_written', s.bytesWritten],
    ['limit_maxbytes', 0],
    ['threads', 1],
    ['item_size_max', door.itemBytesMax],
    ['curr_items', door.items()],
  ];
  return Buffer.from(`${fields.map(([k, v]) => `STAT ${k} ${v}\r\n`).join('')}END\r\n`, 'latin1');
}
