import { exponentialBuckets, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import { FRONT_DOOR_COMMANDS } from '../server/front-door-stats.js';
import type { DataCommand, FrontDoorStats } from '../server/front-door-stats.js';
import { collectedCounter, collectedGauge } from './collected.js';

/** 100 µs to 3.3 s: a request times out after 1.5 s. */
const REQUEST_BUCKETS_SECONDS = exponentialBuckets(0.0001, 2, 16);

/**
 * The RESP front door: requests and errors by command, read from the
 * counts it keeps; latency of the data commands, observed through a child
 * bound once per command (no label hashing of our own per request).
 */
export function frontDoorMetrics(registry: Registry, stats: FrontDoorStats): void {
  collectedCounter(registry, 'kvstore_client_requests_total', 'Client requests received, by command (other: unknown or malformed)', ['command'], () =>
    FRONT_DOOR_COMMANDS.map((c) => [{ command: c }, stats.commands[c].calls] as const),
  );
  collectedCounter(registry, 'kvstore_client_errors_total', 'Client requests answered -ERROR, by command', ['command'], () =>
    FRONT_DOOR_COMMANDS.map((c) => [{ command: c }, stats.commands[c].failed] as const),
  );
  collectedCounter(registry, 'kvstore_client_connections_received_total', 'Client connections accepted', [], () => [[{}, stats.connectionsReceived]]);
  collectedGauge(registry, 'kvstore_client_connections', 'Client connections open now', [], () => [[{}, stats.connectionsOpen]]);
  collectedCounter(registry, 'kvstore_client_connections_rejected_total', 'Client connections refused at maxclients', [], () => [[{}, stats.connectionsRejected]]);
  collectedCounter(registry, 'kvstore_client_limit_disconnections_total', 'Clients closed by a limit: query (buffer), output (buffer), idle (timeout)', ['limit'], () => [
    [{ limit: 'query' }, stats.queryBufferDisconnections],
    [{ limit: 'output' }, stats.outputBufferDisconnections],
    [{ limit: 'idle' }, stats.idleDisconnections],
  ]);
  const latency = new Histogram({
    name: 'kvstore_client_request_duration_seconds',
    help: 'Time from a data command parsed to its answer ready, by command (errors included)',
    labelNames: ['command'],
    buckets: REQUEST_BUCKETS_SECONDS,
    registers: [registry],
  });
  const by: Record<DataCommand, Histogram.Internal<'command'>> = {
    set: latency.labels('set'),
    get: latency.labels('get'),
    del: latency.labels('del'),
    mset: latency.labels('mset'),
    mget: latency.labels('mget'),
  };
  stats.latency = (command, seconds) => by[command].observe(seconds);
}
