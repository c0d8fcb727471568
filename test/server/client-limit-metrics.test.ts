import test from 'ava';
import { Registry } from 'prom-client';
import { frontDoorMetrics } from '../../src/metrics/front-door-metrics.js';
import { FrontDoorStats } from '../../src/server/front-door-stats.js';

test('/metrics reads the limit counters INFO reads: refused connections and closes by limit', async (t) => {
  const registry = new Registry();
  const stats = new FrontDoorStats();
  frontDoorMetrics(registry, stats);
  stats.connectionsRejected = 3;
  stats.queryBufferDisconnections = 1;
  stats.outputBufferDisconnections = 2;
  stats.idleDisconnections = 5;
  const text = await registry.metrics();
  t.regex(text, /^kvstore_client_connections_rejected_total 3$/m);
  t.regex(text, /^kvstore_client_limit_disconnections_total\{limit="query"\} 1$/m);
  t.regex(text, /^kvstore_client_limit_disconnections_total\{limit="output"\} 2$/m);
  t.regex(text, /^kvstore_client_limit_disconnections_total\{limit="idle"\} 5$/m);
});
