import type { Server } from 'node:net';
import type { Endpoint } from '../config/address.js';

/**
 * Starts `server` listening on `at` and resolves once it is bound; rejects
 * with the bind error (EADDRINUSE, EACCES) instead of leaving it to an
 * 'error' event nobody awaits. Works for net and http servers alike.
 */
export function listenOn(server: Pick<Server, 'listen' | 'once' | 'off'>, at: Endpoint): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * The address a failed listen was for: a process opens several ports (the
 * lab port, metrics, Redis, memcached), and the error names the one that
 * failed; `fallback` when it carries none.
 */
export function failedListenAddress(err: unknown, fallback: Endpoint): string {
  const e = err as { address?: unknown; port?: unknown };
  return typeof e.address === 'string' && typeof e.port === 'number' ? `${e.address}:${e.port}` : `${fallback.host}:${fallback.port}`;
}
