import type { Socket } from 'node:net';
import { assert } from '../../raft/assert.js';
import { PEER_MAGIC } from './frame-codec.js';

/**
 * One port per node serves clients and peers; the first byte decides.
 * RESP starts with `*` or a printable inline command; internal connections
 * start with PEER_MAGIC, which no text protocol can begin with.
 */
export const CONNECTION_KINDS = ['peer', 'client'] as const;
export type ConnectionKind = (typeof CONNECTION_KINDS)[number];

export function classifyFirstByte(byte: number): ConnectionKind {
  return byte === PEER_MAGIC ? 'peer' : 'client';
}

/**
 * Both handlers receive the socket paused, with no listeners of the sniffer
 * left: attach 'data' and 'error' listeners, then call `socket.resume()`.
 */
export interface SniffHandlers {
  /** `head` is every byte read so far, starting with the magic byte. */
  onPeer(socket: Socket, head: Buffer): void;
  /** `head` is every byte read so far, untouched (e.g. `*2\r\n$3\r\nGET...`). */
  onClient(socket: Socket, head: Buffer): void;
}

export interface SniffOptions {
  /** A connection that sends nothing for this long is closed (no slot held forever). */
  firstByteTimeoutMs?: number;
}

export const FIRST_BYTE_TIMEOUT_MS_DEFAULT = 30_000;

/**
 * Waits for the first chunk of a freshly accepted socket and hands the socket
 * to one side with that chunk as `head`.
 *
 * No byte is lost: the socket is paused inside the first 'data' event, so
 * later chunks stay in the socket's buffer until the handler attaches its own
 * 'data' listener (and resumes); the first chunk travels as `head`.
 * A socket that errors or ends before its first byte is just closed.
 */
export function sniffConnection(socket: Socket, handlers: SniffHandlers, options: SniffOptions = {}): void {
  const timeoutMs = options.firstByteTimeoutMs ?? FIRST_BYTE_TIMEOUT_MS_DEFAULT;
  assert(Number.isFinite(timeoutMs) && timeoutMs > 0, 'firstByteTimeoutMs must be positive');
  let decided = false;
  const cleanup = (): void => {
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('error', onEarlyError);
    socket.off('end', onEarlyEnd);
  };
  const onData = (chunk: Buffer): void => {
    if (decided || chunk.length === 0) return;
    decided = true;
    socket.pause();
    cleanup();
    const kind = classifyFirstByte(chunk[0]!);
    if (kind === 'peer') handlers.onPeer(socket, chunk);
    else handlers.onClient(socket, chunk);
  };
  const onEarlyError = (): void => {
    cleanup();
    socket.destroy();
  };
  const onEarlyEnd = (): void => {
    cleanup();
    socket.destroy();
  };
  const timer = setTimeout(() => {
    cleanup();
    socket.destroy();
  }, timeoutMs);
  timer.unref();
  socket.on('data', onData);
  socket.on('error', onEarlyError);
  socket.on('end', onEarlyEnd);
}
