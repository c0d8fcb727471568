import { connect } from 'node:net';
import type { Endpoint } from '../config/address.js';
import { endpointKey, parseEndpoint } from '../config/address.js';
import { encodeRequest } from '../protocol/resp-encoder.js';
import { RespReplyParser } from '../protocol/resp-reply-parser.js';
import type { Logger } from '../server/logger.js';
import { decodeLayout, encodeLayout } from '../sharding/layout-codec.js';
import type { Layout } from '../sharding/layout.js';
import { ProcessStore } from '../../storage/process-store.js';
import { StorageError } from '../../storage/storage-error.js';

/** Where a participant keeps the layout it learned (process meta key). */
export const LAYOUT_META = 'layout';

/** The layout stored in an existing data dir, or undefined for a fresh one. */
export async function storedLayout(dataDir: string): Promise<Layout | undefined> {
  let store: ProcessStore;
  try {
    store = await ProcessStore.open(dataDir, { create: false });
  } catch (err) {
    if (err instanceof StorageError && err.code === 'MISSING') return undefined;
    throw err;
  }
  try {
    const raw = await store.getMeta(LAYOUT_META);
    if (raw === undefined) return undefined;
    const decoded = decodeLayout(raw);
    if (!decoded.ok) throw new StorageError('CORRUPT', dataDir, `the stored cluster layout does not decode: ${decoded.reason}`);
    return decoded.layout;
  } finally {
    await store.close();
  }
}

export async function storeLayout(store: ProcessStore, layout: Layout): Promise<void> {
  await store.putMeta(LAYOUT_META, encodeLayout(layout));
}

/** One `KVSTORE.LAYOUT` question to the coordinator over RESP, after `AUTH password` when there is one. */
function askOnce(coordinator: Endpoint, timeoutMs: number, password: Buffer | undefined): Promise<Layout> {
  return new Promise((resolve, reject) => {
    const socket = connect(coordinator.port, coordinator.host);
    const parser = new RespReplyParser();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no answer'));
    }, timeoutMs);
    let authReply = password === undefined;
    socket.on('connect', () => socket.write(Buffer.concat([...(password !== undefined ? [encodeRequest(['AUTH', password])] : []), encodeRequest(['KVSTORE.LAYOUT'])])));
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('data', (chunk: Buffer) => {
      for (const reply of parser.feed(chunk)) {
        if (!authReply) {
          authReply = true;
          if (reply.type === 'simple') continue;
          clearTimeout(timer);
          socket.destroy();
          return reject(new Error(`the coordinator refused our AUTH (${reply.type === 'error' ? reply.message : reply.type}): its requirepass differs from ours`));
        }
        clearTimeout(timer);
        socket.destroy();
        if (reply.type !== 'bulk' || reply.value === null) return reject(new Error(`unexpected reply ${reply.type}`));
        let raw: unknown;
        try {
          raw = JSON.parse(reply.value.toString('utf8'));
        } catch {
          return reject(new Error('the layout is not JSON'));
        }
        const decoded = decodeLayout(raw);
        return decoded.ok ? resolve(decoded.layout) : reject(new Error(`bad layout: ${decoded.reason}`));
      }
    });
  });
}

/**
 * The participant's layout: from its data dir if it has one, else from the
 * coordinator (asked until it answers). The caller keeps a fresh one in
 * the data dir, so later restarts need no coordinator.
 */
export async function learnLayout(dataDir: string, coordinator: Endpoint, self: string, log: Logger, password?: Buffer): Promise<{ layout: Layout; fresh: boolean }> {
  const stored = await storedLayout(dataDir);
  if (stored !== undefined) return { layout: stored, fresh: false };
  const selfKey = endpointKey(parseEndpoint(self));
  for (let attempt = 1; ; attempt++) {
    try {
      const layout = await askOnce(coordinator, 2_000, password);
      if (!layout.participants.some((m) => endpointKey(parseEndpoint(m)) === selfKey)) {
        throw new Error(`the coordinator's participants ${layout.participants.join(', ')} do not include ${self}`);
      }
      log.info({ groups: layout.groups, replicas: layout.replicas, participants: layout.participants }, 'learned the layout from the coordinator');
      return { layout, fresh: true };
    } catch (err) {
      if (attempt === 1 || attempt % 10 === 0) {
        log.warn({ coordinator: `${coordinator.host}:${coordinator.port}`, err: err instanceof Error ? err.message : String(err) }, 'waiting for the coordinator to tell our layout');
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}
