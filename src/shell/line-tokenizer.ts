import { encodeRequest } from '../protocol/resp-encoder.js';

/**
 * Splits a line typed at myshell into words the way the lab's myshell does:
 * double quotes are removed and do NOT group, so the quoted text is split on
 * blanks like the rest of the line:
 *
 *   SET CS06142 "Cloud Computing"  ->  SET, CS06142, Cloud, Computing
 *
 * which myshell sends as `*4\r\n$3\r\nSET\r\n$7\r\nCS06142\r\n$5\r\nCloud\r\n$9\r\nComputing\r\n`
 * (the lab handout's encoding), and GET later returns both words as a
 * two-element array. This differs on purpose from an inline command typed
 * into nc, where Redis-style quoting keeps "Cloud Computing" as one word
 * (src/protocol/inline-splitter.ts).
 *
 * Blanks are spaces and tabs (and a trailing CR). Single quotes and
 * backslashes are ordinary characters. An odd number of double quotes is a
 * ShellLineError: the line was probably cut short, so nothing is sent.
 * A blank line gives no words.
 */
export function tokenizeShellLine(line: string): string[] {
  let quotes = 0;
  for (const ch of line) if (ch === '"') quotes++;
  if (quotes % 2 !== 0) {
    throw new ShellLineError('UNTERMINATED_QUOTE', 'unterminated double quote');
  }
  return line.replaceAll('"', ' ').split(/[ \t\r\n]+/).filter((w) => w !== '');
}

/** The RESP request for a typed line, or null for a blank line. */
export function shellLineToRequest(line: string): Buffer | null {
  const words = tokenizeShellLine(line);
  return words.length === 0 ? null : encodeRequest(words);
}

export const SHELL_LINE_ERROR_CODES = ['UNTERMINATED_QUOTE'] as const;
export type ShellLineErrorCode = (typeof SHELL_LINE_ERROR_CODES)[number];

/** A typed line myshell will not send; it prints the reason and prompts again. */
export class ShellLineError extends Error {
  override readonly name = 'ShellLineError';
  constructor(
    readonly code: ShellLineErrorCode,
    readonly reason: string,
  ) {
    super(`${code}: ${reason}`);
  }
}
