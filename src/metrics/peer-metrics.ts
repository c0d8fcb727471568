import type { Registry } from 'prom-client';
import type { PeerTraffic } from '../net/peer-transport.js';
import { collectedCounter } from './collected.js';
import { scrapeMemo } from './scrape-memo.js';

/** Peer id 0 is whoever dials us without one: coordinators and tools. */
function peerLabel(id: string): string {
  return id === '0' ? 'coordinator' : id;
}

/** Bytes and frames exchanged with each peer (both connections), from the transport's counts at scrape time. */
export function peerMetrics(registry: Registry, traffic: () => Readonly<Record<string, PeerTraffic>>): void {
  const read = scrapeMemo(() => Object.entries(traffic()));
  const counter = (name: string, help: string, f: (t: PeerTraffic) => number): void =>
    void collectedCounter(registry, name, help, ['peer'], () => read().map(([id, t]) => [{ peer: peerLabel(id) }, f(t)] as const));
  counter('kvstore_peer_sent_bytes_total', 'Bytes written to each peer, over every connection with it', (t) => t.bytesSent);
  counter('kvstore_peer_received_bytes_total', 'Bytes read from each peer, over every connection with it', (t) => t.bytesReceived);
  counter('kvstore_peer_sent_messages_total', 'Frames queued for each peer: Raft messages, requests, replies', (t) => t.framesSent);
  counter('kvstore_peer_received_messages_total', 'Frames received from each peer: Raft messages, requests, replies', (t) => t.framesReceived);
}
