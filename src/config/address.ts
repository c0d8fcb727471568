/**
 * `IP:PORT` as the lab writes it: an IPv4 dotted quad (or `localhost`) and a
 * port 1..65535. IPv6 and host names other than localhost are not accepted:
 * the lab's configs never use them, and refusing them keeps typos loud.
 */
export interface Endpoint {
  /** As written: a dotted quad without leading zeros, or `localhost`. */
  readonly host: string;
  readonly port: number;
}

import { quoteValue } from './config-error.js';

/** Why `text` is not an address, or null if it is one. */
export function addressProblem(text: string): string | null {
  const colon = text.lastIndexOf(':');
  if (colon <= 0 || colon === text.length - 1) return `bad address ${quoteValue(text)}: expected IP:PORT, e.g. 127.0.0.1:8001`;
  const host = text.slice(0, colon);
  const port = text.slice(colon + 1);
  if (host !== 'localhost' && !isDottedQuad(host)) return `bad address ${quoteValue(text)}: ${quoteValue(host)} is not an IPv4 address (a.b.c.d, each 0..255) or localhost`;
  if (!/^[1-9][0-9]{0,4}$/.test(port) || Number(port) > 65535) return `bad address ${quoteValue(text)}: port ${quoteValue(port)} is not an integer in 1..65535`;
  return null;
}

/** Parses a text for which addressProblem returned null. */
export function parseEndpoint(text: string): Endpoint {
  const colon = text.lastIndexOf(':');
  return { host: text.slice(0, colon), port: Number(text.slice(colon + 1)) };
}

export function formatEndpoint(e: Endpoint): string {
  return `${e.host}:${e.port}`;
}

/**
 * The same socket address gets the same key however it is written
 * (`localhost:8001` and `127.0.0.1:8001` collide); keys sort in numeric
 * address order, then port.
 */
export function endpointKey(e: Endpoint): string {
  const host = e.host === 'localhost' ? '127.0.0.1' : e.host;
  const ip = host.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
  return `${ip.toString(16).padStart(8, '0')}:${e.port.toString(16).padStart(4, '0')}`;
}

function isDottedQuad(host: string): boolean {
  const parts = host.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}
