import test from 'ava';
import type { RaftStatus } from '../../raft/ready.js';
import type { GroupReplica } from '../../src/participant/group-replica.js';
import { LeaderBalancer } from '../../src/participant/leader-balancer.js';
import { createLogger } from '../../src/server/logger.js';

interface Fake {
  readonly replica: GroupReplica;
  readonly transfers: number[];
  status: Partial<RaftStatus> & { peers: RaftStatus['peers'] };
  leader: boolean;
}

/** A replica as the balancer sees it: leadership, status, and a core that records transfers. */
function fake(groupId: number, status: Fake['status'], leader = true): Fake {
  const f: Fake = { transfers: [], status, leader, replica: undefined as unknown as GroupReplica };
  const replica = {
    groupId,
    get isLeader() {
      return f.leader;
    },
    isClosed: false,
    status: () => ({ leadTransferee: 0, term: 2, lastIndex: 10, ...f.status }),
    withNode: (fn: (n: { transferLeader(to: number): void }) => unknown) => Promise.resolve(fn({ transferLeader: (to) => f.transfers.push(to) })),
  };
  return Object.assign(f, { replica: replica as unknown as GroupReplica });
}

const peer = (id: number, match: number, recentActive = true) => ({ id, learner: false, match, next: match + 1, state: 'replicate' as const, recentActive });
const silent = createLogger('test', 'silent');

test('a leader hands its group to the preferred leader once that member is active and holds the whole log (TimeoutNow)', (t) => {
  let now = 0;
  const g = fake(2, { peers: [peer(1, 10), peer(2, 9)] });
  const b = new LeaderBalancer(1, [{ replica: g.replica, preferred: 2 }], silent, { checkMs: 10, settleMs: 100, retryMs: 1_000 }, () => now);
  b.check();
  t.deepEqual(g.transfers, [], 'not before the first elections settle');
  now = 200;
  b.check();
  t.deepEqual(g.transfers, [], 'not while the preferred leader lags');
  g.status = { peers: [peer(1, 10), peer(2, 10)] };
  b.check();
  t.deepEqual(g.transfers, [2]);
  b.check();
  t.deepEqual(g.transfers, [2], 'asked once per retry period');
  now = 1_300;
  b.check();
  t.deepEqual(g.transfers, [2, 2]);
});

test('nothing moves to a member that is not active, nor from a group this member does not lead or already leads as preferred', (t) => {
  const now = 1_000;
  const inactive = fake(1, { peers: [peer(1, 10), peer(2, 10, false)] });
  const follower = fake(2, { peers: [] }, false);
  const mine = fake(3, { peers: [peer(1, 10), peer(2, 10)] });
  const b = new LeaderBalancer(
    1,
    [
      { replica: inactive.replica, preferred: 2 },
      { replica: follower.replica, preferred: 2 },
      { replica: mine.replica, preferred: 1 },
    ],
    silent,
    { checkMs: 10, settleMs: 0, retryMs: 1_000 },
    () => now,
  );
  b.check();
  t.deepEqual([inactive.transfers, follower.transfers, mine.transfers], [[], [], []]);
});
