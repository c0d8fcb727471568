import { connect } from 'node:net';
import { encodeRequest } from '../../src/protocol/resp-encoder.js';

/**
 * Sends one command on a fresh TCP connection, as `nc -w` would, and returns
 * the raw reply bytes as a latin1 string once a complete reply has arrived
 * (or whatever came before the timeout / close).
 */
export function sendRaw(port: number, bytes: Buffer | string, timeoutMs = 3000, replies = 1): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let out = '';
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(out);
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (d) => {
      out += d.toString('latin1');
      if (countReplies(out) >= replies) finish();
    });
    socket.on('error', finish);
    socket.on('close', finish);
  });
}

/** One command as a RESP array of bulk strings. */
export function cmd(port: number, ...words: string[]): Promise<string> {
  return sendRaw(port, encodeRequest(words));
}

/** How many complete RESP replies `s` starts with. */
export function countReplies(s: string): number {
  let n = 0;
  let at = 0;
  while (at < s.length) {
    at = parseOne(s, at);
    if (at < 0) break;
    n++;
  }
  return n;
}

function parseOne(s: string, at: number): number {
  const eol = s.indexOf('\r\n', at);
  if (eol < 0) return -1;
  const type = s[at];
  const line = s.slice(at + 1, eol);
  switch (type) {
    case '+':
    case '-':
    case ':':
      return eol + 2;
    case '$': {
      const n = Number(line);
      if (n < 0) return eol + 2;
      return s.length >= eol + 2 + n + 2 ? eol + 2 + n + 2 : -1;
    }
    case '*': {
      const n = Number(line);
      let pos = eol + 2;
      for (let k = 0; k < n; k++) {
        pos = parseOne(s, pos);
        if (pos < 0) return -1;
      }
      return pos;
    }
    default:
      return -1;
  }
}

/** The lab's reply for GET of the given words. */
export function arrayReply(...words: string[]): string {
  return `*${words.length}\r\n${words.map((w) => `$${Buffer.byteLength(w)}\r\n${w}\r\n`).join('')}`;
}

export const NIL = '*1\r\n$3\r\nnil\r\n';
export const OK = '+OK\r\n';
export const ERROR = '-ERROR\r\n';

/**
 * Sends `count` SETs pipelined on one connection (`window` in flight at a
 * time) and resolves with how many were answered +OK. Keys are `${prefix}${i}`.
 */
export function pipelineSets(port: number, prefix: string, count: number, window = 256, timeoutMs = 60_000): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let sent = 0;
    let answered = 0;
    let ok = 0;
    let buf = '';
    const timer = setTimeout(() => done(), timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const pump = (): void => {
      const parts: Buffer[] = [];
      while (sent < count && sent - answered < window) {
        parts.push(encodeRequest(['SET', `${prefix}${sent}`, `v${sent}`]));
        sent++;
      }
      if (parts.length > 0) socket.write(Buffer.concat(parts));
    };
    socket.on('connect', pump);
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      let at = 0;
      for (;;) {
        const next = buf.indexOf('\r\n', at);
        if (next < 0) break;
        if (buf.startsWith('+OK', at)) ok++;
        answered++;
        at = next + 2;
      }
      buf = buf.slice(at);
      if (answered >= count) done();
      else pump();
    });
    socket.on('error', done);
    socket.on('close', done);
  });
}
