import { assertNever } from '../../raft/assert.js';
import type { Reply } from '../protocol/resp-reply-parser.js';

/**
 * A reply as the lab's myshell prints it: the raw RESP, one protocol line per
 * output line, CRLFs dropped. `+OK` / `*1` `$5` `Hello` / `:1` / `-ERROR`.
 *
 * Built from the parsed reply rather than from the received bytes so the
 * reply's boundaries are the parser's, but it is the same text: every type
 * byte and length is printed as received. A bulk payload is printed as UTF-8
 * text; one that itself holds newlines spans several output lines, as it
 * would if the raw bytes were printed.
 */
export function replyLines(reply: Reply): string[] {
  const out: string[] = [];
  append(reply, out);
  return out;
}

function append(reply: Reply, out: string[]): void {
  switch (reply.type) {
    case 'simple':
      out.push(`+${reply.value}`);
      return;
    case 'error':
      out.push(`-${reply.message}`);
      return;
    case 'integer':
      out.push(`:${reply.value}`);
      return;
    case 'bulk':
      if (reply.value === null) {
        out.push('$-1');
        return;
      }
      out.push(`$${reply.value.length}`, reply.value.toString('utf8'));
      return;
    case 'array':
      if (reply.items === null) {
        out.push('*-1');
        return;
      }
      out.push(`*${reply.items.length}`);
      for (const item of reply.items) append(item, out);
      return;
    default:
      assertNever(reply, 'reply');
  }
}
