import { createServer } from 'node:net';
import type { Server } from 'node:net';

/**
 * Ports below the kernel's ephemeral range (32768-60999 on Linux), so that a
 * node restarted after kill -9 finds its port free: an ephemeral port may be
 * taken meanwhile as the local end of some outbound connection.
 */
const PORT_LO = 20_000;
const PORT_HI = 32_000;

function tryListen(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(undefined));
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

/** Ports free on 127.0.0.1 right now (held open together, so distinct). */
export async function freePorts(count: number): Promise<number[]> {
  const held: Server[] = [];
  const ports: number[] = [];
  for (let attempt = 0; ports.length < count; attempt++) {
    if (attempt > 10_000) throw new Error(`no ${count} free ports in ${PORT_LO}..${PORT_HI}`);
    const port = PORT_LO + Math.floor(Math.random() * (PORT_HI - PORT_LO));
    if (ports.includes(port)) continue;
    const s = await tryListen(port);
    if (s === undefined) continue;
    held.push(s);
    ports.push(port);
  }
  await Promise.all(held.map((s) => new Promise((r) => s.close(r))));
  return ports;
}
