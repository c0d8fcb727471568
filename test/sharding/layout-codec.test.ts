import test from 'ava';
import fc from 'fast-check';
import { pack, unpack } from 'msgpackr';
import { decodeLayout, encodeLayout, type DecodedLayout } from '../../src/sharding/layout-codec.js';
import { layoutEquals, makeLayout } from '../../src/sharding/layout.js';

const layout = makeLayout(['127.0.0.1:8004', '127.0.0.1:8002', '127.0.0.1:8003'], { groups: 8, replicas: 2 });
const encoded = { version: 1, slots: 16384, groups: 8, replicas: 2, participants: ['127.0.0.1:8002', '127.0.0.1:8003', '127.0.0.1:8004'] };

function reason(d: DecodedLayout): string {
  return d.ok ? 'ok' : d.reason;
}

test('a layout encodes to a stable plain value, fields in a fixed order', (t) => {
  t.deepEqual(encodeLayout(layout), encoded);
  t.is(JSON.stringify(encodeLayout(layout)), JSON.stringify(encoded));
  t.is(JSON.stringify(encodeLayout(makeLayout(['127.0.0.1:8003', '127.0.0.1:8002', '127.0.0.1:8004'], { groups: 8, replicas: 2 }))), JSON.stringify(encoded));
});

test('a layout survives JSON and msgpackr round trips', (t) => {
  for (const value of [JSON.parse(JSON.stringify(encodeLayout(layout))), unpack(pack(encodeLayout(layout)))]) {
    const d = decodeLayout(value);
    if (!d.ok) return t.fail(d.reason);
    t.true(layoutEquals(d.layout, layout));
    t.deepEqual(d.layout, layout);
    t.true(Object.isFrozen(d.layout.participants));
  }
});

test('property: every valid layout round-trips', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 16384 }), fc.nat(), (p, n, r) => {
      const l = makeLayout(Array.from({ length: p }, (_, i) => `10.0.0.${i + 1}:7000`), { groups: n, replicas: (r % p) + 1 });
      const d = decodeLayout(unpack(pack(encodeLayout(l))));
      return d.ok && layoutEquals(d.layout, l);
    }),
  );
  t.pass();
});

test('garbage gives a reason, never a throw', (t) => {
  const cases: Array<[unknown, string]> = [
    [null, 'not a layout: expected an object, got null'],
    [undefined, 'not a layout: expected an object, got undefined'],
    ['layout', 'not a layout: expected an object, got the string "layout"'],
    [[1, 2], 'not a layout: expected an object, got an array'],
    [new Map(), 'not a layout: expected a plain object'],
    [{ ...encoded, extra: 1 }, 'not a layout: unknown field "extra"'],
    [{ version: 1, slots: 16384, groups: 8, replicas: 2 }, 'not a layout: missing field participants'],
    [{ ...encoded, version: 2 }, 'not a layout: version must be 1, got 2'],
    [{ ...encoded, version: '1' }, 'not a layout: version must be 1, got the string "1"'],
    [{ ...encoded, slots: 1024 }, 'not a layout: slots must be 16384, got 1024'],
    [{ ...encoded, groups: '8' }, 'not a layout: groups must be a number, got the string "8"'],
    [{ ...encoded, groups: 0 }, 'not a layout: groups must be an integer in 1..16384, got 0'],
    [{ ...encoded, groups: 1.5 }, 'not a layout: groups must be an integer in 1..16384, got 1.5'],
    [{ ...encoded, replicas: null }, 'not a layout: replicas must be a number, got null'],
    [{ ...encoded, replicas: 4 }, 'not a layout: replicas must be an integer in 1..3 (the number of participants), got 4'],
    [{ ...encoded, participants: {} }, 'not a layout: participants must be an array, got an object'],
    [{ ...encoded, participants: [] }, 'not a layout: no participants'],
    [{ ...encoded, participants: Array.from({ length: 257 }, () => 'x') }, 'not a layout: 257 participants, more than 256'],
    [{ ...encoded, participants: ['127.0.0.1:8002', 8003] }, 'not a layout: participant 2 must be a string, got 8003'],
    [{ ...encoded, participants: ['127.0.0.1:8002', 'x'] }, 'not a layout: participant 2: bad address "x": expected IP:PORT, e.g. 127.0.0.1:8001'],
    [{ ...encoded, participants: ['127.0.0.1:8003', '127.0.0.1:8002'] }, 'not a layout: participants are not in rank order: 127.0.0.1:8002 comes after 127.0.0.1:8003'],
    [{ ...encoded, participants: ['127.0.0.1:8002', 'localhost:8002'] }, 'not a layout: participant localhost:8002 is listed twice'],
  ];
  for (const [value, why] of cases) t.is(reason(decodeLayout(value)), why);
  t.true(decodeLayout(Object.assign(Object.create(null) as object, encoded)).ok, 'a null-prototype object is plain');
});

test('property: decodeLayout never throws on arbitrary values or mutated encodings', (t) => {
  fc.assert(fc.property(fc.anything(), (v) => typeof decodeLayout(v).ok === 'boolean'));
  const mutated = fc.record({
    version: fc.oneof(fc.constant(1), fc.anything()),
    slots: fc.oneof(fc.constant(16384), fc.anything()),
    groups: fc.oneof(fc.integer(), fc.double(), fc.anything()),
    replicas: fc.oneof(fc.integer({ min: -1, max: 5 }), fc.anything()),
    participants: fc.oneof(fc.array(fc.oneof(fc.string(), fc.constantFrom('127.0.0.1:1', '127.0.0.1:2'))), fc.anything()),
  });
  fc.assert(fc.property(mutated, (v) => {
    const d = decodeLayout(v);
    return d.ok ? d.layout.groups >= 1 && d.layout.replicas <= d.layout.participants.length : d.reason.startsWith('not a layout: ');
  }));
  t.pass();
});
