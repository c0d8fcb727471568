import test from 'ava';
import { applyConfChange, confChangeProblem, isMember, isVoter } from '../../raft/conf-change.js';
import type { ConfState } from '../../raft/types.js';

const conf: ConfState = { voters: [1, 3, 5], learners: [2] };

test('conf change: addLearner adds a learner, kept sorted (dissertation §4.2.1)', (t) => {
  t.deepEqual(applyConfChange(conf, { type: 'addLearner', nodeId: 4 }), { voters: [1, 3, 5], learners: [2, 4] });
  t.deepEqual(applyConfChange(conf, { type: 'addLearner', nodeId: 9 }), { voters: [1, 3, 5], learners: [2, 9] });
});

test('conf change: promote turns a learner into a voter, kept sorted', (t) => {
  t.deepEqual(applyConfChange(conf, { type: 'promote', nodeId: 2 }), { voters: [1, 2, 3, 5], learners: [] });
});

test('conf change: remove takes a voter or a learner out', (t) => {
  t.deepEqual(applyConfChange(conf, { type: 'remove', nodeId: 3 }), { voters: [1, 5], learners: [2] });
  t.deepEqual(applyConfChange(conf, { type: 'remove', nodeId: 2 }), { voters: [1, 3, 5], learners: [] });
});

test('conf change: what does not apply is named, and applying it changes nothing (idempotent replay after a snapshot)', (t) => {
  const bad = [
    { type: 'addLearner', nodeId: 1 },
    { type: 'addLearner', nodeId: 2 },
    { type: 'promote', nodeId: 1 },
    { type: 'promote', nodeId: 7 },
    { type: 'remove', nodeId: 7 },
    { type: 'addLearner', nodeId: -1 },
    { type: 'addLearner', nodeId: 1.5 },
  ] as const;
  for (const cc of bad) {
    t.is(typeof confChangeProblem(conf, cc), 'string', JSON.stringify(cc));
    t.is(applyConfChange(conf, cc), conf, JSON.stringify(cc));
  }
  const solo: ConfState = { voters: [4], learners: [6] };
  t.regex(confChangeProblem(solo, { type: 'remove', nodeId: 4 }) ?? '', /last voter/);
  t.is(confChangeProblem(solo, { type: 'remove', nodeId: 6 }), undefined);
});

test('conf change: membership predicates', (t) => {
  t.true(isVoter(conf, 3));
  t.false(isVoter(conf, 2));
  t.true(isMember(conf, 2));
  t.false(isMember(conf, 4));
});
