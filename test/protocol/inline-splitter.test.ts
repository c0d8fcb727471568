import test from 'ava';
import fc from 'fast-check';
import { splitInlineArgs } from '../../src/protocol/inline-splitter.js';
import { ProtocolError } from '../../src/protocol/protocol-error.js';

const split = (s: string) => splitInlineArgs(Buffer.from(s, 'latin1')).map((b) => b.toString('latin1'));

test('Redis sdssplitargs cases', (t) => {
  t.deepEqual(split('SET CS06142 "Cloud Computing"'), ['SET', 'CS06142', 'Cloud Computing']);
  t.deepEqual(split('a\tb\r c'), ['a', 'b', 'c']);
  t.deepEqual(split('"\\x00\\xff\\xAb"'), ['\x00\xff\xab']);
  t.deepEqual(split('"\\a\\b\\q"'), ['\x07\x08q']);
  t.deepEqual(split("'a\\\"b'"), ['a\\"b']);
  t.deepEqual(split('a\vb'), ['a\vb']); // \v ends no bare word, as in Redis
  t.deepEqual(split('\v\f a'), ['a']); // but is skipped between words
  t.deepEqual(split('a\x00b'), ['a', 'b']);
  t.deepEqual(split('"a"\t"b"'), ['a', 'b']);
  t.deepEqual(split(''), []);
  t.deepEqual(split('   '), []);
});

test('unbalanced quotes', (t) => {
  for (const bad of ['"a', "'a", '"a"b', "'a'b", '"\\"', 'a "b\\"']) {
    const err = t.throws(() => split(bad), { instanceOf: ProtocolError }, bad);
    t.is(err?.code, 'UNBALANCED_QUOTES');
  }
});

/** Quotes every byte as \xHH inside double quotes: must read back exactly. */
function quoteHex(word: Uint8Array): string {
  return `"${[...word].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('')}"`;
}

test('property: any binary words, hex-escaped in double quotes, split back exactly', (t) => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 16 }), { minLength: 1, maxLength: 6 }), (words) => {
      const line = words.map(quoteHex).join(' ');
      const got = splitInlineArgs(Buffer.from(line, 'latin1'));
      return got.length === words.length && got.every((g, i) => g.equals(Buffer.from(words[i]!)));
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('property: bare printable words separated by blanks split back exactly', (t) => {
  const bare = fc.stringMatching(/^[!#-&(-~]{1,12}$/); // printable, no space or quotes
  fc.assert(
    fc.property(fc.array(bare, { minLength: 1, maxLength: 6 }), fc.constantFrom(' ', '\t', '  ', ' \t '), (words, sep) => {
      const got = split(words.join(sep));
      return JSON.stringify(got) === JSON.stringify(words);
    }),
    { numRuns: 300 },
  );
  t.pass();
});
