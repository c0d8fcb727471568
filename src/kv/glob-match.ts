/**
 * Redis's glob, a port of redis/redis `src/util.c` stringmatchlen (7.x),
 * over bytes: `*` any run, `?` one byte, `[abc]` `[^abc]` `[a-z]` (ends in
 * either order) a set, `\x` the byte x literally (in a set too). Quirks kept
 * on purpose, since clients see them through KEYS, SCAN MATCH and CONFIG GET:
 * - a `[` never closed runs to the end of the pattern and still matches one byte;
 * - bytes compare as C's signed `char`, so in a range bytes >= 0x80 sort
 *   below 0x00 (`[\x80-a]` covers 0x80..0xff and 0x00..'a');
 * - a trailing lone `\` matches a `\`;
 * - more than 1000 nested `*` levels never match (Redis's guard against
 *   abusive patterns).
 * `nocase` folds ASCII letters only (C's tolower in the C locale).
 */

/** Redis's nesting guard: recursion through `*` deeper than this is no match. */
const NESTING_MAX = 1000;

const STAR = 0x2a;
const QUESTION = 0x3f;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const BACKSLASH = 0x5c;
const CARET = 0x5e;
const DASH = 0x2d;

/** C's `char` on x86: a byte as signed. */
function signed(b: number): number {
  return b >= 0x80 ? b - 0x100 : b;
}

/** C's tolower in the C locale. */
function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
}

/** Whether `subject` matches the glob `pattern`, exactly as Redis decides it. */
export function globMatch(pattern: Uint8Array, subject: Uint8Array, nocase = false): boolean {
  const state = { skipLongerMatches: false };
  return matchFrom(pattern, 0, subject, 0, nocase, state, 0);
}

/** The same for text (latin1: one char per byte, as kvstore keeps keys). */
export function globMatchText(pattern: string, subject: string, nocase = false): boolean {
  return globMatch(Buffer.from(pattern, 'latin1'), Buffer.from(subject, 'latin1'), nocase);
}

/**
 * stringmatchlen_impl from pattern[p..] against subject[s..]. `at(i)` reads
 * the pattern as C reads an sds: the byte past the end is its NUL.
 */
function matchFrom(pat: Uint8Array, p: number, str: Uint8Array, s: number, nocase: boolean, state: { skipLongerMatches: boolean }, nesting: number): boolean {
  if (nesting > NESTING_MAX) return false;
  const at = (i: number): number => (i < pat.length ? pat[i]! : 0);
  let plen = pat.length - p;
  let slen = str.length - s;
  while (plen > 0 && slen > 0) {
    switch (pat[p]) {
      case STAR: {
        while (plen > 0 && at(p + 1) === STAR) {
          p++;
          plen--;
        }
        if (plen === 1) return true;
        while (slen > 0) {
          if (matchFrom(pat, p + 1, str, s, nocase, state, nesting + 1)) return true;
          if (state.skipLongerMatches) return false;
          s++;
          slen--;
        }
        // Nothing after this star matches anywhere in the rest: no earlier star can help either.
        state.skipLongerMatches = true;
        return false;
      }
      case QUESTION:
        s++;
        slen--;
        break;
      case OPEN: {
        p++;
        plen--;
        const not = at(p) === CARET;
        if (not) {
          p++;
          plen--;
        }
        let match = false;
        const c = str[s]!;
        for (;;) {
          if (at(p) === BACKSLASH && plen >= 2) {
            p++;
            plen--;
            if (at(p) === c) match = true;
          } else if (at(p) === CLOSE) {
            break;
          } else if (plen === 0) {
            // Never closed: step back so the step after the set leaves the pattern empty.
            p--;
            plen++;
            break;
          } else if (plen >= 3 && at(p + 1) === DASH) {
            let start = signed(at(p));
            let end = signed(at(p + 2));
            let ch = signed(c);
            if (start > end) [start, end] = [end, start];
            if (nocase) {
              start = lower(start);
              end = lower(end);
              ch = lower(ch);
            }
            p += 2;
            plen -= 2;
            if (ch >= start && ch <= end) match = true;
          } else if (nocase ? lower(at(p)) === lower(c) : at(p) === c) {
            match = true;
          }
          p++;
          plen--;
        }
        if (not) match = !match;
        if (!match) return false;
        s++;
        slen--;
        break;
      }
      default: {
        if (pat[p] === BACKSLASH && plen >= 2) {
          p++;
          plen--;
        }
        const c = str[s]!;
        if (nocase ? lower(pat[p]!) !== lower(c) : pat[p] !== c) return false;
        s++;
        slen--;
        break;
      }
    }
    p++;
    plen--;
    if (slen === 0) {
      while (at(p) === STAR) {
        p++;
        plen--;
      }
      break;
    }
  }
  return plen === 0 && slen === 0;
}

/** `*` alone: every key, no need to test (Redis's allkeys / use_pattern shortcut). */
export function matchesEverything(pattern: Uint8Array): boolean {
  return pattern.length === 1 && pattern[0] === STAR;
}
