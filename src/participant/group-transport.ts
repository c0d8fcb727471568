import type { Message } from '../../raft/messages.js';
import type { NodeId } from '../../raft/types.js';
import type { PeerTransport } from '../net/peer-transport.js';
import type { HostTransport } from './host-contract.js';

/** One group's view of the process's peer transport: every frame it sends names the group. */
export class GroupTransport implements HostTransport {
  constructor(
    private readonly peers: PeerTransport,
    private readonly groupId: number,
  ) {}

  send(to: NodeId, msg: Message | object, opts?: { onSent?: (ok: boolean) => void }): void {
    this.peers.send(to, msg, { group: this.groupId, ...(opts?.onSent !== undefined ? { onSent: opts.onSent } : {}) });
  }

  flush(): void {
    this.peers.flush();
  }
}
