import test from 'ava';
import fc from 'fast-check';
import { ExpiryIndex } from '../../src/participant/expiry-index.js';

test('expired() lists the keys due, earliest first, and changes nothing', (t) => {
  const x = new ExpiryIndex();
  x.set('c', 30);
  x.set('a', 10);
  x.set('b', 20);
  t.deepEqual(x.expired(25, 10), ['a', 'b']);
  t.deepEqual(x.expired(25, 1), ['a'], 'bounded');
  t.deepEqual(x.expired(25, 10), ['a', 'b'], 'still due until deleted');
  x.delete('a');
  x.set('b', 40); // moved later: its old heap entry is stale
  t.deepEqual(x.expired(35, 10), ['c']);
  x.checkInvariants(() => true);
});

test('property: expired() always equals a scan of the map, whatever the history of sets and deletes', (t) => {
  const op = fc.oneof(
    fc.record({ k: fc.integer({ min: 0, max: 20 }), at: fc.integer({ min: 0, max: 100 }) }),
    fc.record({ k: fc.integer({ min: 0, max: 20 }) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 3000 }), fc.integer({ min: 0, max: 100 }), (ops, now) => {
      const x = new ExpiryIndex();
      const model = new Map<string, number>();
      for (const o of ops) {
        const k = `k${o.k}`;
        if ('at' in o) {
          x.set(k, o.at);
          model.set(k, o.at);
        } else {
          x.delete(k);
          model.delete(k);
        }
      }
      const want = [...model].filter(([, at]) => at <= now).map(([k]) => k).sort();
      const got = x.expired(now, 1000);
      x.checkInvariants(() => true);
      return JSON.stringify([...got].sort()) === JSON.stringify(want) && x.size === model.size;
    }),
  );
  t.pass();
});
