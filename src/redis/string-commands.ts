import type { KvAnswer } from '../server/kv-service.js';
import { CrossGroupError } from '../server/routed-kv.js';
import { parseInteger, word } from './redis-call.js';
import type { Call, Reply } from './redis-call.js';
import { CROSSSLOT, NOT_AN_INTEGER, SYNTAX_ERROR, invalidExpire, wrongArity } from './redis-errors.js';
import { NULL, OK, array, bulk, error, int, simple } from './resp-value.js';
import type { RespValue } from './resp-value.js';

/**
 * The string commands over the replicated store. kvstore stores a value as
 * words (the lab's SET takes several); this door writes ONE word, the whole
 * bulk string, and reads back the words joined by single spaces, so a value
 * the lab port stored as `SET k a b` reads here as `a b`.
 */

const SPACE = Buffer.from(' ');

/** The stored words as one Redis string. */
export function joinWords(values: readonly Buffer[]): Buffer {
  if (values.length === 1) return values[0]!;
  const parts: Buffer[] = [];
  values.forEach((v, i) => {
    if (i > 0) parts.push(SPACE);
    parts.push(v);
  });
  return Buffer.concat(parts);
}

function valueOf(a: KvAnswer): Buffer | undefined {
  if (a.type !== 'values') throw new Error(`kv answered ${a.type} to a read`);
  return a.values === undefined ? undefined : joinWords(a.values);
}

function read(c: Call, key: Buffer): Promise<Buffer | undefined> {
  return c.session.execute({ type: 'get', key }).then(valueOf);
}

/** A failure of the store as the client sees it: CROSSSLOT over several groups, else ERR and the reason. */
export function storeError(err: unknown): RespValue {
  if (err instanceof CrossGroupError) return error(CROSSSLOT);
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  return error(`ERR kvstore ${typeof code === 'string' ? `${code}: ` : ''}${message}`);
}

export function get(c: Call): Reply {
  return read(c, c.argv[1]!).then((v) => (v === undefined ? NULL : bulk(v)));
}

export function strlen(c: Call): Reply {
  return read(c, c.argv[1]!).then((v) => int(v === undefined ? 0 : v.length));
}

/** TYPE: every kvstore value is a string. */
export function type(c: Call): Reply {
  return read(c, c.argv[1]!).then((v) => simple(v === undefined ? 'none' : 'string'));
}

/** The keys' values as of one instant (one MGET, a transaction's read when the keys span groups). */
function readMany(c: Call, keys: readonly Buffer[]): Promise<ReadonlyArray<Buffer | undefined>> {
  return c.session.execute({ type: 'mget', keys }).then((a) => {
    if (a.type !== 'multi') throw new Error(`kv answered ${a.type} to MGET`);
    return a.values.map((v) => (v === undefined ? undefined : joinWords(v)));
  });
}

/** EXISTS k [k ...]: how many of the keys exist, a key named twice counted twice (as Redis). */
export function exists(c: Call): Reply {
  return readMany(c, c.argv.slice(1)).then((vs) => int(vs.filter((v) => v !== undefined).length));
}

/** MGET k [k ...]: each key's value or null, as of one instant. */
export function mget(c: Call): Reply {
  return readMany(c, c.argv.slice(1)).then((vs) => array(vs.map((v) => (v === undefined ? NULL : bulk(v)))));
}

/** MSET k v [k v ...]: all or none, keys in several groups in one transaction. */
export function mset(c: Call): Reply {
  if (c.argv.length % 2 === 0) return error(wrongArity('mset'));
  const pairs: Array<readonly [Buffer, Buffer]> = [];
  for (let i = 1; i < c.argv.length; i += 2) pairs.push([c.argv[i]!, c.argv[i + 1]!]);
  return c.session.execute({ type: 'mset', pairs }).then(() => OK);
}

/** DEL / UNLINK k [k ...]: the number removed; keys in several groups in one transaction. */
export function del(c: Call): Reply {
  return c.session.execute({ type: 'del', keys: c.argv.slice(1) }).then((a) => {
    if (a.type !== 'count') throw new Error(`kv answered ${a.type} to DEL`);
    return int(a.n);
  });
}

/** SET's options as t_string.c parseExtendedStringArgumentsOrReply reads them. */
export interface SetOptions {
  readonly condition: 'nx' | 'xx' | undefined;
  readonly get: boolean;
  /** EX/PX/EXAT/PXAT as an expiry rule, or KEEPTTL. */
  readonly expiry: { readonly unit: 'EX' | 'PX' | 'EXAT' | 'PXAT'; readonly n: bigint } | 'KEEPTTL' | undefined;
}

/** SET's options, or the error Redis replies for them. */
export function parseSetOptions(argv: readonly Buffer[]): SetOptions | RespValue {
  let condition: 'nx' | 'xx' | undefined;
  let getOld = false;
  let expiry: SetOptions['expiry'];
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j]!.toString('utf8').toUpperCase();
    const next = argv[j + 1];
    if (opt === 'NX' && condition === undefined) condition = 'nx';
    else if (opt === 'XX' && condition === undefined) condition = 'xx';
    else if (opt === 'GET' && !getOld) getOld = true;
    else if (opt === 'KEEPTTL' && expiry === undefined) expiry = 'KEEPTTL';
    else if ((opt === 'EX' || opt === 'PX' || opt === 'EXAT' || opt === 'PXAT') && expiry === undefined && next !== undefined) {
      const n = parseInteger(next);
      if (n === undefined) return error(NOT_AN_INTEGER);
      if (n <= 0n) return error(invalidExpire('set'));
      expiry = { unit: opt, n };
      j++;
    } else return error(SYNTAX_ERROR);
  }
  return { condition, get: getOld, expiry };
}

/**
 * SET key value [NX|XX] [GET] [EX s|PX ms|EXAT t|PXAT t|KEEPTTL]. Plain SET
 * is one replicated write. NX, XX, GET and expiry need a conditional write
 * applied in the log, which kvstore does not have yet: they are refused,
 * never emulated with a read then a write (that would race).
 */
export function setCommand(c: Call): Reply {
  const opts = parseSetOptions(c.argv);
  if ('t' in opts) return opts;
  if (opts.condition !== undefined || opts.get || opts.expiry !== undefined) {
    return error(`ERR kvstore does not support SET with ${describeOptions(c)} yet`);
  }
  return c.session.execute({ type: 'set', key: c.argv[1]!, values: [c.argv[2]!] }).then(() => OK);
}

function describeOptions(c: Call): string {
  return c.argv
    .slice(3)
    .map((_, i) => word(c, i + 3).toUpperCase())
    .filter((w) => ['NX', 'XX', 'GET', 'EX', 'PX', 'EXAT', 'PXAT', 'KEEPTTL'].includes(w))
    .join(' ');
}
