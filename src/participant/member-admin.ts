import type { NodeId } from '../../raft/types.js';
import type { ConfChange } from '../../raft/types.js';
import type { PeerTransport } from '../net/peer-transport.js';
import type { GroupMember } from './group-member.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** How long a newcomer may take to start and catch up before adding it fails. */
const CATCH_UP_POLLS_MAX = 600;
const CATCH_UP_POLL_MS = 50;

export interface MemberAdmin {
  /** Adds a member: learner first, promoted once it has caught up. */
  addMember(id: NodeId, address: string): Promise<void>;
  removeMember(id: NodeId): Promise<void>;
}

/**
 * Single-server membership changes of one group (Raft §4.2.2): a newcomer
 * is told where everyone is, joins as a learner from a snapshot, and is
 * promoted once its log matches the commit index.
 */
export function memberAdmin(group: GroupMember, transport: PeerTransport, self: { id: NodeId; address: string }, dial: (id: NodeId, address: string) => void): MemberAdmin {
  const replica = group.replica;

  const waitCaughtUp = async (id: NodeId): Promise<void> => {
    for (let k = 0; k < CATCH_UP_POLLS_MAX; k++) {
      const st = replica.status();
      const pr = st.peers.find((p) => p.id === id);
      if (pr !== undefined && pr.match >= st.commit) return;
      await sleep(CATCH_UP_POLL_MS);
    }
    throw new Error(`node ${id} did not catch up`);
  };

  const confChange = async (change: ConfChange): Promise<void> => {
    const res = await replica.withNode((n) => n.proposeConfChange(change));
    if (!res.ok) throw new Error(`membership change refused: ${res.code}`);
    // Applied when the host applies the entry at res.index.
    for (let k = 0; k < 200; k++) {
      if (replica.status().applied >= res.index) return;
      await sleep(25);
    }
    throw new Error('membership change did not commit in time');
  };

  return {
    async addMember(id, address) {
      dial(id, address);
      const book: Array<[NodeId, string]> = [...group.sm.addresses.entries(), [self.id, self.address]];
      // The newcomer must know where we are before it can answer us: tell it,
      // retrying while it starts up, and give up with a clear error.
      for (let attempt = 0; ; attempt++) {
        try {
          await transport.request(id, { t: 'members', addresses: book }, 1_000);
          break;
        } catch (err) {
          if (attempt >= 50) throw new Error(`cannot reach node ${id} at ${address}: ${err instanceof Error ? err.message : String(err)}`);
          await sleep(200);
        }
      }
      // An empty newcomer learns the bootstrap membership only from a snapshot.
      await replica.snapshotNow();
      await confChange({ type: 'addLearner', nodeId: id, context: address });
      await waitCaughtUp(id);
      await confChange({ type: 'promote', nodeId: id });
    },
    async removeMember(id) {
      await confChange({ type: 'remove', nodeId: id });
    },
  };
}

/** `{t:'members', addresses: [[id, "host:port"], ...]}` from a leader adding us, else undefined. */
export function parseMembersNotice(body: unknown): Map<NodeId, string> | undefined {
  if (typeof body !== 'object' || body === null || (body as { t?: unknown }).t !== 'members') return undefined;
  const list = (body as { addresses?: unknown }).addresses;
  const out = new Map<NodeId, string>();
  if (!Array.isArray(list)) return out;
  for (const pair of list) {
    if (Array.isArray(pair) && Number.isSafeInteger(pair[0]) && pair[0] > 0 && typeof pair[1] === 'string' && /^[^:\s]+:\d{1,5}$/.test(pair[1])) {
      out.set(pair[0] as number, pair[1]);
    }
  }
  return out;
}
