import test from 'ava';
import fc from 'fast-check';
import { globMatch, globMatchText, matchesEverything } from '../../src/kv/glob-match.js';

// Cases from Redis's own tests (tests/unit/keyspace.tcl KEYS, src/util.c stringmatchlen tests) and its quirks.
const cases: ReadonlyArray<readonly [string, string, boolean]> = [
  // Redis's quirk: nothing but the empty pattern matches the empty string (KEYS * and MATCH * skip the test).
  ['*', '', false],
  ['*', 'anything', true],
  ['', '', true],
  ['', 'a', false],
  ['a', '', false],
  ['foo*', 'foo_a', true],
  ['foo*', 'fo', false],
  ['*o*', 'foo', true],
  ['*o*', 'bar', false],
  ['h?llo', 'hello', true],
  ['h?llo', 'hllo', false],
  ['h*llo', 'hllo', true],
  ['h*llo', 'heeeello', true],
  ['h[ae]llo', 'hello', true],
  ['h[ae]llo', 'hallo', true],
  ['h[ae]llo', 'hillo', false],
  ['h[^e]llo', 'hallo', true],
  ['h[^e]llo', 'hello', false],
  ['h[a-b]llo', 'hbllo', true],
  ['h[a-b]llo', 'hcllo', false],
  // Range ends in either order.
  ['h[b-a]llo', 'hallo', true],
  // An escaped byte is literal, outside a set and inside.
  ['h\\*llo', 'h*llo', true],
  ['h\\*llo', 'hello', false],
  ['[\\]]', ']', true],
  ['[\\-]', '-', true],
  ['[a\\-z]', 'b', false],
  // A trailing lone backslash matches a backslash.
  ['a\\', 'a\\', true],
  // A set never closed runs to the end of the pattern and matches one byte.
  ['[abc', 'a', true],
  ['[abc', 'd', false],
  ['[', 'x', false],
  ['[^', 'x', true],
  ['a[', 'ab', false],
  // `]` right after `[` closes an empty set: it matches nothing.
  ['[]', ']', false],
  ['[]a]', 'a', false],
  ['[]a]', ']a]', false],
  // Stars collapse; a pattern of stars matches everything.
  ['***', '', false],
  ['***', 'x', true],
  ['a**b', 'ab', true],
  ['a*b*c', 'aXbYc', true],
  ['a*b*c', 'aXbY', false],
  ['*a*a*a*a*a*a*a*a*a*a*b', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', false],
  ['{a}*', '{a}k', true],
  ['?', 'é', false], // two bytes in UTF-8: ? matches one byte
];

for (const [pattern, subject, want] of cases) {
  test(`glob ${JSON.stringify(pattern)} ${want ? 'matches' : 'does not match'} ${JSON.stringify(subject)}`, (t) => {
    t.is(globMatch(Buffer.from(pattern), Buffer.from(subject)), want);
  });
}

test('glob compares bytes as signed chars, as Redis in C: a range up to a high byte wraps below 0x00', (t) => {
  // [\x80-a] is the range -128..97 in signed chars: 0x00..'a' and 0x80..0xff.
  const p = Buffer.from([0x5b, 0x80, 0x2d, 0x61, 0x5d]);
  t.true(globMatch(p, Buffer.from([0x90])));
  t.true(globMatch(p, Buffer.from('A')));
  t.false(globMatch(p, Buffer.from('b')));
});

test('glob nocase folds ASCII letters only, in sets and ranges too', (t) => {
  t.true(globMatchText('MAXMEMORY*', 'maxmemory-policy', true));
  t.true(globMatchText('[A-C]x', 'bx', true));
  t.false(globMatchText('MAX*', 'maxmemory', false));
  t.false(globMatchText('\xc9', '\xe9', true));
});

test('more than 1000 nested stars never match (Redis guards abusive patterns)', (t) => {
  const pattern = 'a*'.repeat(1100) + 'a';
  t.false(globMatchText(pattern, 'a'.repeat(1101)));
  t.true(globMatchText('a*'.repeat(900) + 'a', 'a'.repeat(901)));
});

test('matchesEverything is the lone star only', (t) => {
  t.true(matchesEverything(Buffer.from('*')));
  t.false(matchesEverything(Buffer.from('**')));
  t.false(matchesEverything(Buffer.from('')));
});

/** A plain reference for patterns without sets or escapes: * and ? only, by backtracking. */
function reference(p: string, s: string): boolean {
  if (s.length === 0) return p.length === 0; // Redis: an empty subject never enters the loop
  return backtrack(p, s);
}

function backtrack(p: string, s: string): boolean {
  if (p.length === 0) return s.length === 0;
  if (p[0] === '*') return backtrack(p.slice(1), s) || (s.length > 0 && backtrack(p, s.slice(1)));
  if (s.length === 0) return false;
  return (p[0] === '?' || p[0] === s[0]) && backtrack(p.slice(1), s.slice(1));
}

test('property: with * and ? only, glob agrees with a plain backtracking matcher (but for the empty subject)', (t) => {
  fc.assert(
    fc.property(fc.stringOf(fc.constantFrom('a', 'b', '*', '?'), { maxLength: 8 }), fc.stringOf(fc.constantFrom('a', 'b'), { maxLength: 8 }), (p, s) => globMatchText(p, s) === reference(p, s)),
    { numRuns: 3000 },
  );
  t.pass();
});
