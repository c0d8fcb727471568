import test from 'ava';
import { TwoPcCluster } from '../helpers/twopc-cluster.js';
import { createServer } from 'node:net';
import { ProcessGroup, sleep, waitFor } from '../helpers/processes.js';
import { freePorts } from '../helpers/ports.js';
import { ERROR, NIL, OK, arrayReply, cmd } from '../helpers/resp-client.js';

test('coordinator then three participants: SET/GET/DEL answer exactly through the coordinator', async (t) => {
  const c = await TwoPcCluster.running(t);
  const port = c.coordinatorPort;
  t.is(await cmd(port, 'SET', 'CS06142', 'Cloud', 'Computing'), OK);
  t.is(await cmd(port, 'GET', 'CS06142'), arrayReply('Cloud', 'Computing'));
  t.is(await cmd(port, 'GET', 'nothing'), NIL);
  t.is(await cmd(port, 'SET', 'k2', 'v2'), OK);
  // Keys of one group (a hash tag puts them in one slot) are one Raft entry.
  t.is(await cmd(port, 'SET', '{lab}k2', 'v2'), OK);
  t.is(await cmd(port, 'DEL', '{lab}k2', '{lab}k3'), ':1\r\n');
  t.is(await cmd(port, 'DEL', 'CS06142'), ':1\r\n');
  t.is(await cmd(port, 'DEL', 'CS06142'), ':0\r\n');
  t.is(await cmd(port, 'GET', 'CS06142'), NIL);
  t.regex(c.coordinator!.stderr, /"msg":"participant alive"/);
});

test('kill -9 the coordinator right after a SET and restart it: the GET a second later returns the value', async (t) => {
  const c = await TwoPcCluster.create(3);
  t.teardown(() => c.cleanup());
  for (const k of [1, 2, 3]) c.startParticipant(k);
  c.startCoordinator();
  await c.ready();
  t.is(await cmd(c.coordinatorPort, 'SET', 'survives', 'coordinator', 'crash'), OK);
  await c.killCoordinator();
  const restarted = Date.now();
  c.startCoordinator();
  await sleep(1_000);
  const reply = await waitFor('the restarted coordinator to answer', async () => {
    const r = await cmd(c.coordinatorPort, 'GET', 'survives');
    return r === ERROR || r === '' ? undefined : r;
  }, 5_000, 50);
  t.is(reply, arrayReply('coordinator', 'crash'));
  t.log(`restarted coordinator served the GET ${Date.now() - restarted} ms after its start`);
});

test('participants fail: one down keeps serving; all down answers -ERROR within 2 s; two restarted recover the data', async (t) => {
  const c = await TwoPcCluster.running(t);
  const port = c.coordinatorPort;
  t.is(await cmd(port, 'SET', 'k1', 'v1'), OK);
  t.is(await cmd(port, 'SET', 'k2', 'v2'), OK);

  await c.killParticipant(1);
  t.is(await cmd(port, 'SET', 'k3', 'v3'), OK, 'one participant down: SET works');
  t.is(await cmd(port, 'GET', 'k1'), arrayReply('v1'), 'one participant down: GET works');

  await c.killParticipant(2);
  await c.killParticipant(3);
  const started = Date.now();
  t.is(await cmd(port, 'GET', 'k1'), ERROR);
  const ms = Date.now() - started;
  t.log(`GET with every participant down answered -ERROR in ${ms} ms`);
  t.true(ms < 2_000, `took ${ms} ms`);

  c.startParticipant(2);
  c.startParticipant(3);
  await sleep(10_000);
  t.is(await cmd(port, 'GET', 'k1'), arrayReply('v1'));
  t.is(await cmd(port, 'GET', 'k3'), arrayReply('v3'));
  t.is(await cmd(port, 'DEL', 'k1'), ':1\r\n');
  t.is(await cmd(port, 'DEL', 'k2'), ':1\r\n');
  t.true(c.coordinator!.stderr.includes('"msg":"participant dead"'), 'the coordinator noticed the dead participants');
  t.true(c.coordinator!.stderr.includes('"msg":"participant alive"'));
});

test('the coordinator killed at random moments while a client writes and retries: every +OK write is readable at the end', async (t) => {
  const c = await TwoPcCluster.running(t);
  const acked = new Map<string, string>();
  /** Values tried after the last acknowledged one: a write whose reply was lost may still have landed. */
  const pending = new Map<string, string[]>();
  let stop = false;
  const writer = (async () => {
    for (let k = 0; !stop; k++) {
      const key = `w${k % 40}`;
      const value = `v${k}`;
      pending.set(key, [...(pending.get(key) ?? []), value]);
      // Retry on error, as a client of the lab would, until the write is acknowledged.
      for (let attempt = 0; attempt < 100 && !stop; attempt++) {
        if ((await cmd(c.coordinatorPort, 'SET', key, value)) === OK) {
          acked.set(key, value);
          pending.set(key, []);
          break;
        }
        await sleep(50);
      }
    }
  })();
  let seed = 12345;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let round = 0; round < 5; round++) {
    await sleep(300 + Math.floor(rand() * 700));
    await c.killCoordinator();
    await sleep(Math.floor(rand() * 300));
    c.startCoordinator();
  }
  await sleep(1_000);
  stop = true;
  await writer;
  t.true(acked.size > 10, `acknowledged keys: ${acked.size}`);
  await c.ready();
  for (const [key, value] of acked) {
    const got = await cmd(c.coordinatorPort, 'GET', key);
    const allowed = [value, ...(pending.get(key) ?? [])].map((v) => arrayReply(v));
    t.true(allowed.includes(got), `${key}: got ${JSON.stringify(got)}, acknowledged ${value}`);
  }
});

test('a door that cannot listen (its port taken) is the address the refusal names, not the lab port', async (t) => {
  const group = new ProcessGroup();
  t.teardown(() => group.cleanup());
  const [coord, part, redis] = await freePorts(3);
  const taken = createServer();
  await new Promise<void>((r) => taken.listen(redis!, '127.0.0.1', () => r()));
  t.teardown(() => taken.close());
  group.file('c.conf', ['mode coordinator', `coordinator_info 127.0.0.1:${coord}`, `participant_info 127.0.0.1:${part}`, `redis_info 127.0.0.1:${redis}`, ''].join('\n'));
  const c = group.start('coordinator', 'kvstore2pcsystem', ['--config_path', 'c.conf']);
  t.is(await c.exited, 2);
  t.regex(c.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${redis}: EADDRINUSE`), 'the Redis port, not the lab port, is the one refused');
  t.notRegex(c.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${coord}`));
});
