import { createHash } from 'node:crypto';
import { SLOTS, keySlot } from '../sharding/slot.js';
import { helpReply } from './connection-commands.js';
import { parseInteger } from './redis-call.js';
import type { Call, Reply } from './redis-call.js';
import { NOT_AN_INTEGER } from './redis-errors.js';
import { array, bulk, error, int, map, verbatim } from './resp-value.js';

/**
 * Redis Cluster's topology commands describing ONE shard, this endpoint,
 * owning all 16384 slots, as RedisRaft presents a Raft cluster: a
 * cluster-mode client (ioredis `Cluster`, `redis-cli -c`) sends every key
 * here, and kvstore routes it to its group behind the endpoint. The address
 * is the one the client reached (the socket's local address), so it is
 * reachable by that client whatever the endpoint is bound to.
 */

/** The endpoint as this client reached it. */
function endpointOf(c: Call): { ip: string; port: number } {
  const at = c.client.laddr.lastIndexOf(':');
  let ip = c.client.laddr.slice(0, at);
  if (ip.startsWith('::ffff:')) ip = ip.slice('::ffff:'.length);
  return { ip, port: Number(c.client.laddr.slice(at + 1)) };
}

/** A 40-hex node id, stable for an endpoint address (Redis's ids are random; ours need only be the same on every call). */
function nodeIdOf(c: Call): string {
  const { ip, port } = endpointOf(c);
  return createHash('sha1').update(`kvstore redis endpoint ${ip}:${port}`).digest('hex');
}

/** CLUSTER SLOTS: one range 0..16383 served by this endpoint (ip, port, id, no extra networking metadata). */
export function clusterSlots(c: Call): Reply {
  const { ip, port } = endpointOf(c);
  return array([array([int(0), int(SLOTS - 1), array([bulk(ip), int(port), bulk(nodeIdOf(c)), map([])])])]);
}

/** CLUSTER SHARDS (Redis 7): one shard, its slots and its one node, a primary. */
export function clusterShards(c: Call): Reply {
  const { ip, port } = endpointOf(c);
  const node = map([
    ['id', bulk(nodeIdOf(c))],
    ['port', int(port)],
    ['ip', bulk(ip)],
    ['endpoint', bulk(ip)],
    ['role', bulk('master')],
    ['replication-offset', int(0)],
    ['health', bulk('online')],
  ]);
  return array([map([['slots', array([int(0), int(SLOTS - 1)])], ['nodes', array([node])]])]);
}

/** CLUSTER INFO: a healthy one-node cluster (kvstore's own health is in INFO and /status). */
export function clusterInfo(): Reply {
  const lines = [
    'cluster_state:ok',
    `cluster_slots_assigned:${SLOTS}`,
    `cluster_slots_ok:${SLOTS}`,
    'cluster_slots_pfail:0',
    'cluster_slots_fail:0',
    'cluster_known_nodes:1',
    'cluster_size:1',
    'cluster_current_epoch:1',
    'cluster_my_epoch:1',
    'cluster_stats_messages_sent:0',
    'cluster_stats_messages_received:0',
    'total_cluster_links_buffer_limit_exceeded:0',
  ];
  return verbatim(`${lines.join('\r\n')}\r\n`);
}

export function clusterMyid(c: Call): Reply {
  return bulk(nodeIdOf(c));
}

/** CLUSTER NODES: the one node, myself and a primary, with every slot. */
export function clusterNodes(c: Call): Reply {
  const { ip, port } = endpointOf(c);
  return verbatim(`${nodeIdOf(c)} ${ip}:${port}@0 myself,master - 0 0 1 connected 0-${SLOTS - 1}\n`);
}

/** CLUSTER KEYSLOT key: Redis Cluster's slot of the key (kvstore routes by the same slot). */
export function clusterKeyslot(c: Call): Reply {
  return int(keySlot(c.argv[2]!));
}

export function clusterHelp(): Reply {
  return helpReply('CLUSTER', [
    'INFO',
    '    Return information about the cluster.',
    'KEYSLOT <key>',
    '    Return the hash slot for <key>.',
    'MYID',
    '    Return the node id.',
    'NODES',
    '    Return cluster configuration seen by node.',
    'SHARDS',
    '    Return information about slot range mappings and the nodes associated with them.',
    'SLOTS',
    '    Return information about slots range mappings.',
  ]);
}

/** WAIT polls the groups' leaders this often until enough followers hold the writes. */
const WAIT_POLL_MS = 10;

/** A timeout as getTimeoutFromObjectOrReply reads it (ms), or its error. */
function waitTimeoutMs(b: Buffer): number | string {
  const n = parseInteger(b);
  if (n === undefined) return 'ERR timeout is not an integer or out of range';
  if (n < 0n) return 'ERR timeout is negative';
  return n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
}

/**
 * WAIT numreplicas timeout: how many followers hold this connection's
 * writes (in every group it wrote to: the least of them), waiting up to
 * timeout ms (0: until reached, or the connection closes) for numreplicas.
 * Counted by each group's leader from its followers' match indexes.
 */
export async function wait(c: Call): Promise<ReturnType<typeof int>> {
  const want = parseInteger(c.argv[1]!);
  if (want === undefined) return error(NOT_AN_INTEGER);
  const timeout = waitTimeoutMs(c.argv[2]!);
  if (typeof timeout === 'string') return error(timeout);
  const deadline = timeout === 0 ? Infinity : Date.now() + timeout;
  for (;;) {
    const a = await c.session.execute({ type: 'replicas' });
    if (a.type !== 'replicas') throw new Error(`kv answered ${a.type} to WAIT`);
    const left = deadline - Date.now();
    if (BigInt(a.n) >= want || left <= 0 || c.client.closed === true) return int(a.n);
    await new Promise((r) => setTimeout(r, Math.min(WAIT_POLL_MS, left)));
  }
}
