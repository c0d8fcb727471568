import { connect, createServer, type Socket } from 'node:net';
import type { ExecutionContext } from 'ava';
import { encodeFrame, FrameDecoder, PEER_MAGIC } from '../../src/net/frame-codec.js';
import { parseWireFrame, WIRE_VERSION, type WireFrame } from '../../src/net/wire.js';
import { closeServer, listen } from './helpers.js';

const MAX = 64 * 1024 * 1024;

/**
 * A hand-driven peer on a raw socket: it answers the handshake and records
 * what arrives afterwards, chunk by chunk, so tests can see socket writes
 * (one 'data' event per write on loopback for small writes) and can stop
 * reading to back the sender up.
 */
export interface FakePeer {
  readonly port: number;
  /** Frames after the hello, decoded. */
  readonly frames: WireFrame[];
  /** Chunks received after the handshake chunk. */
  readonly chunksAfterHello: Buffer[];
  /** The accepted socket, once a dialer connected. */
  socket(): Socket | undefined;
  /** Stop reading after the handshake (the sender's kernel and user buffers fill up). */
  pauseAfterHello: boolean;
}

export async function startFakePeer(t: ExecutionContext, selfId: number): Promise<FakePeer> {
  const sockets = new Set<Socket>();
  let accepted: Socket | undefined;
  const peer: FakePeer = {
    port: 0,
    frames: [],
    chunksAfterHello: [],
    socket: () => accepted,
    pauseAfterHello: false,
  };
  const server = createServer((socket) => {
    sockets.add(socket);
    accepted = socket;
    socket.on('error', () => {});
    const decoder = new FrameDecoder(MAX);
    let sawMagic = false;
    let helloDone = false;
    socket.on('data', (chunk: Buffer) => {
      if (helloDone) peer.chunksAfterHello.push(chunk);
      if (!sawMagic) {
        sawMagic = true;
        if (chunk[0] !== PEER_MAGIC) return socket.destroy();
        chunk = chunk.subarray(1);
      }
      for (const body of decoder.push(chunk)) {
        const frame = parseWireFrame(body);
        if (!helloDone && frame.t === 'hello') {
          helloDone = true;
          socket.write(encodeFrame({ t: 'helloAck', from: selfId }, MAX));
          if (peer.pauseAfterHello) socket.pause();
          continue;
        }
        peer.frames.push(frame);
      }
    });
  });
  const port = await listen(server);
  (peer as { port: number }).port = port;
  t.teardown(() => closeServer(server, sockets));
  return peer;
}

/** Dials a node's port as a raw peer, sends the magic byte and whatever bytes the test wants. */
export function rawDial(t: ExecutionContext, port: number): Promise<{ socket: Socket; received: Buffer[]; closed: () => boolean }> {
  return new Promise((resolve) => {
    const received: Buffer[] = [];
    let isClosed = false;
    const socket = connect(port, '127.0.0.1', () => resolve({ socket, received, closed: () => isClosed }));
    socket.on('data', (c: Buffer) => received.push(c));
    socket.on('error', () => {});
    socket.on('close', () => (isClosed = true));
    t.teardown(() => socket.destroy());
  });
}

export function helloBytes(cluster: string, from: number, role: 'peer' | 'coordinator' = 'peer'): Buffer {
  return Buffer.concat([
    Buffer.from([PEER_MAGIC]),
    encodeFrame({ t: 'hello', version: WIRE_VERSION, cluster, from, role }, MAX),
  ]);
}

export function frameBytes(body: unknown): Buffer {
  return encodeFrame(body, MAX);
}
