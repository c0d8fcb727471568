/**
 * `memcache_allow`: the client addresses the memcached door serves, as IPv4
 * CIDR blocks (`10.0.0.0/8`, or a bare address for /32). memcached's text
 * protocol has no password, so where requirepass protects the other doors
 * this list (or a loopback bind) is what keeps strangers out.
 */
export interface Cidr {
  /** The network address, as a 32-bit unsigned number. */
  readonly net: number;
  /** 0..32. */
  readonly bits: number;
}

function ipv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

function mask(bits: number): number {
  return bits === 0 ? 0 : (0xffff_ffff << (32 - bits)) >>> 0;
}

/** One block, or why it is none. */
export function parseCidr(text: string): Cidr | string {
  const [addr, bitsText, extra] = text.split('/');
  const ip = addr === undefined ? undefined : ipv4(addr);
  if (ip === undefined || extra !== undefined) return `bad address block "${text}": expected a.b.c.d or a.b.c.d/N`;
  const bits = bitsText === undefined ? 32 : /^(0|[1-9][0-9]?)$/.test(bitsText) && Number(bitsText) <= 32 ? Number(bitsText) : undefined;
  if (bits === undefined) return `bad address block "${text}": the prefix length must be 0..32`;
  if (((ip & ~mask(bits)) >>> 0) !== 0) return `bad address block "${text}": host bits set past /${bits}`;
  return { net: ip, bits };
}

/** Whether a socket's remote address (IPv4, or IPv4-mapped IPv6) is in one of the blocks. */
export function allowed(list: readonly Cidr[], remote: string | undefined): boolean {
  if (remote === undefined) return false;
  const ip = ipv4(remote.startsWith('::ffff:') ? remote.slice(7) : remote);
  if (ip === undefined) return false;
  return list.some((c) => ((ip & mask(c.bits)) >>> 0) === c.net);
}

/** Whether a listen host is loopback only (127.0.0.0/8 or localhost). */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host.startsWith('127.');
}
