import test from 'ava';
import { makeLayout } from '../../src/sharding/layout.js';
import { SlotRouter } from '../../src/sharding/router.js';
import { sleep, waitFor } from '../helpers/processes.js';
import { NIL, OK, arrayReply, cmd } from '../helpers/resp-client.js';
import { TwoPcCluster } from '../helpers/twopc-cluster.js';

/**
 * The coordinator killed -9 at random moments during a storm of
 * cross-group MSETs (clients retry on error with a fresh value). Each key
 * set has one key in every group and every MSET writes one value to all of
 * it, so atomicity is visible: every MGET of a set, during the storm and
 * after, sees one value on every key. Afterwards every acknowledged MSET is
 * there (unless a later write replaced it) and, within the resolvers'
 * bound, no group holds an open transaction.
 */

const SETS = 6;
const CLIENTS = 6;
const KILLS = 4;

interface Write {
  readonly value: string;
  readonly start: number;
  /** Infinity: the answer was an error or never came (it may or may not have committed). */
  end: number;
}

function keySets(ports: readonly number[]): string[][] {
  const router = new SlotRouter(makeLayout(ports.map((p) => `127.0.0.1:${p}`)));
  return Array.from({ length: SETS }, (_, s) =>
    [1, 2, 3].map((g) => {
      for (let k = 0; ; k++) {
        const key = `acct${s}-${k}`;
        if (router.groupOf(Buffer.from(key)) === g) return key;
      }
    }),
  );
}

/** The values of an MGET reply of lab GET replies, or undefined when it is not one (an error, a cut reply). */
function mgetValues(reply: string, n: number): (string | null)[] | undefined {
  if (!reply.startsWith(`*${n}\r\n`)) return undefined;
  let rest = reply.slice(`*${n}\r\n`.length);
  const out: (string | null)[] = [];
  for (let i = 0; i < n; i++) {
    if (rest.startsWith(NIL)) {
      out.push(null);
      rest = rest.slice(NIL.length);
      continue;
    }
    const m = /^\*1\r\n\$(\d+)\r\n/.exec(rest);
    if (m === null) return undefined;
    const len = Number(m[1]);
    const value = rest.slice(m[0].length, m[0].length + len);
    out.push(value);
    rest = rest.slice(m[0].length + len + 2);
  }
  return rest === '' ? out : undefined;
}

test('coordinator kill -9 during a storm of cross-group MSETs: no set is ever half written, no acknowledged MSET is lost, no lock outlives the bound', async (t) => {
  const seed = Number(process.env['KVSTORE_TEST_SEED'] ?? Date.now() % 100_000);
  t.log(`seed ${seed} (rerun with KVSTORE_TEST_SEED=${seed})`);
  let rng = seed;
  const random = (): number => {
    rng = (rng * 1103515245 + 12345) % 2147483648;
    return rng / 2147483648;
  };

  const c = await TwoPcCluster.running(t);
  const port = c.coordinatorPort;
  const sets = keySets(c.participantPorts);
  for (const keys of sets) await waitFor('seeding', async () => (await cmd(port, 'MSET', ...keys.flatMap((k) => [k, 'init']))) === OK, 10_000, 50);

  const writes: Write[][] = sets.map(() => [{ value: 'init', start: 0, end: 0 }]);
  const fractured: string[] = [];
  let acked = 0;
  let failed = 0;
  let reads = 0;
  let stop = false;

  const writer = async (w: number): Promise<void> => {
    for (let n = 0; !stop; n++) {
      const s = (w + n) % SETS;
      const value = `w${w}-${n}`;
      const rec: Write = { value, start: performance.now(), end: Infinity };
      writes[s]!.push(rec);
      const reply = await cmd(port, 'MSET', ...sets[s]!.flatMap((k) => [k, value]));
      if (reply === OK) {
        rec.end = performance.now();
        acked++;
      } else {
        failed++;
        await sleep(20);
      }
    }
  };
  const reader = async (): Promise<void> => {
    for (let n = 0; !stop; n++) {
      const keys = sets[n % SETS]!;
      const got = mgetValues(await cmd(port, 'MGET', ...keys), keys.length);
      if (got === undefined) {
        await sleep(20);
        continue;
      }
      reads++;
      if (new Set(got).size !== 1) fractured.push(`MGET ${keys.join(' ')} -> ${got.join(' ')}`);
    }
  };
  const killer = async (): Promise<void> => {
    for (let k = 0; k < KILLS; k++) {
      await sleep(200 + random() * 500);
      await c.killCoordinator();
      await sleep(random() * 200);
      c.startCoordinator();
      await c.ready();
    }
    await sleep(500);
    stop = true;
  };
  await Promise.all([killer(), reader(), ...Array.from({ length: CLIENTS }, (_, w) => writer(w))]);
  t.log(`${acked} MSETs acknowledged, ${failed} answered -ERROR or cut by a kill, ${reads} MGETs, ${KILLS} coordinator kills`);
  t.true(acked > 20, 'the storm made progress between kills');
  t.deepEqual(fractured, [], 'no MGET saw half of an MSET');

  // Locks of transactions whose coordinator died are resolved by the groups themselves.
  const openSince = performance.now();
  await waitFor(
    'every group to hold no open transaction',
    async () => {
      const info = await cmd(port, 'INFO', 'transactions');
      const groups = [...info.matchAll(/group\d+_txns:prepared=(-?\d+),decisions=(-?\d+)/g)];
      return groups.length === 3 && groups.every((m) => m[1] === '0' && m[2] === '0');
    },
    15_000,
    100,
  );
  t.log(`no open transaction ${Math.round(performance.now() - openSince)} ms after the storm`);
  t.regex(await cmd(port, 'INFO', 'transactions'), /open_transactions:0\r\n/);

  for (let s = 0; s < SETS; s++) {
    const keys = sets[s]!;
    const got = mgetValues(await cmd(port, 'MGET', ...keys), keys.length);
    t.truthy(got, `MGET of set ${s} answers`);
    t.is(new Set(got).size, 1, `set ${s} is all old or all new: ${got!.join(' ')}`);
    const value = got![0]!;
    const op = writes[s]!.find((w) => w.value === value);
    t.truthy(op, `set ${s} holds ${value}, a value some MSET wrote`);
    // The latest acknowledged MSET of the set was not overwritten by one that finished before it began.
    const lastAcked = writes[s]!.filter((w) => w.end !== Infinity).reduce((a, b) => (b.end > a.end ? b : a));
    t.true(op!.end >= lastAcked.start, `set ${s}: ${value} (ended ${op!.end}) is not older than the acknowledged ${lastAcked.value} (started ${lastAcked.start})`);
    t.is(await cmd(port, 'GET', keys[0]!), arrayReply(value));
  }
});
