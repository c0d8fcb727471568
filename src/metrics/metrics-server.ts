import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Endpoint } from '../config/address.js';
import type { Logger } from '../server/logger.js';
import { listenOn } from '../net/listen.js';

/** Connections the metrics port keeps open at once: a few scrapers, never a flood. */
export const METRICS_CONNECTIONS_MAX = 64;
/** A request that has not sent its headers by then is dropped. */
const HEADERS_TIMEOUT_MS = 5_000;

export interface Readiness {
  readonly ready: boolean;
  /** Why not, for a person reading curl's output. */
  readonly reason: string;
}

/** What the metrics port shows of a node. */
export interface MetricsSource {
  readonly registry: Registry;
  /** /readyz: ready when every group this node hosts (or routes) has a known leader. */
  ready(): Readiness;
  /** /status: a JSON-able description of every group. */
  status(): unknown;
}

const ROUTES = ['/metrics', '/health', '/readyz', '/status'] as const;
type Route = (typeof ROUTES)[number];

function isRoute(path: string): path is Route {
  return (ROUTES as readonly string[]).includes(path);
}

/**
 * The `metrics_info IP:PORT` port: GET (or HEAD) /metrics (Prometheus
 * text), /health, /readyz and /status (JSON), as etcd serves them. Any
 * other path is 404, any other method 405 with Allow; the node is never
 * affected by what this port is sent.
 */
export async function startMetricsServer(listen: Endpoint, source: MetricsSource, log: Logger): Promise<Server> {
  const server = createServer((req, res) => {
    answer(req, res, source).catch((err: unknown) => {
      log.warn({ err: err instanceof Error ? err.message : String(err), path: req.url }, 'metrics request failed');
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  });
  server.maxConnections = METRICS_CONNECTIONS_MAX;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = HEADERS_TIMEOUT_MS * 2;
  await listenOn(server, listen);
  server.on('error', (err) => log.warn({ err: err.message }, 'metrics server error'));
  return server;
}

/** Closes the port and every connection on it (scrapers keep connections alive). */
export function closeMetricsServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

async function answer(req: IncomingMessage, res: ServerResponse, source: MetricsSource): Promise<void> {
  const path = (req.url ?? '/').split('?')[0]!;
  if (!isRoute(path)) return send(res, 404, 'text/plain; charset=utf-8', `not found: ${path.slice(0, 200)} (try ${ROUTES.join(', ')})\n`);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return send(res, 405, 'text/plain; charset=utf-8', `method ${String(req.method).slice(0, 20)} not allowed on ${path} (GET, HEAD)\n`);
  }
  switch (path) {
    case '/metrics':
      return send(res, 200, source.registry.contentType, await source.registry.metrics());
    case '/health':
      // The process answers: it is alive (etcd's shape).
      return send(res, 200, 'application/json', '{"health":"true","reason":""}\n');
    case '/readyz': {
      const r = source.ready();
      return send(res, r.ready ? 200 : 503, 'text/plain; charset=utf-8', r.ready ? 'ok\n' : `not ready: ${r.reason}\n`);
    }
    case '/status':
      return send(res, 200, 'application/json', `${JSON.stringify(source.status(), null, 2)}\n`);
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
