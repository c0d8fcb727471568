import test from 'ava';
import { formatStep, parseDurationMs, parseStep, StepError } from '../../src/experiment/timeline-step.js';
import { parseScenarioText } from '../../src/experiment/scenario-file.js';
import { SCENARIOS, PACE_DEFAULT } from '../../src/experiment/scenarios.js';

test('timeline lines parse into steps and print back the same way', (t) => {
  t.deepEqual(parseStep('start load'), { do: 'load', on: true });
  t.deepEqual(parseStep('stop load'), { do: 'load', on: false });
  t.deepEqual(parseStep('stop'), { do: 'end' });
  t.deepEqual(parseStep('wait 2s'), { do: 'wait', ms: 2000 });
  t.deepEqual(parseStep('wait 1.5s'), { do: 'wait', ms: 1500 });
  t.deepEqual(parseStep('wait caught-up victim 3s'), { do: 'caught-up', target: 'victim', timeoutMs: 3000 });
  t.deepEqual(parseStep('wait leaders 5s'), { do: 'leaders', timeoutMs: 5000 });
  t.deepEqual(parseStep('wait compacted victim'), { do: 'compacted', target: 'victim', timeoutMs: 30_000 });
  t.deepEqual(parseStep('kill -9 leader:2'), { do: 'kill', target: 'leader:2' });
  t.deepEqual(parseStep('kill participant2'), { do: 'kill', target: 'participant2' });
  t.deepEqual(parseStep('pause follower'), { do: 'pause', target: 'follower' });
  t.deepEqual(parseStep('partition leader | rest'), { do: 'partition', side: ['leader'], other: ['rest'] });
  t.deepEqual(parseStep('partition raft1,raft2|raft3'), { do: 'partition', side: ['raft1', 'raft2'], other: ['raft3'] });
  t.deepEqual(parseStep('heal'), { do: 'heal' });
  for (const line of ['kill -9 leader', 'restart victim', 'partition leader | rest', 'wait 250ms', 'terminate raft2']) t.is(formatStep(parseStep(line)), line);
});

test('a bad timeline line is a clear error that quotes it', (t) => {
  for (const bad of ['explode everything', 'kill', 'kill -9', 'wait', 'wait soon', 'partition leader', 'restart rest', 'heal now', 'wait 2h']) {
    const e = t.throws(() => parseStep(bad), { instanceOf: StepError }, bad);
    t.truthy(e?.message, bad);
  }
  t.is(parseDurationMs('300'), 300);
  t.throws(() => parseDurationMs('-1s'), { instanceOf: StepError });
});

test('a scenario file in YAML or JSON gives its steps and settings; mistakes name the step', (t) => {
  const yaml = parseScenarioText('name: mine\nshape: raft\ngroups: 2\nsnapshot_entries: 50\nsteps:\n  - start load\n  - wait 1s\n  - kill -9 leader\n  - restart victim\n  - stop\n', 'x.yaml');
  t.is(yaml.name, 'mine');
  t.is(yaml.shape, 'raft');
  t.is(yaml.groups, 2);
  t.is(yaml.snapshotEntries, 50);
  t.is(yaml.steps.length, 5);
  const json = parseScenarioText(JSON.stringify({ steps: ['start load', 'pause leader', 'resume victim'] }), 'x.json');
  t.is(json.steps[1]!.do, 'pause');
  t.regex(t.throws(() => parseScenarioText('steps:\n  - start load\n  - kill -9\n', 'f.yaml'))!.message, /f\.yaml: step 2/);
  t.regex(t.throws(() => parseScenarioText('steps: []\n', 'f.yaml'))!.message, /non-empty/);
  t.regex(t.throws(() => parseScenarioText('steps: [heal]\nshap: raft\n', 'f.yaml'))!.message, /unknown key "shap"/);
  t.regex(t.throws(() => parseScenarioText('steps: [heal]\nshape: ring\n', 'f.yaml'))!.message, /shape/);
  t.regex(t.throws(() => parseScenarioText('{{{', 'f.yaml'))!.message, /not YAML/);
});

test('every built-in scenario is a timeline of valid steps that starts the load and recovers its victim', (t) => {
  const names = SCENARIOS.map((s) => s.name);
  t.deepEqual(names, ['kill-leader', 'kill-follower', 'kill-majority', 'kill-coordinator', 'pause-leader', 'partition-leader', 'lagging-follower', 'rolling-restart']);
  for (const s of SCENARIOS) {
    const steps = s.steps(PACE_DEFAULT, ['participant1', 'participant2', 'participant3']).map(parseStep);
    t.is(steps[0]!.do, 'load', s.name);
    t.true(steps.some((x) => x.do === 'restart' || x.do === 'resume' || x.do === 'heal'), `${s.name} undoes its fault`);
    t.true(steps.some((x) => x.do === 'caught-up'), `${s.name} waits for its victim`);
  }
  t.true((SCENARIOS.find((s) => s.name === 'lagging-follower')!.snapshotEntries ?? 0) > 0, 'the lagging follower needs snapshots to be taken');
  t.true(SCENARIOS.find((s) => s.name === 'kill-coordinator')!.msetEvery > 0, 'the coordinator dies during cross-group MSETs');
});
