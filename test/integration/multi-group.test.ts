import test from 'ava';
import type { ExecutionContext } from 'ava';
import { parseEndpoint } from '../../src/config/address.js';
import { RpcClient } from '../../src/net/rpc-client.js';
import { parseParticipantStatus } from '../../src/rpc/participant-status.js';
import type { ParticipantStatus } from '../../src/rpc/participant-status.js';
import { createLogger } from '../../src/server/logger.js';
import { makeLayout } from '../../src/sharding/layout.js';
import { SlotRouter } from '../../src/sharding/router.js';
import { waitFor } from '../helpers/processes.js';
import { ERROR, NIL, OK, arrayReply, cmd } from '../helpers/resp-client.js';
import { TwoPcCluster } from '../helpers/twopc-cluster.js';

/**
 * The 3-group default: three participants, each hosting a replica of every
 * group, each leading one. Kill one: its group elects a new leader, the
 * others are untouched; restart it: it catches up in every group and leads
 * its group again.
 */

const silent = createLogger('test', 'silent');

/** A key of each group 1..3, found by routing candidate names as the coordinator does. */
function keysPerGroup(c: TwoPcCluster, prefix: string): string[] {
  const layout = makeLayout(c.participantPorts.map((p) => `127.0.0.1:${p}`));
  const router = new SlotRouter(layout);
  const out: string[] = [];
  for (let g = 1; g <= layout.groups; g++) {
    for (let k = 0; ; k++) {
      const key = `${prefix}-${g}-${k}`;
      if (router.groupOf(Buffer.from(key)) === g) {
        out.push(key);
        break;
      }
    }
  }
  return out;
}

/** Asks every participant for its status over the peer protocol, as the coordinator's heartbeat does. */
async function statuses(t: ExecutionContext, c: TwoPcCluster): Promise<Map<number, ParticipantStatus>> {
  const out = new Map<number, ParticipantStatus>();
  await Promise.all(
    c.participantPorts.map(async (port, k) => {
      const rpc = new RpcClient({ cluster: 'kvstore', address: parseEndpoint(`127.0.0.1:${port}`), logger: silent });
      try {
        const st = parseParticipantStatus(await rpc.request({ t: 'status' }, 500));
        if (st !== undefined) out.set(k + 1, st);
      } catch {
        // down
      } finally {
        rpc.close();
      }
    }),
  );
  return out;
}

function leadsText(all: ReadonlyMap<number, ParticipantStatus>): string {
  return [...all].sort(([a], [b]) => a - b).map(([k, st]) => `p${k} leads ${st.groups.filter((g) => g.role === 'leader').map((g) => g.group).join(',') || '-'}`).join(', ');
}

/** Until every live participant leads exactly one group. */
async function spread(t: ExecutionContext, c: TwoPcCluster, timeoutMs: number): Promise<void> {
  await waitFor(
    'leaders spread one per participant',
    async () => {
      const all = await statuses(t, c);
      if (all.size !== 3) return false;
      return [...all.values()].every((st) => st.groups.filter((g) => g.role === 'leader').length === 1);
    },
    timeoutMs,
    250,
  );
}

test('3 participants x 3 groups: leaders spread; kill -9 one: every slot writable within 2 s; restart: it catches up in every group and leads again; kill -9 two: -ERROR; restart: all back', async (t) => {
  const c = await TwoPcCluster.running(t);
  const port = c.coordinatorPort;
  await spread(t, c, 10_000);

  const keys = keysPerGroup(c, 'k');
  for (const key of keys) t.is(await cmd(port, 'SET', key, 'before'), OK);

  // Kill the participant that leads group 1: group 1 elects a new leader.
  const leaders = await statuses(t, c);
  const victim = [...leaders].find(([, st]) => st.groups.some((g) => g.group === 1 && g.role === 'leader'))![0];
  await c.killParticipant(victim);
  const killedAt = Date.now();
  for (const key of keys) {
    await waitFor(`SET ${key} with participant ${victim} down`, async () => (await cmd(port, 'SET', key, 'during')) === OK, 2_000, 20);
  }
  const failoverMs = Date.now() - killedAt;
  t.log(`every group writable ${failoverMs} ms after kill -9 of participant ${victim}`);
  t.true(failoverMs < 2_000);

  // Restart it: it replays, catches up in every group, and takes its group back.
  c.startParticipant(victim);
  const restartedAt = Date.now();
  await waitFor(
    'the restarted participant to catch up in every group',
    async () => {
      const all = await statuses(t, c);
      const mine = all.get(victim);
      if (mine === undefined) return false;
      return mine.groups.every((g) => [...all.values()].every((o) => (o.groups.find((x) => x.group === g.group)?.commit ?? -1) <= g.applied));
    },
    10_000,
    100,
  );
  t.log(`caught up in every group ${Date.now() - restartedAt} ms after restart`);
  await spread(t, c, 15_000);
  const again = await statuses(t, c);
  t.log(`leadership spread again ${Date.now() - restartedAt} ms after restart: ${leadsText(again)}`);
  t.true(again.get(victim)!.groups.some((g) => g.role === 'leader'), 'the restarted participant leads a group again');

  // Two down: no group has a majority.
  await c.killParticipant(1);
  await c.killParticipant(2);
  const t0 = Date.now();
  t.is(await cmd(port, 'SET', keys[0]!, 'x'), ERROR);
  const errMs = Date.now() - t0;
  t.log(`SET with two participants down answered -ERROR in ${errMs} ms`);
  t.true(errMs < 2_500);

  c.startParticipant(1);
  c.startParticipant(2);
  for (const key of keys) {
    const v = await waitFor(`GET ${key} after restart`, async () => {
      const r = await cmd(port, 'GET', key);
      return r === ERROR || r === '' ? undefined : r;
    }, 15_000, 100);
    // The SET answered -ERROR without a majority may still commit once the majority is back: unknown, not lost.
    if (key === keys[0]) t.true(v === arrayReply('during') || v === arrayReply('x'), v);
    else t.is(v, arrayReply('during'));
  }
});

test('over several groups: MSET sets all, MGET reads all in one reply, DEL removes all and counts exactly; the one-group forms stay one entry', async (t) => {
  const c = await TwoPcCluster.running(t);
  const port = c.coordinatorPort;
  const [a, b, d] = keysPerGroup(c, 'x');
  t.is(await cmd(port, 'MSET', a!, '1', b!, '2'), OK);
  t.is(await cmd(port, 'MGET', a!, b!, d!), `*3\r\n${arrayReply('1')}${arrayReply('2')}${NIL}`);
  t.is(await cmd(port, 'GET', b!), arrayReply('2'));
  // d is missing and a is named twice: counted once.
  t.is(await cmd(port, 'DEL', a!, b!, d!, a!), ':2\r\n');
  t.is(await cmd(port, 'MGET', a!, b!), `*2\r\n${NIL}${NIL}`);
  // One group: a pair of keys with the same hash tag.
  t.is(await cmd(port, 'MSET', '{t}1', 'p', '{t}2', 'q'), OK);
  t.is(await cmd(port, 'MGET', '{t}1', '{t}2'), `*2\r\n${arrayReply('p')}${arrayReply('q')}`);
  t.is(await cmd(port, 'DEL', '{t}1', '{t}2'), ':2\r\n');
  t.is(await cmd(port, 'MSET', a!), ERROR);
  const info = await cmd(port, 'INFO', 'transactions');
  t.regex(info, /cross_group_mset:1\r\n/);
  t.regex(info, /single_group_mset:1\r\n/);
});

test('a coordinator whose config disagrees with the layout the participants hold says so and refuses every command', async (t) => {
  const c = await TwoPcCluster.running(t);
  await c.killCoordinator();
  // The same participants, cut into 2 groups instead of 3: routing by it would mix layouts.
  c.group.file(
    'coordinator.conf',
    ['mode coordinator', `coordinator_info 127.0.0.1:${c.coordinatorPort}`, ...c.participantPorts.map((p) => `participant_info 127.0.0.1:${p}`), 'groups 2', ''].join('\n'),
  );
  c.startCoordinator();
  await waitFor('the mismatch in the log', () => c.coordinator!.stderr.includes('participant holds another layout'), 5_000);
  t.is(await cmd(c.coordinatorPort, 'SET', 'k', 'v'), ERROR);
  t.is(await cmd(c.coordinatorPort, 'GET', 'k'), ERROR);
  t.regex(c.coordinator!.stderr, /it holds 3 groups of 3 replicas over 3 participants, this coordinator's config says 2 groups/);
  t.regex(c.coordinator!.stderr, /LAYOUT_MISMATCH/);
});
