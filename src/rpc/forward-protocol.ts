import type { SessionCmd } from '../kv/kv-command.js';

/**
 * Requests a member forwards to its leader over the peer transport. Writes
 * carry the client's session so a retry is applied at most once; the leader
 * validates every field (a peer may speak garbage) before proposing.
 */
export type ForwardRequest =
  | { readonly t: 'write'; readonly cmd: SessionCmd; readonly hops?: number; readonly g?: number }
  | { readonly t: 'read'; readonly key: Buffer; readonly hops?: number; readonly g?: number };

/** The group a forwarded request is for: absent means group 1 (a single-group cluster). */
export function groupOfRequest(req: ForwardRequest): number {
  return req.g ?? 1;
}

/** A request that has been forwarded this many times is served where it lands or refused. */
export const FORWARD_HOPS_MAX = 1;

export type ForwardReply =
  | { readonly t: 'written'; readonly result: unknown }
  | { readonly t: 'values'; readonly values: Buffer[] | null };

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
  if (cmd['op'] === 'del') {
    const keys = list(cmd['keys']);
    if (keys === undefined) return 'bad del';
    return { t: 'write', cmd: { op: 'del', clientId, seq, keys }, hops, g };
  }
  return `unknown op ${JSON.stringify(cmd['op'])}`;
}
