import { connect } from 'node:net';

/**
 * Writes `bytes`, then half-closes (shutdown(SHUT_WR), like `nc -N` or
 * `printf ... | nc -q 1`), and returns everything the server sent before it
 * closed its side, as latin1. Gives up after `timeoutMs`, returning what came.
 */
export function sendThenHalfClose(port: number, bytes: Buffer | string, timeoutMs = 5_000): Promise<{ reply: string; serverEnded: boolean }> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let reply = '';
    let serverEnded = false;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ reply, serverEnded });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('connect', () => socket.end(bytes));
    socket.on('data', (d: Buffer) => {
      reply += d.toString('latin1');
    });
    socket.on('end', () => {
      serverEnded = true;
      finish();
    });
    socket.on('error', finish);
    socket.on('close', finish);
  });
}
