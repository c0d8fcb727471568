import test from 'ava';
import { DEFAULT_CLIENT_LIMITS, fdLimitedMaxclients, outputBufferLimitText, parseMemoryBytes, parserLimitsOf, RESERVED_FDS, validateClientLimits } from '../../src/server/client-limits.js';
import { openFilesSoftLimit } from '../../src/server/fd-limit.js';

test('memory units as Redis memtoll: b, k = 1000, kb = 1024, m, mb, g, gb, any case', (t) => {
  t.is(parseMemoryBytes('0'), 0);
  t.is(parseMemoryBytes('123'), 123);
  t.is(parseMemoryBytes('1k'), 1000);
  t.is(parseMemoryBytes('1KB'), 1024);
  t.is(parseMemoryBytes('256mb'), 256 * 1024 * 1024);
  t.is(parseMemoryBytes('2m'), 2_000_000);
  t.is(parseMemoryBytes('1gb'), 1024 ** 3);
  for (const bad of ['', '-1', '1.5mb', 'mb', '1 mb', '1tb', '99999999999999999gb']) t.is(parseMemoryBytes(bad), undefined, bad);
});

test('maxclients is lowered to what the open-files limit holds after the reserved descriptors, as Redis does', (t) => {
  t.deepEqual(fdLimitedMaxclients(10_000, 1024), { maxclients: 1024 - RESERVED_FDS, lowered: true });
  t.deepEqual(fdLimitedMaxclients(10_000, 20_000), { maxclients: 10_000, lowered: false });
  t.deepEqual(fdLimitedMaxclients(10_000, 10_000 + RESERVED_FDS), { maxclients: 10_000, lowered: false });
  t.deepEqual(fdLimitedMaxclients(10_000, undefined), { maxclients: 10_000, lowered: false });
  t.deepEqual(fdLimitedMaxclients(10, 8), { maxclients: 1, lowered: true });
});

test('the open-files soft limit is read from /proc/self/limits', (t) => {
  const text = 'Limit                     Soft Limit           Hard Limit           Units\nMax processes             95000                95000                processes\nMax open files            1024                 524288               files\n';
  t.is(openFilesSoftLimit(text), 1024);
  t.is(openFilesSoftLimit(text.replace('1024 ', 'unlimited ')), undefined);
  t.is(openFilesSoftLimit('nothing here'), undefined);
  if (process.platform === 'linux') t.true((openFilesSoftLimit() ?? 0) > 0);
});

test('the defaults are valid; the parser never accepts a bulk the query buffer cannot hold', (t) => {
  t.notThrows(() => validateClientLimits(DEFAULT_CLIENT_LIMITS));
  t.throws(() => validateClientLimits({ ...DEFAULT_CLIENT_LIMITS, maxclients: 0 }));
  t.throws(() => validateClientLimits({ ...DEFAULT_CLIENT_LIMITS, queryBufferBytes: 1000 }));
  t.deepEqual(parserLimitsOf(DEFAULT_CLIENT_LIMITS, undefined), { bulkBytesMax: 512 * 1024 * 1024, requestBytesMax: 1024 ** 3 });
  t.deepEqual(parserLimitsOf({ ...DEFAULT_CLIENT_LIMITS, queryBufferBytes: 2 * 1024 * 1024 }, 4 * 1024 * 1024), { bulkBytesMax: 2 * 1024 * 1024, requestBytesMax: 2 * 1024 * 1024 });
  t.is(outputBufferLimitText({ ...DEFAULT_CLIENT_LIMITS, outputHardBytes: 10, outputSoftBytes: 5, outputSoftSec: 3 }), 'normal 10 5 3 slave 268435456 67108864 60 pubsub 33554432 8388608 60');
});
