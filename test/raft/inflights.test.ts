import test from 'ava';
import { InvariantError } from '../../raft/assert.js';
import { Inflights } from '../../raft/inflights.js';

test('inflights: fills up to its capacity, then refuses more', (t) => {
  const w = new Inflights(3);
  w.add(2);
  w.add(4);
  t.false(w.full());
  w.add(7);
  t.true(w.full());
  t.is(w.size, 3);
  t.throws(() => w.add(9), { instanceOf: InvariantError });
});

test('inflights: an acknowledgement frees every message whose last index it covers, oldest first', (t) => {
  const w = new Inflights(4);
  for (const i of [2, 4, 7, 9]) w.add(i);
  w.freeLE(3);
  t.is(w.size, 3);
  w.freeLE(7);
  t.is(w.size, 1);
  w.freeLE(1); // stale ack: nothing
  t.is(w.size, 1);
  w.freeLE(100);
  t.is(w.size, 0);
});

test('inflights: wraps around its ring buffer and keeps order', (t) => {
  const w = new Inflights(3);
  let next = 1;
  for (let round = 0; round < 10; round++) {
    while (!w.full()) w.add(next++);
    w.freeLE(next - 3); // frees the oldest one
    t.is(w.size, 2);
  }
  w.freeLE(next - 2);
  t.is(w.size, 1);
  w.add(next++);
  t.is(w.size, 2);
});

test('inflights: indexes must increase (a pipeline never resends an older batch without a reset)', (t) => {
  const w = new Inflights(3);
  w.add(5);
  t.throws(() => w.add(5), { instanceOf: InvariantError });
  t.throws(() => w.add(4), { instanceOf: InvariantError });
  w.reset();
  t.is(w.size, 0);
  w.add(3);
  t.is(w.size, 1);
});

test('inflights: freeFirstOne releases exactly the oldest slot (lost acknowledgements)', (t) => {
  const w = new Inflights(2);
  w.add(3);
  w.add(6);
  w.freeFirstOne();
  t.is(w.size, 1);
  t.false(w.full());
  w.freeLE(5);
  t.is(w.size, 1, 'the one left is 6');
  w.freeLE(6);
  t.is(w.size, 0);
  w.freeFirstOne();
  t.is(w.size, 0);
});

test('inflights: capacity must be at least 1', (t) => {
  t.throws(() => new Inflights(0), { instanceOf: InvariantError });
});
