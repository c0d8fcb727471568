import test from 'ava';
import { join } from 'node:path';
import { freePorts } from '../helpers/ports.js';
import { ProcessGroup, REPO, sleep, waitFor } from '../helpers/processes.js';
import { PtySession } from '../helpers/pty.js';
import { OK, arrayReply, cmd } from '../helpers/resp-client.js';

test('a cluster built by hand from the node prompt: add two members and remove one under load; stat and list answer', async (t) => {
  const group = new ProcessGroup();
  const [p1, p2, p3] = await freePorts(3);
  const kvstore = join(REPO, 'bin', 'kvstore');
  const prompt = new PtySession(`${process.execPath} ${kvstore} node --id 1 --listen 127.0.0.1:${p1} --log-level warn`, group.dir);
  let stop = false;
  t.teardown(async () => {
    stop = true;
    if (!t.passed) t.log(`screen:\n${prompt.output.slice(-3000)}`);
    prompt.kill();
    await group.cleanup();
  });
  group.start('n2', 'kvstore', ['node', '--id', '2', '--listen', `127.0.0.1:${p2}`, '--join']);
  group.start('n3', 'kvstore', ['node', '--id', '3', '--listen', `127.0.0.1:${p3}`, '--join']);
  let at = await prompt.expect('kvstore_server 1> ');
  // The joiners answer PING once they listen.
  for (const port of [p2!, p3!]) await waitFor(`node on ${port}`, async () => (await cmd(port, 'PING')) === '+PONG\r\n');
  await waitFor('the one-member cluster to take writes', async () => (await cmd(p1!, 'SET', 'boot', 'ok')) === OK);

  // Load: a writer that keeps writing while the membership changes.
  const acked: number[] = [];
  const writer = (async () => {
    for (let k = 0; !stop; k++) {
      if ((await cmd(p1!, 'SET', `load${k}`, `v${k}`)) === OK) acked.push(k);
      await sleep(5);
    }
  })();

  prompt.type(`add 2 127.0.0.1:${p2}`);
  at = await prompt.expect('async request is in progress', at);
  at = await prompt.expect('server 2 added', at, 20_000);
  prompt.type(`add 3 127.0.0.1:${p3}`);
  at = await prompt.expect('server 3 added', at, 20_000);

  prompt.type('list');
  at = await prompt.expect(/3\s+127\.0\.0\.1:\d+\s+follower\s+\d+\s+yes/, at);
  t.regex(prompt.output, /1\s+127\.0\.0\.1:\d+\s+leader/);
  t.regex(prompt.output, /2\s+127\.0\.0\.1:\d+\s+follower\s+\d+\s+yes/);

  prompt.type('remove 3');
  at = await prompt.expect('server 3 removed', at, 10_000);
  prompt.type('stat');
  at = await prompt.expect(/snapshot\s+\d+/, at);
  t.regex(prompt.output, /role\s+leader/);
  t.regex(prompt.output, /term\s+\d+/);

  prompt.type('SET CS06142 "Cloud Computing"');
  at = await prompt.expect('+OK', at);
  prompt.type('GET CS06142');
  at = await prompt.expect('*2\r\n$5\r\nCloud\r\n$9\r\nComputing', at);

  stop = true;
  await writer;
  t.true(acked.length > 20, `writes acknowledged under load: ${acked.length}`);
  // Every acknowledged write is readable through the remaining member 2.
  for (const k of acked.filter((_, i) => i % 7 === 0)) t.is(await cmd(p2!, 'GET', `load${k}`), arrayReply(`v${k}`));

  prompt.type('quit');
  t.is(await Promise.race([prompt.exited, sleep(5_000).then(() => 'timeout')]), 0);
});
