import { assert } from '../../raft/assert.js';

/** How a complete top-level reply is classified by the load generator. */
export const ReplyKind = {
  /** Any non-error reply: `+`, `:`, `$`, `*` (nested or not, nil or not). */
  ok: 0,
  /** Exactly `-ERROR\r\n`, the lab's one failure reply. */
  labError: 1,
  /** Any other `-...` reply (e.g. redis's `-ERR ...`, `-MOVED`). */
  otherError: 2,
} as const;
export type ReplyKind = (typeof ReplyKind)[keyof typeof ReplyKind];

/** A malformed reply stream: the connection cannot be trusted any more. */
export class ReplyStreamError extends Error {
  readonly code = 'BAD_REPLY_STREAM';
}

/** Longest `+ - : $ *` line we accept, CRLF included. */
export const replyLineBytesMax = 64 * 1024;

const State = { type: 0, line: 1, bulk: 2 } as const;
type State = (typeof State)[keyof typeof State];

const CR = 0x0d;
const LF = 0x0a;
const MINUS = 0x2d;
const ERROR_TEXT = Buffer.from('ERROR');

/**
 * A byte-level RESP2 reply counter for the hot path of the load generator.
 * It never builds values: it only finds where each top-level reply ends and
 * whether it is an error. Replies may span chunks at any byte.
 *
 * Unlike RespReplyParser (src/protocol), it allocates nothing per reply
 * except the text of error lines; at 100k+ replies/s on a core shared with
 * the cluster the generic parser's objects are measurable (see
 * test/bench/reply-counter.test.ts for the cross-check).
 *
 * Invariant: `remaining` counts the elements still missing from the current
 * top-level reply (1 at its start); a reply is complete when it reaches 0.
 */
export class ReplyCounter {
  private state: State = State.type;
  private remaining = 1;
  /** Type byte of the element whose line is being read. */
  private lineType = 0;
  /** The line's integer so far (for `$` and `*`), and its sign. */
  private lineNumber = 0;
  private lineNegative = false;
  private lineDigits = 0;
  private lineBytes = 0;
  /** True between top-level replies: the next type byte starts a new reply. */
  private atTop = true;
  /** Whether the current line is a top-level error (its text is collected). */
  private topError = false;
  /** The kind of the top-level reply in progress (decided by its first line). */
  private kind: ReplyKind = ReplyKind.ok;
  private errorText: number[] = [];
  /** Bytes of bulk payload + CRLF still to skip. */
  private bulkLeft = 0;

  /** Calls onReply(kind) for every top-level reply completed by chunk, in order. */
  feed(chunk: Buffer, onReply: (kind: ReplyKind) => void): void {
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      switch (this.state) {
        case State.type: {
          const t = chunk[i++]!;
          if (t !== 0x2b && t !== MINUS && t !== 0x3a && t !== 0x24 && t !== 0x2a) {
            throw new ReplyStreamError(`unknown reply type byte 0x${t.toString(16)}`);
          }
          this.lineType = t;
          this.lineNumber = 0;
          this.lineNegative = false;
          this.lineDigits = 0;
          this.lineBytes = 1;
          this.topError = t === MINUS && this.atTop;
          if (this.atTop) this.kind = ReplyKind.ok;
          this.atTop = false;
          this.errorText.length = 0;
          this.state = State.line;
          break;
        }
        case State.line: {
          const lf = chunk.indexOf(LF, i);
          const end = lf === -1 ? n : lf;
          this.lineBytes += end - i + (lf === -1 ? 0 : 1);
          if (this.lineBytes > replyLineBytesMax) throw new ReplyStreamError(`reply line longer than ${replyLineBytesMax} bytes`);
          if (this.lineType === 0x24 || this.lineType === 0x2a) {
            for (let k = i; k < end; k++) this.digit(chunk[k]!);
          } else if (this.topError) {
            for (let k = i; k < end; k++) this.errorText.push(chunk[k]!);
          }
          i = end;
          if (lf !== -1) {
            i = lf + 1;
            this.endLine(onReply);
          }
          break;
        }
        case State.bulk: {
          const take = Math.min(this.bulkLeft, n - i);
          i += take;
          this.bulkLeft -= take;
          if (this.bulkLeft === 0) {
            this.state = State.type;
            this.elementDone(onReply);
          }
          break;
        }
      }
    }
  }

  /** True while a reply has been started but not finished. */
  get pending(): boolean {
    return !this.atTop;
  }

  private digit(b: number): void {
    if (b === CR) return;
    if (b === MINUS && this.lineDigits === 0 && !this.lineNegative) {
      this.lineNegative = true;
      return;
    }
    if (b < 0x30 || b > 0x39 || this.lineDigits >= 15) throw new ReplyStreamError('bad length in reply');
    this.lineNumber = this.lineNumber * 10 + (b - 0x30);
    this.lineDigits++;
  }

  private endLine(onReply: (kind: ReplyKind) => void): void {
    this.state = State.type;
    switch (this.lineType) {
      case 0x2b:
      case 0x3a:
        this.elementDone(onReply);
        return;
      case MINUS: {
        if (this.topError) {
          const text = this.errorText;
          // The line ends in CR (collected before the LF); compare without it.
          const len = text.length > 0 && text[text.length - 1] === CR ? text.length - 1 : text.length;
          let lab = len === ERROR_TEXT.length;
          for (let k = 0; lab && k < len; k++) lab = text[k] === ERROR_TEXT[k];
          this.kind = lab ? ReplyKind.labError : ReplyKind.otherError;
        }
        this.elementDone(onReply);
        return;
      }
      case 0x24: {
        const len = this.length();
        if (len === -1) {
          this.elementDone(onReply);
          return;
        }
        this.bulkLeft = len + 2;
        this.state = State.bulk;
        return;
      }
      case 0x2a: {
        const len = this.length();
        // `*N` takes the array's slot and opens N more; nil and empty close at once.
        if (len > 0) this.remaining += len;
        this.elementDone(onReply);
        return;
      }
      default:
        assert(false, `reply counter: line of unknown type ${this.lineType}`);
    }
  }

  private length(): number {
    if (this.lineDigits === 0) throw new ReplyStreamError('missing length in reply');
    if (this.lineNegative) {
      if (this.lineNumber !== 1) throw new ReplyStreamError(`bad negative length -${this.lineNumber}`);
      return -1;
    }
    return this.lineNumber;
  }

  private elementDone(onReply: (kind: ReplyKind) => void): void {
    assert(this.remaining > 0, 'reply counter: element with nothing remaining');
    this.remaining--;
    if (this.remaining === 0) {
      this.remaining = 1;
      this.atTop = true;
      onReply(this.kind);
    }
  }
}
