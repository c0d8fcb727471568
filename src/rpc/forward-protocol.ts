import type { SessionCmd } from '../kv/kv-command.js';
import { assertPosition, type ScanPosition } from '../kv/scan-cursor.js';
import { SLOTS } from '../sharding/slot.js';
import { parseStrChange, strChangeTuple } from '../kv/str-command.js';
import { parseTxnTuple, txnIdCharsMax, txnKeysMax, txnTuple } from '../txn/txn-command.js';
import type { TxnCmd, TxnId, TxnResult } from '../txn/txn-command.js';

/**
 * Requests a member forwards to its leader over the peer transport. Writes
 * carry the client's session so a retry is applied at most once; the leader
 * validates every field (a peer may speak garbage) before proposing.
 */
export type ForwardRequest =
  | { readonly t: 'write'; readonly cmd: SessionCmd; readonly hops?: number; readonly g?: number }
  | { readonly t: 'read'; readonly key: Buffer; readonly hops?: number; readonly g?: number }
  /** Several keys of one group as of one instant (a one-group MGET). */
  | { readonly t: 'mread'; readonly keys: readonly Buffer[]; readonly hops?: number; readonly g?: number }
  /** SCAN of one group: keys from `from` to slot `to`, about `count` visited (server/kv-service.ts 'scan'). */
  | { readonly t: 'scan'; readonly from: readonly [number, number]; readonly to: number; readonly count: number; readonly match?: Buffer; readonly hops?: number; readonly g?: number }
  /** WAIT: the leader's count of followers holding its whole committed log. */
  | { readonly t: 'replicas'; readonly hops?: number; readonly g?: number }
  /** A step of a cross-group transaction, for the group's leader to replicate. */
  | { readonly t: 'txn'; readonly cmd: TxnCmd; readonly hops?: number; readonly g?: number }
  /** The decision the primary group holds for txn (ABORT recorded first when it holds none). */
  | { readonly t: 'tstatus'; readonly txn: TxnId; readonly groups: readonly number[]; readonly hops?: number; readonly g?: number };

/** What travels: a txn command as its tuple (the same form as in the log, checked by the same parser). */
export function wireForwardRequest(req: ForwardRequest): unknown {
  if (req.t === 'write' && req.cmd.op === 'str') return { ...req, cmd: { ...req.cmd, change: strChangeTuple(req.cmd.change) } };
  return req.t === 'txn' ? { ...req, cmd: txnTuple(req.cmd) } : req;
}

/** The group a forwarded request is for: absent means group 1 (a single-group cluster). */
export function groupOfRequest(req: ForwardRequest): number {
  return req.g ?? 1;
}

/** A request that has been forwarded this many times is served where it lands or refused. */
export const FORWARD_HOPS_MAX = 1;

export type ForwardReply =
  | { readonly t: 'written'; readonly result: unknown }
  | { readonly t: 'values'; readonly values: Buffer[] | null }
  | { readonly t: 'mvalues'; readonly values: (Buffer[] | null)[] }
  | { readonly t: 'txn'; readonly result: TxnResult }
  /** next: [slot, hash] of the following call, null once `to` is reached. */
  | { readonly t: 'scanned'; readonly keys: Buffer[]; readonly next: [number, number] | null; readonly visited: number }
  | { readonly t: 'replicas'; readonly n: number };

/** Most keys one forwarded SCAN may visit (a call's work bound; the front door asks no more). */
export const SCAN_COUNT_MAX = 10_000;

/** A scan position from the wire, or undefined when it is not one. */
export function positionOfWire(v: unknown): ScanPosition | undefined {
  if (!Array.isArray(v) || v.length !== 2) return undefined;
  const [slot, hash] = v as unknown[];
  if (typeof slot !== 'number' || typeof hash !== 'number' || !Number.isInteger(slot) || !Number.isInteger(hash)) return undefined;
  if (slot < 0 || slot > SLOTS || hash < 0 || hash >= 2 ** 48) return undefined;
  const p = { slot, hash };
  assertPosition(p);
  return p;
}

const isBytes = (v: unknown): v is Buffer => Buffer.isBuffer(v) || v instanceof Uint8Array;
const toBuffer = (v: Buffer | Uint8Array): Buffer => (Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength));

/** The request, or a reason it is not one. */
export function parseForwardRequest(body: unknown): ForwardRequest | string {
  if (typeof body !== 'object' || body === null) return 'not an object';
  const b = body as Record<string, unknown>;
  const hops = b['hops'] ?? 0;
  if (typeof hops !== 'number' || !Number.isSafeInteger(hops) || hops < 0) return 'bad hops';
  const g = b['g'] ?? 1;
  if (typeof g !== 'number' || !Number.isInteger(g) || g < 1 || g > 0xffff_ffff) return 'bad group';
  if (b['t'] === 'read') {
    return isBytes(b['key']) ? { t: 'read', key: toBuffer(b['key']), hops, g } : 'read without a key';
  }
  if (b['t'] === 'mread') {
    const keys = b['keys'];
    if (!Array.isArray(keys) || keys.length < 1 || keys.length > txnKeysMax || !keys.every(isBytes)) return `mread names 1..${txnKeysMax} keys`;
    return { t: 'mread', keys: keys.map((k) => toBuffer(k as Uint8Array)), hops, g };
  }
  if (b['t'] === 'scan') {
    const from = positionOfWire(b['from']);
    const to = b['to'];
    const count = b['count'];
    const match = b['match'];
    if (from === undefined) return 'scan: bad position';
    if (typeof to !== 'number' || !Number.isInteger(to) || to < from.slot || to > SLOTS) return 'scan: bad end slot';
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > SCAN_COUNT_MAX) return `scan: count outside 1..${SCAN_COUNT_MAX}`;
    if (match !== undefined && !isBytes(match)) return 'scan: bad match';
    return { t: 'scan', from: [from.slot, from.hash], to, count, ...(match !== undefined ? { match: toBuffer(match) } : {}), hops, g };
  }
  if (b['t'] === 'replicas') return { t: 'replicas', hops, g };
  if (b['t'] === 'txn') {
    const cmd = parseTxnTuple(b['cmd']);
    return typeof cmd === 'string' ? `txn: ${cmd}` : { t: 'txn', cmd, hops, g };
  }
  if (b['t'] === 'tstatus') {
    const txn = b['txn'];
    const groups = b['groups'];
    if (typeof txn !== 'string' || txn.length < 1 || txn.length > txnIdCharsMax) return 'tstatus: bad txn id';
    if (!Array.isArray(groups) || groups.length < 1 || groups.length > 1024 || !groups.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 1)) return 'tstatus: bad groups';
    if (!groups.includes(g)) return 'tstatus: asked of a group the transaction does not name';
    return { t: 'tstatus', txn, groups: groups as number[], hops, g };
  }
  if (b['t'] !== 'write') return `unknown request ${JSON.stringify(b['t'])}`;
  const c = b['cmd'];
  if (typeof c !== 'object' || c === null) return 'write without a command';
  const cmd = c as Record<string, unknown>;
  const clientId = cmd['clientId'];
  const seq = cmd['seq'];
  if (typeof clientId !== 'string' || clientId.length === 0 || clientId.length > 64) return 'bad clientId';
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return 'bad seq';
  const list = (v: unknown): Buffer[] | undefined =>
    Array.isArray(v) && v.length > 0 && v.every(isBytes) ? v.map((x) => toBuffer(x as Uint8Array)) : undefined;
  if (cmd['op'] === 'set') {
    const values = list(cmd['values']);
    if (!isBytes(cmd['key']) || values === undefined) return 'bad set';
    return { t: 'write', cmd: { op: 'set', clientId, seq, key: toBuffer(cmd['key']), values }, hops, g };
  }
  if (cmd['op'] === 'mset') {
    const flat = cmd['pairs'];
    if (!Array.isArray(flat) || flat.length < 1 || flat.length > txnKeysMax) return 'bad mset';
    const pairs: [Buffer, Buffer][] = [];
    for (const p of flat as unknown[]) {
      if (!Array.isArray(p) || p.length !== 2 || !isBytes(p[0]) || !isBytes(p[1])) return 'bad mset pair';
      pairs.push([toBuffer(p[0]), toBuffer(p[1])]);
    }
    return { t: 'write', cmd: { op: 'mset', clientId, seq, pairs }, hops, g };
  }
  if (cmd['op'] === 'str') {
    const change = parseStrChange(cmd['change']);
    const nowMs = cmd['nowMs'] ?? 0;
    if (!isBytes(cmd['key']) || typeof change === 'string') return `bad str${typeof change === 'string' ? `: ${change}` : ''}`;
    if (typeof nowMs !== 'number' || !Number.isSafeInteger(nowMs) || nowMs < 0) return 'bad str nowMs';
    return { t: 'write', cmd: { op: 'str', clientId, seq, key: toBuffer(cmd['key']), change, nowMs }, hops, g };
  }
  if (cmd['op'] === 'del') {
    const keys = list(cmd['keys']);
    if (keys === undefined) return 'bad del';
    return { t: 'write', cmd: { op: 'del', clientId, seq, keys }, hops, g };
  }
  return `unknown op ${JSON.stringify(cmd['op'])}`;
}
