import { connect } from 'node:net';
import { addressProblem, endpointKey, parseEndpoint } from '../config/address.js';
import type { Endpoint } from '../config/address.js';
import { encodeRequest } from '../protocol/resp-encoder.js';
import { RespReplyParser } from '../protocol/resp-reply-parser.js';
import type { Logger } from '../server/logger.js';
import { rankAddresses } from '../sharding/rank.js';
import { RaftStore } from '../../storage/raft-store.js';
import { StorageError } from '../../storage/storage-error.js';

/** Where a participant keeps the group it learned (storage meta key). */
export const GROUP_META = 'group';

/** Members of a group as id -> "host:port"; ids are ranks of the sorted addresses. */
export function rankGroup(addresses: readonly string[]): Map<number, string> {
  return new Map(rankAddresses(addresses).map((r) => [r.id, r.address]));
}

/** The group stored in an existing data dir, or undefined for a fresh one. */
export async function storedGroup(dataDir: string): Promise<string[] | undefined> {
  let store: RaftStore;
  try {
    // Only metadata is wanted: the snapshot's data stays on disk (checked, not kept).
    store = await RaftStore.open(dataDir, { create: false, snapshotData: 'disk' });
  } catch (err) {
    if (err instanceof StorageError && err.code === 'MISSING') return undefined;
    throw err;
  }
  try {
    const g = await store.getMeta(GROUP_META);
    return Array.isArray(g) && g.every((x) => typeof x === 'string') ? (g as string[]) : undefined;
  } finally {
    await store.close();
  }
}

/** One `KVSTORE.GROUP` question to the coordinator over RESP. */
function askOnce(coordinator: Endpoint, timeoutMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(coordinator.port, coordinator.host);
    const parser = new RespReplyParser();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no answer'));
    }, timeoutMs);
    socket.on('connect', () => socket.write(encodeRequest(['KVSTORE.GROUP'])));
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('data', (chunk: Buffer) => {
      for (const reply of parser.feed(chunk)) {
        clearTimeout(timer);
        socket.destroy();
        if (reply.type !== 'array' || reply.items === null) return reject(new Error(`unexpected reply ${reply.type}`));
        const out: string[] = [];
        for (const item of reply.items) {
          if (item.type !== 'bulk' || item.value === null) return reject(new Error('group holds a non-string'));
          const a = item.value.toString('utf8');
          const problem = addressProblem(a);
          if (problem !== null) return reject(new Error(problem));
          out.push(a);
        }
        return resolve(out);
      }
    });
  });
}

/**
 * The participant's group: from its data dir if it has one, else from the
 * coordinator (asked until it answers), then kept in the data dir so later
 * restarts need no coordinator.
 */
export async function learnGroup(dataDir: string, coordinator: Endpoint, self: string, log: Logger): Promise<{ members: string[]; fresh: boolean }> {
  const stored = await storedGroup(dataDir);
  if (stored !== undefined) return { members: stored, fresh: false };
  for (let attempt = 1; ; attempt++) {
    try {
      const members = await askOnce(coordinator, 2_000);
      const selfKey = endpointKey(parseEndpoint(self));
      if (!members.some((m) => endpointKey(parseEndpoint(m)) === selfKey)) throw new Error(`the coordinator's group ${members.join(', ')} does not include ${self}`);
      log.info({ members }, 'learned the group from the coordinator');
      return { members, fresh: true };
    } catch (err) {
      if (attempt === 1 || attempt % 10 === 0) {
        log.warn({ coordinator: `${coordinator.host}:${coordinator.port}`, err: err instanceof Error ? err.message : String(err) }, 'waiting for the coordinator to tell our group');
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}
