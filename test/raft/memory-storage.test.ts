import test from 'ava';
import { MemoryStorage } from '../../raft/memory-storage.js';
import type { Entry } from '../../raft/types.js';

const ent = (index: number, term: number): Entry => ({ type: 'normal', index, term, data: new Uint8Array([index]) });

test('append truncates a conflicting suffix (§5.3)', (t) => {
  const s = new MemoryStorage({ voters: [1], learners: [] });
  s.append([ent(1, 1), ent(2, 1), ent(3, 1)]);
  s.append([ent(2, 2)]);
  t.is(s.lastIndex(), 2);
  t.is(s.term(2), 2);
  t.is(s.term(3), undefined);
});

test('compaction keeps term of the compacted index and refuses uncovered entries', (t) => {
  const s = new MemoryStorage({ voters: [1], learners: [] });
  s.append([ent(1, 1), ent(2, 1), ent(3, 2)]);
  s.setHardState({ term: 2, vote: 1, commit: 3 });
  s.createSnapshot(2, { voters: [1], learners: [] }, new Uint8Array([9]));
  s.compact(2);
  t.is(s.firstIndex(), 3);
  t.is(s.term(2), 1);
  t.is(s.term(1), undefined);
  t.throws(() => s.compact(3));
});
