/**
 * TEST-ONLY BROKEN NODE — never shipped, never reachable from src/.
 *
 * A `kvstoreraftsystem` peer (the real member code, started the way the CLI
 * starts it) whose client front door answers GET from the local state
 * machine without a ReadIndex barrier and without forwarding to the leader:
 * the classic stale-read bug. Writes still go through Raft. The fault
 * harness starts it only when asked for the unsafe cluster, to prove the
 * checker catches a real bug in real processes.
 *
 * Usage: node [--import tsx] unsafe-node.{ts,js} --config_path FILE
 */
import { connect, createServer } from 'node:net';
import { formatEndpoint } from '../../src/config/address.js';
import { loadConfigFile } from '../../src/config/lab-config.js';
import { sniffConnection } from '../../src/net/connection-sniffer.js';
import { startMember } from '../../src/participant/raft-member.js';
import { ClientConnection } from '../../src/server/client-connection.js';
import type { KvService } from '../../src/server/kv-service.js';
import { createLogger } from '../../src/server/logger.js';

const at = process.argv.indexOf('--config_path');
const path = at < 0 ? undefined : process.argv[at + 1];
if (path === undefined) {
  process.stderr.write('unsafe-node: --config_path FILE is required\n');
  process.exit(2);
}
const cfg = await loadConfigFile(path);
if (cfg.kind !== 'raft') {
  process.stderr.write('unsafe-node: needs a follower_info (raft) config\n');
  process.exit(2);
}
const log = createLogger(`unsafe-raft-${cfg.self.id}`, cfg.logLevel);
// The real member listens on a private port; this process's public port
// hands peer connections to it untouched and serves clients itself.
const member = await startMember({
  id: cfg.self.id,
  listen: { host: '127.0.0.1', port: 0 },
  initialMembers: new Map(cfg.peers.map((p) => [p.id, formatEndpoint(p.address)])),
  dataDir: cfg.dataDir ?? `data/unsafe-${cfg.self.id}`,
  cluster: cfg.clusterName ?? 'kvstore',
  logger: log,
  ...(cfg.snapshotEntries !== undefined ? { snapshotEntries: cfg.snapshotEntries } : {}),
  ...(cfg.peerRoutes !== undefined ? { peerRoutes: cfg.peerRoutes } : {}),
});
const inner = member.server.address();
if (inner === null || typeof inner === 'string') throw new Error('member has no port');

const staleReads: KvService = {
  openSession() {
    const session = member.kvSession();
    return {
      // THE BUG: no ReadIndex, no forwarding — whatever this node has applied.
      execute: async (op) => (op.type === 'get' ? { type: 'values', values: member.groups[0]!.sm.kv.get(op.key) } : session.execute(op)),
      close: () => session.close(),
    };
  },
};

const front = createServer((socket) => {
  socket.on('error', () => {});
  sniffConnection(socket, {
    onPeer: (s, head) => {
      const up = connect(inner.port, '127.0.0.1');
      up.on('error', () => s.destroy());
      s.on('error', () => up.destroy());
      s.on('close', () => up.destroy());
      up.on('close', () => s.destroy());
      up.write(head);
      s.pipe(up);
      up.pipe(s);
      s.resume();
    },
    onClient: (s, head) => {
      new ClientConnection(s, head, staleReads, { pipelineMax: 1024, parser: {} }, log);
    },
  });
});
front.listen(cfg.self.address.port, cfg.self.address.host);
log.warn({ listen: formatEndpoint(cfg.self.address) }, 'UNSAFE test node: GET answered from local state without ReadIndex');
