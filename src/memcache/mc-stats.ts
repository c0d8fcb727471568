/**
 * The memcached door's own counters, named as memcached's `stats` names
 * them (doc/protocol.txt "General-purpose statistics"). Plain fields,
 * read at `stats` time. Invariant: no counter decreases but curr_connections.
 */
export class McStats {
  readonly startedMs = Date.now();
  currConnections = 0;
  totalConnections = 0;
  rejectedConnections = 0;
  cmdGet = 0;
  cmdSet = 0;
  cmdFlush = 0;
  cmdTouch = 0;
  getHits = 0;
  getMisses = 0;
  deleteHits = 0;
  deleteMisses = 0;
  incrHits = 0;
  incrMisses = 0;
  decrHits = 0;
  decrMisses = 0;
  casHits = 0;
  casMisses = 0;
  casBadval = 0;
  touchHits = 0;
  touchMisses = 0;
  bytesRead = 0;
  bytesWritten = 0;
}
