import { ProtocolError } from './protocol-error.js';

/**
 * Splits one inline command line (what a person types into nc or telnet)
 * into arguments, the way Redis does (`sdssplitargs`), byte for byte:
 *
 * - blanks (space, \t, \n, \v, \f, \r) separate words, but only space,
 *   \t, \n, \r end a bare word (\v and \f inside a word are kept, as in Redis);
 *   NUL counts as a blank (Redis would stop reading the line there);
 * - "double quotes" group a word and understand the escapes
 *   \n \r \t \b \a \\ \" and \xHH (two hex digits); any other escaped byte
 *   stands for itself;
 * - 'single quotes' group a word literally, except \' for a quote;
 * - a closing quote must be followed by a blank or the end of the line,
 *   and an unterminated quote is an error (UNBALANCED_QUOTES);
 * - a quote in the middle of a bare word opens a quoted part of that word
 *   (`a"b c"` is the one argument `ab c`).
 *
 * So `SET CS06142 "Cloud Computing"` is three arguments, as in redis-cli.
 * (The lab's myshell splits differently; see src/shell/line-tokenizer.ts.)
 *
 * `line` excludes the terminating LF. Returns [] for a blank line.
 */
export function splitInlineArgs(line: Buffer): Buffer[] {
  const args: Buffer[] = [];
  const n = line.length;
  let i = 0;
  for (;;) {
    while (i < n && isBlank(line[i] as number)) i++;
    if (i >= n) return args;
    const word: number[] = [];
    let inDouble = false;
    let inSingle = false;
    for (;;) {
      if (i >= n) {
        if (inDouble || inSingle) throw new ProtocolError('UNBALANCED_QUOTES', 'unterminated quote in inline command');
        break;
      }
      const c = line[i] as number;
      if (inDouble) {
        if (c === BACKSLASH && i + 3 < n && line[i + 1] === X_LOWER && isHex(line[i + 2] as number) && isHex(line[i + 3] as number)) {
          word.push(hexValue(line[i + 2] as number) * 16 + hexValue(line[i + 3] as number));
          i += 4;
          continue;
        }
        if (c === BACKSLASH && i + 1 < n) {
          word.push(unescape(line[i + 1] as number));
          i += 2;
          continue;
        }
        if (c === DQUOTE) {
          // Closing quote must end the word (Redis: "unbalanced quotes").
          if (i + 1 < n && !isBlank(line[i + 1] as number)) {
            throw new ProtocolError('UNBALANCED_QUOTES', 'closing quote must be followed by a space');
          }
          i++;
          break;
        }
        word.push(c);
        i++;
      } else if (inSingle) {
        if (c === BACKSLASH && i + 1 < n && line[i + 1] === SQUOTE) {
          word.push(SQUOTE);
          i += 2;
          continue;
        }
        if (c === SQUOTE) {
          if (i + 1 < n && !isBlank(line[i + 1] as number)) {
            throw new ProtocolError('UNBALANCED_QUOTES', 'closing quote must be followed by a space');
          }
          i++;
          break;
        }
        word.push(c);
        i++;
      } else {
        if (endsBareWord(c)) break;
        if (c === DQUOTE) inDouble = true;
        else if (c === SQUOTE) inSingle = true;
        else word.push(c);
        i++;
      }
    }
    args.push(Buffer.from(word));
  }
}

const BACKSLASH = 0x5c;
const DQUOTE = 0x22;
const SQUOTE = 0x27;
const X_LOWER = 0x78;

/** isspace() in the C locale, plus NUL, which Redis also treats as a separator. */
function isBlank(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0x00;
}

/** The bytes that end an unquoted word in sdssplitargs. */
function endsBareWord(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x00;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

function hexValue(c: number): number {
  if (c <= 0x39) return c - 0x30;
  if (c >= 0x61) return c - 0x61 + 10;
  return c - 0x41 + 10;
}

function unescape(c: number): number {
  switch (c) {
    case 0x6e: return 0x0a; // \n
    case 0x72: return 0x0d; // \r
    case 0x74: return 0x09; // \t
    case 0x62: return 0x08; // \b
    case 0x61: return 0x07; // \a
    default: return c; // \\ \" and anything else: the byte itself
  }
}
