import { Socket } from 'node:net';
import type { Endpoint } from '../config/address.js';

/** One connect attempt gives up after this long. */
export const probeConnectTimeoutMs = 1_000;

/**
 * True if something accepts a TCP connection at `e` right now. The socket is
 * closed at once without a byte sent; a server sees a client that left.
 */
export function acceptsConnections(e: Endpoint, timeoutMs = probeConnectTimeoutMs): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const finish = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
    socket.connect(e.port, e.host);
  });
}
