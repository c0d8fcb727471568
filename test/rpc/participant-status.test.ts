import test from 'ava';
import { parseParticipantStatus } from '../../src/rpc/participant-status.js';

const group = (g: number, role = 'follower') => ({ group: g, role, term: 3, leaderId: 2, commit: 10, applied: 9 });

test('a status reply lists every hosted group in order, and the layout it holds', (t) => {
  const st = parseParticipantStatus({ id: 2, groups: [group(1), group(2, 'leader')], layout: { groups: 2 } });
  t.deepEqual(st, { id: 2, groups: [group(1), group(2, 'leader')], layout: { groups: 2 } });
});

test('a peer speaking garbage in its status reply is refused, never half-read', (t) => {
  for (const bad of [null, 7, {}, { id: 0, groups: [] }, { id: 1, groups: [group(2), group(1)] }, { id: 1, groups: [{ ...group(1), term: -1 }] }, { id: 1, groups: [{ ...group(1), role: 5 }] }, { id: 1, groups: 'x' }]) {
    t.is(parseParticipantStatus(bad), undefined, JSON.stringify(bad));
  }
});
