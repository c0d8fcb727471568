/**
 * The processes of the latency-floor skeleton (latency-floor.ts), one per
 * run of this file: `node floor-roles.js <role> <storage> <dataDir> [ports]`.
 * It is our c=1 write path with everything but the unavoidable taken out:
 * no Raft, no encoding, no state machine. A request's bytes go client ->
 * coordinator -> leader -> both followers; every member writes them synced
 * (the leader in parallel with its followers), and the leader answers once
 * its own write and the first follower's are done: one majority of three.
 *
 * storage 'leveldb': one synced LevelDB batch per write, as our members do.
 * storage 'file': pwrite into a preallocated file plus fdatasync, on the
 * main thread (no thread-pool hop, no size change for the journal).
 *
 * Internal messages are length-prefixed (u32); the coordinator answers the
 * client "+OK\r\n" for each request, so a RESP client can drive it.
 */
import { closeSync, fdatasyncSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';

type Storage = 'leveldb' | 'file';
/** A synced write of one request's bytes. */
type SyncedWrite = (bytes: Buffer) => Promise<void>;

const FILE_BYTES = 64 << 20;

async function openStorage(kind: Storage, dir: string): Promise<SyncedWrite> {
  if (kind === 'file') {
    const fd = openSync(join(dir, 'floor.log'), 'w');
    // Written once and synced: later writes overwrite allocated blocks, so fdatasync flushes data only.
    for (let at = 0; at < FILE_BYTES; at += 1 << 20) writeSync(fd, Buffer.alloc(1 << 20), 0, 1 << 20, at);
    fsyncSync(fd);
    process.on('exit', () => closeSync(fd));
    let at = 0;
    return (bytes) => {
      if (at + bytes.length > FILE_BYTES) at = 0;
      writeSync(fd, bytes, 0, bytes.length, at);
      at += bytes.length;
      fdatasyncSync(fd);
      return Promise.resolve();
    };
  }
  const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  let n = 0;
  return async (bytes) => {
    const key = Buffer.alloc(8);
    key.writeBigUInt64BE(BigInt(++n));
    await db.batch([{ type: 'put', key, value: bytes }], { sync: true });
  };
}

/** Calls onMessage for each length-prefixed message on the socket. */
function onMessages(s: Socket, onMessage: (body: Buffer) => void): void {
  let buf: Buffer = Buffer.alloc(0);
  s.on('data', (chunk: Buffer) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
      const len = buf.readUInt32BE(0);
      onMessage(buf.subarray(4, 4 + len));
      buf = buf.subarray(4 + len);
    }
  });
}

function frame(body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, body]);
}

function listen(onSocket: (s: Socket) => void): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer((s) => {
      s.setNoDelay(true);
      onSocket(s);
    });
    srv.listen(0, '127.0.0.1', () => resolve((srv.address() as { port: number }).port));
  });
}

function dial(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.setNoDelay(true);
    s.once('error', reject);
  });
}

async function main(): Promise<void> {
  const [role, storage, dir, ...ports] = process.argv.slice(2);
  const peerPorts = ports.map(Number);
  let port: number;
  if (role === 'follower') {
    const write = await openStorage(storage as Storage, dir!);
    port = await listen((s) => onMessages(s, (body) => void write(body).then(() => s.write(frame(Buffer.alloc(0))))));
  } else if (role === 'leader') {
    const write = await openStorage(storage as Storage, dir!);
    const followers = await Promise.all(peerPorts.map(dial));
    /** The request being replicated (c=1: at most one). */
    let current: { answer: () => void; acked: boolean } | undefined;
    for (const f of followers) onMessages(f, () => {
      if (current !== undefined && !current.acked) {
        current.acked = true;
        current.answer();
      }
    });
    port = await listen((s) => onMessages(s, (body) => {
      let votes = 0;
      const answer = (): void => {
        if (++votes === 2) s.write(frame(Buffer.alloc(0)));
      };
      current = { answer, acked: false };
      const msg = frame(body);
      for (const f of followers) f.write(msg);
      void write(body).then(answer);
    }));
  } else if (role === 'coordinator') {
    const leader = await dial(peerPorts[0]!);
    let client: Socket | undefined;
    onMessages(leader, () => client?.write('+OK\r\n'));
    // c=1: each data event from the client is one whole request.
    port = await listen((s) => {
      client = s;
      s.on('data', (req: Buffer) => leader.write(frame(req)));
    });
  } else {
    throw new Error(`floor-roles: unknown role ${String(role)}`);
  }
  process.send!({ port });
}

main().catch((err: unknown) => {
  process.stderr.write(`floor-roles: ${String((err as Error).stack ?? err)}\n`);
  process.exit(1);
});
