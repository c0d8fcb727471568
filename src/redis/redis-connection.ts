import type { Socket } from 'node:net';
import { ReplyQueue } from '../server/reply-queue.js';
import type { ReplyFill } from '../server/reply-queue.js';
import type { Logger } from 'pino';
import { ProtocolError } from '../protocol/protocol-error.js';
import { assertNever } from '../../raft/assert.js';
import type { ClientPool } from '../server/client-pool.js';
import { REDIS_PRE_AUTH_LIMITS, RespParser } from '../protocol/resp-parser.js';
import type { RespParserLimits } from '../protocol/resp-parser.js';
import type { FrontDoorCommand, FrontDoorStats } from '../server/front-door-stats.js';
import type { KvSession } from '../server/kv-service.js';
import { lookupCommand } from './command-table.js';
import type { ClientState, DoorServices, Reply } from './redis-call.js';
import { NOAUTH, unknownCommand, unknownSubcommand } from './redis-errors.js';
import { encodeValue, error, simple } from './resp-value.js';
import { RUN_INSIDE_MULTI, refusedInMulti } from './transaction-commands.js';
import type { RespValue } from './resp-value.js';
import { storeError } from './string-commands.js';

export interface RedisConnectionLimits {
  /** Requests of one connection being executed at once; beyond it we stop reading. */
  readonly pipelineMax: number;
  readonly parser: Partial<RespParserLimits>;
  /** The process's clients: builds the reply queue with the output limits and counts limit closes. */
  readonly pool?: ClientPool;
}

/**
 * Redis 7.2's reply to a stream it can no longer read (networking.c
 * processMultibulkBuffer / processInlineBuffer); after it the connection is
 * closed. Undefined for a request over the query buffer limit: Redis closes
 * that client without a reply.
 */
export function protocolErrorText(err: ProtocolError): string | undefined {
  const count = err.line === 'count';
  switch (err.code) {
    case 'BAD_TYPE_BYTE': {
      // As addReplyErrorFormat: a CR or LF in the text becomes a space.
      const got = err.got === undefined || err.got === 0x0d || err.got === 0x0a ? ' ' : String.fromCharCode(err.got);
      return `ERR Protocol error: expected '$', got '${got}'`;
    }
    case 'BAD_LENGTH':
    case 'MISSING_CRLF':
    case 'BAD_INTEGER':
      return count ? 'ERR Protocol error: invalid multibulk length' : 'ERR Protocol error: invalid bulk length';
    case 'LENGTH_LINE_TOO_LONG':
      return count ? 'ERR Protocol error: too big mbulk count string' : 'ERR Protocol error: too big bulk count string';
    case 'BULK_TOO_LARGE':
      return 'ERR Protocol error: invalid bulk length';
    case 'ARRAY_TOO_LONG':
    case 'NESTING_TOO_DEEP':
      return 'ERR Protocol error: invalid multibulk length';
    case 'INLINE_TOO_LONG':
      return 'ERR Protocol error: too big inline request';
    case 'UNBALANCED_QUOTES':
      return 'ERR Protocol error: unbalanced quotes in request';
    case 'UNAUTH_ARRAY_TOO_LONG':
      return 'ERR Protocol error: unauthenticated multibulk length';
    case 'UNAUTH_BULK_TOO_LARGE':
      return 'ERR Protocol error: unauthenticated bulk length';
    case 'REQUEST_TOO_LARGE':
      return undefined;
    default:
      return assertNever(err.code, 'protocol error code');
  }
}

const QUEUED = simple('QUEUED');

/** What the shared front-door counters call a Redis command (its other commands are `other`). */
function counted(fullname: string): FrontDoorCommand {
  switch (fullname) {
    case 'set':
    case 'get':
    case 'del':
    case 'mset':
    case 'mget':
    case 'ping':
    case 'quit':
    case 'info':
      return fullname;
    case 'unlink':
      return 'del';
    default:
      return 'other';
  }
}

/**
 * One client of the Redis door. Requests may be pipelined; each is run as
 * soon as it is parsed (data commands through the connection's ordered
 * session, so a GET sees the writes sent before it) and its reply is written
 * in request order. A client that half-closes (shutdown SHUT_WR) still gets
 * every reply, then the connection ends, as with Redis.
 * Replies leave in request order through the shared ReplyQueue.
 */
export class RedisConnection {
  private readonly parser: RespParser;
  private readonly replies: ReplyQueue;
  /** No more requests are read (QUIT, a protocol error, or the client's FIN). */
  private stopped = false;
  /** A reply that closes the connection was queued: requests after it never run. */
  private quit = false;
  /**
   * While a WATCH reads its keys, the commands after it wait here with their
   * reply slots taken: they must see what it does to the connection (a
   * pipelined `WATCH k; MULTI; ...; EXEC`, as ioredis sends it), as Redis
   * runs one command at a time.
   */
  private readonly held: Array<{ readonly argv: Buffer[]; readonly fill: ReplyFill }> = [];
  private holding = false;

  constructor(
    private readonly socket: Socket,
    readonly state: ClientState,
    private readonly session: KvSession,
    private readonly door: DoorServices,
    private readonly limits: RedisConnectionLimits,
    private readonly stats: FrontDoorStats,
    private readonly log: Logger,
  ) {
    this.parser = new RespParser(limits.parser);
    this.boundUnauthenticated();
    this.replies = limits.pool?.replyQueue(socket, limits.pipelineMax) ?? new ReplyQueue(socket, limits.pipelineMax);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => {
      this.stopped = true;
      this.replies.inputEnded();
    });
  }

  private onData(chunk: Buffer): void {
    if (this.stopped) return;
    this.state.lastInteractionMs = Date.now();
    this.replies.noteInput();
    try {
      for (const cmd of this.parser.feed(chunk)) {
        const argv = [cmd.nameWord ?? Buffer.from(cmd.name), ...cmd.args];
        // Started in order, when the connection's window allows (ReplyQueue.dispatch).
        this.replies.dispatch(() => {
          if (this.holding) this.held.push({ argv, fill: this.replies.pending() });
          else this.run(argv);
        });
        if (this.stopped) return;
      }
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.stopped = true;
      const text = protocolErrorText(err);
      if (text === undefined) {
        this.limits.pool?.queryBufferClosed(this.socket, err.reason);
        this.socket.destroy();
        return;
      }
      this.log.info({ code: err.code, reason: err.message }, 'redis door: malformed request, closing the connection');
      this.replies.dispatch(() => {
        this.stats.commands.other.calls++;
        this.stats.commands.other.failed++;
        if (!this.quit) this.push(encodeValue(error(text), this.state.proto), true);
      });
    }
    this.replies.throttle();
  }

  /** Before AUTH the parser takes only small requests (Redis 7.2); AUTH lifts it, RESET may bring it back. */
  private boundUnauthenticated(): void {
    this.parser.preAuth = this.state.authenticated ? undefined : REDIS_PRE_AUTH_LIMITS;
  }

  private release(): void {
    this.holding = false;
    // Not `stopped`: the client's FIN stops reading, but what it sent before still runs.
    while (!this.holding && !this.quit && this.held.length > 0) {
      const h = this.held.shift()!;
      this.run(h.argv, h.fill);
    }
  }

  /** Runs one command; its reply goes to `slot` when one was taken for it while it was held. */
  private run(argv: Buffer[], slot?: ReplyFill): void {
    // After QUIT (or RESET's close) nothing later on the connection runs.
    if (this.quit) {
      slot?.(Buffer.alloc(0));
      return;
    }
    try {
      this.runCommand(argv, slot);
    } finally {
      this.boundUnauthenticated();
    }
  }

  private runCommand(argv: Buffer[], slot: ReplyFill | undefined): void {
    const push = (bytes: Buffer, closeAfter: boolean): void => (slot !== undefined ? slot(bytes, closeAfter) : this.push(bytes, closeAfter));
    const found = lookupCommand(argv, unknownCommand, unknownSubcommand);
    const tx = this.state.tx;
    if (!found.ok) {
      const c = this.stats.commands.other;
      c.calls++;
      c.failed++;
      // Inside MULTI a refused command dooms the block (Redis flagTransaction): EXEC answers EXECABORT.
      if (tx.queued !== undefined) tx.dirty = true;
      push(encodeValue(error(found.error), this.state.proto), false);
      return;
    }
    const { cmd } = found;
    const counts = this.stats.commands[counted(cmd.name)];
    counts.calls++;
    // As Redis: looked up and arity-checked first, then only no_auth commands (AUTH, HELLO, QUIT, RESET) before AUTH.
    if (!this.state.authenticated && !cmd.flags.includes('no_auth')) {
      counts.failed++;
      if (tx.queued !== undefined) tx.dirty = true;
      push(encodeValue(error(NOAUTH), this.state.proto), false);
      return;
    }
    this.state.lastCommand = cmd.name;
    if (tx.queued !== undefined && !RUN_INSIDE_MULTI.has(cmd.name)) {
      const refused = refusedInMulti(cmd, tx.queued.length);
      if (refused !== undefined) {
        counts.failed++;
        tx.dirty = true;
        push(encodeValue(error(refused), this.state.proto), false);
      } else {
        tx.queued.push({ cmd, argv });
        push(encodeValue(QUEUED, this.state.proto), false);
      }
      return;
    }
    let reply: Reply;
    try {
      reply = cmd.run({ argv, fullname: cmd.name, client: this.state, door: this.door, session: this.session });
    } catch (err) {
      reply = Promise.reject(err);
    }
    // Encoded in the protocol in force once the handler has run (HELLO 3 answers in RESP3).
    const proto = this.state.proto;
    const closeAfter = this.state.closeAfterReply;
    if (closeAfter) {
      this.stopped = true;
      this.quit = true;
    }
    if (!(reply instanceof Promise)) {
      if (reply.t === 'error') counts.failed++;
      push(encodeValue(reply, proto), closeAfter);
      return;
    }
    const fill = slot ?? this.replies.pending(closeAfter);
    if (cmd.name === 'watch') {
      this.holding = true;
      void reply.finally(() => this.release()).catch(() => {});
    }
    reply.then(
      (v: RespValue) => {
        if (v.t === 'error') counts.failed++;
        fill(() => encodeValue(v, proto), closeAfter);
      },
      (err: unknown) => {
        counts.failed++;
        this.log.info({ command: cmd.name, err: err instanceof Error ? err.message : String(err) }, 'redis door: request failed');
        fill(encodeValue(storeError(err), proto), closeAfter);
      },
    );
  }

  private push(bytes: Buffer, closeAfter: boolean): void {
    this.replies.push(bytes, closeAfter);
  }
}
