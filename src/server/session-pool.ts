import { randomBytes } from 'node:crypto';
import { assert } from '../../raft/assert.js';

/** A write's at-most-once identity (Raft dissertation §6.3). */
export interface SessionTicket {
  readonly clientId: string;
  readonly seq: number;
  /** Call once when the write is finally answered (success or give-up). */
  release(): void;
}

/**
 * The client sessions of one front-door process. Commands of every client
 * connection draw (clientId, seq) from a few shared sessions instead of one
 * session per connection, so clients that open a connection per command (as
 * `nc` users and lab graders do) do not fill the replicated session table.
 *
 * Invariant: a session has fewer than `outstandingMax` writes unanswered, so
 * its seqs stay within the state machine's result window (64) in the common
 * case; a write retried past that window gets STALE_SESSION (an error reply,
 * never a second application).
 */
export class SessionPool {
  private readonly prefix = randomBytes(6).toString('hex');
  private readonly sessions: Array<{ clientId: string; seq: number; outstanding: number }> = [];

  constructor(
    private readonly tag: string,
    private readonly outstandingMax = 48,
  ) {
    assert(outstandingMax >= 1, 'session pool: outstandingMax >= 1');
  }

  get size(): number {
    return this.sessions.length;
  }

  next(): SessionTicket {
    let s = this.sessions.find((x) => x.outstanding < this.outstandingMax);
    if (s === undefined) {
      s = { clientId: `${this.tag}${this.prefix}-${this.sessions.length + 1}`, seq: 0, outstanding: 0 };
      this.sessions.push(s);
    }
    const session = s;
    session.seq++;
    session.outstanding++;
    let released = false;
    return {
      clientId: session.clientId,
      seq: session.seq,
      release: () => {
        if (released) return;
        released = true;
        session.outstanding--;
      },
    };
  }
}
