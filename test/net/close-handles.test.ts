import test from 'ava';
import { RpcClient } from '../../src/net/rpc-client.js';
import { SILENT_LOGGER } from '../../src/net/net-logger.js';
import { freePort, mesh, sleep, startNode } from './helpers.js';

/** Counts of the libuv handles a leak would show up as. */
function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) {
    if (r === 'TCPSocketWrap' || r === 'TCPServerWrap' || r === 'Timeout' || r === 'Immediate') counts[r] = (counts[r] ?? 0) + 1;
  }
  return counts;
}

// Serial and alone in its file: nothing else in this process opens handles meanwhile.
test.serial('close() leaves no sockets, servers or timers behind', async (t) => {
  const before = handles();
  const a = await startNode(t, 1);
  const b = await startNode(t, 2);
  mesh(a, b);
  a.transport.setAddress(3, { host: '127.0.0.1', port: await freePort() }); // a peer in backoff: a redial timer
  b.transport.onRequest(() => new Promise(() => {})); // a request left pending: a timeout timer
  a.transport.onRaft(() => {});
  b.transport.onRaft(() => {});
  a.transport.send(2, { type: 'heartbeat' });
  b.transport.send(1, { type: 'heartbeat' });
  a.transport.send(3, { type: 'heartbeat' });
  const pending = a.transport.request(2, 'x', 60_000).catch((e: Error) => e);
  const client = new RpcClient({ cluster: 'test', address: { host: '127.0.0.1', port: b.port }, logger: SILENT_LOGGER });
  const clientPending = client.request('y', 60_000).catch((e: Error) => e);
  await sleep(200);
  t.true((handles()['TCPSocketWrap'] ?? 0) > (before['TCPSocketWrap'] ?? 0), 'the scenario did open sockets');

  client.close();
  await a.stop();
  await b.stop();
  t.regex(String(await pending), /CLOSED|UNREACHABLE/);
  t.regex(String(await clientPending), /CLOSED/);
  await sleep(50);
  t.deepEqual(handles(), before);
});
