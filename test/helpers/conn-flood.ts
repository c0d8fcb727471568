/**
 * A separate process that holds many client connections to one Redis
 * endpoint at once (run: node --import=tsx conn-flood.ts PORT N). Each
 * connection, from a source address spread over 127.0.0.1..127.0.0.16 (so
 * ephemeral ports never run short), sends PING, SET k<i> v<i>, GET k<i> and
 * checks the three replies byte for byte. Once all are done and every
 * connection is still open it prints `HOLD {json}`, keeps them until a line
 * arrives on stdin, then closes them all and exits 0 (1 if any failed).
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';

const port = Number(process.argv[2]);
const total = Number(process.argv[3]);
/** Connects in flight at once: the listen backlog stays short, so no SYN waits for a retry. */
const connectWindow = 256;
const sourceAddresses = 16;
const timeoutMs = 60_000;

const bulk = (s: string): string => `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
const request = (...w: string[]): string => `*${w.length}\r\n${w.map(bulk).join('')}`;

const sockets: Socket[] = [];
let ok = 0;
const failures: string[] = [];
const started = Date.now();

function one(i: number): Promise<void> {
  return new Promise((resolve) => {
    const expect = `+PONG\r\n+OK\r\n${bulk(`v${i}`)}`;
    let got = '';
    const s = connect({ port, host: '127.0.0.1', localAddress: `127.0.0.${1 + (i % sourceAddresses)}` });
    sockets.push(s);
    const fail = (why: string): void => {
      if (failures.length < 20) failures.push(`#${i}: ${why}`);
      else failures.push('');
      resolve();
    };
    s.setNoDelay(true);
    s.on('connect', () => s.write(request('PING') + request('SET', `k${i}`, `v${i}`) + request('GET', `k${i}`)));
    s.on('data', (d) => {
      got += d.toString('latin1');
      if (got.length < expect.length) return;
      if (got === expect) ok++;
      else fail(`got ${JSON.stringify(got.slice(0, 80))}`);
      resolve();
    });
    s.on('error', (err) => fail(err.message));
    s.on('close', () => {
      if (got.length < expect.length) fail(`closed after ${JSON.stringify(got)}`);
    });
  });
}

const deadline = setTimeout(() => {
  process.stdout.write(`FAIL timed out after ${timeoutMs} ms with ${ok} of ${total} done\n`);
  process.exit(1);
}, timeoutMs);

let next = 0;
const inFlight = new Set<Promise<void>>();
while (next < total) {
  while (inFlight.size < connectWindow && next < total) {
    const p = one(next++);
    inFlight.add(p);
    void p.then(() => inFlight.delete(p));
  }
  await Promise.race(inFlight);
}
await Promise.all(inFlight);
clearTimeout(deadline);
const open = sockets.filter((s) => !s.destroyed && s.readyState === 'open').length;
process.stdout.write(`HOLD ${JSON.stringify({ ok, failed: failures.length, open, ms: Date.now() - started, failures: failures.filter((f) => f !== '').slice(0, 20) })}\n`);
const rl = createInterface({ input: process.stdin });
rl.once('line', () => {
  for (const s of sockets) s.destroy();
  process.exit(failures.length === 0 ? 0 : 1);
});
