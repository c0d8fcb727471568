/**
 * Splits a byte stream of RESP2/RESP3 replies into whole replies, each kept
 * as its exact bytes and as a tree (for comparisons that ignore order, such
 * as KEYS). Test code: input is trusted to be well-formed or incomplete.
 */
export type RawTree = { readonly type: string; readonly text: string; readonly items?: readonly RawTree[] };

export interface RawReply {
  readonly bytes: Buffer;
  readonly tree: RawTree;
}

/** One reply starting at `at`, or undefined when the bytes end first. */
function parseAt(buf: Buffer, at: number): { tree: RawTree; end: number } | undefined {
  const eol = buf.indexOf('\r\n', at, 'latin1');
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[at]!);
  const head = buf.toString('latin1', at + 1, eol);
  let end = eol + 2;
  switch (type) {
    case '$':
    case '=':
    case '!': {
      const n = Number(head);
      if (n < 0) return { tree: { type, text: head }, end };
      if (buf.length < end + n + 2) return undefined;
      return { tree: { type, text: buf.toString('latin1', end, end + n) }, end: end + n + 2 };
    }
    case '*':
    case '~':
    case '>':
    case '%':
    case '|': {
      const n = Number(head);
      if (n < 0) return { tree: { type, text: head }, end };
      const count = type === '%' || type === '|' ? 2 * n : n;
      const items: RawTree[] = [];
      for (let i = 0; i < count; i++) {
        const r = parseAt(buf, end);
        if (r === undefined) return undefined;
        items.push(r.tree);
        end = r.end;
      }
      return { tree: { type, text: head, items }, end };
    }
    default:
      return { tree: { type, text: head }, end };
  }
}

/** Accumulates bytes and hands out complete replies in order. */
export class RawReplySplitter {
  private buf = Buffer.alloc(0);

  feed(chunk: Buffer): RawReply[] {
    this.buf = Buffer.concat([this.buf, chunk]);
    const out: RawReply[] = [];
    for (;;) {
      if (this.buf.length === 0) break;
      const r = parseAt(this.buf, 0);
      if (r === undefined) break;
      out.push({ bytes: this.buf.subarray(0, r.end), tree: r.tree });
      this.buf = this.buf.subarray(r.end);
    }
    return out;
  }
}

/** The tree with every array's (and set's) items sorted: for replies whose order is unspecified. */
export function sortedTree(t: RawTree): RawTree {
  if (t.items === undefined) return t;
  const items = t.items.map(sortedTree);
  if (t.type === '*' || t.type === '~') items.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  return { ...t, items };
}
