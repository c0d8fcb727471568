import type { Socket } from 'node:net';
import { ReplyQueue } from '../server/reply-queue.js';
import type { Logger } from 'pino';
import { ProtocolError } from '../protocol/protocol-error.js';
import type { ProtocolErrorCode } from '../protocol/protocol-error.js';
import { RespParser } from '../protocol/resp-parser.js';
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
}

/** Redis's texts for a stream it can no longer read (src/networking.c processMultibulkBuffer / processInlineBuffer). */
const PROTOCOL_TEXT: Record<ProtocolErrorCode, string> = {
  BAD_TYPE_BYTE: "ERR Protocol error: expected '$'",
  BAD_LENGTH: 'ERR Protocol error: invalid bulk length',
  MISSING_CRLF: 'ERR Protocol error: invalid bulk length',
  BULK_TOO_LARGE: 'ERR Protocol error: invalid bulk length',
  ARRAY_TOO_LONG: 'ERR Protocol error: invalid multibulk length',
  INLINE_TOO_LONG: 'ERR Protocol error: too big inline request',
  UNBALANCED_QUOTES: 'ERR Protocol error: unbalanced quotes in request',
  REQUEST_TOO_LARGE: 'ERR Protocol error: invalid bulk length',
  NESTING_TOO_DEEP: 'ERR Protocol error: invalid multibulk length',
  BAD_INTEGER: 'ERR Protocol error: invalid bulk length',
};

const QUEUED = simple('QUEUED');

type Fill = (bytes: Buffer, closeAfter?: boolean) => void;

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
  /**
   * While a WATCH reads its keys, the commands after it wait here with their
   * reply slots taken: they must see what it does to the connection (a
   * pipelined `WATCH k; MULTI; ...; EXEC`, as ioredis sends it), as Redis
   * runs one command at a time.
   */
  private readonly held: Array<{ readonly argv: Buffer[]; readonly fill: Fill }> = [];
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
    this.replies = new ReplyQueue(socket, limits.pipelineMax);
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
    try {
      for (const cmd of this.parser.feed(chunk)) {
        const argv = [cmd.nameWord ?? Buffer.from(cmd.name), ...cmd.args];
        if (this.holding) this.held.push({ argv, fill: this.replies.pending() });
        else this.run(argv);
        if (this.stopped) return;
      }
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.stats.commands.other.calls++;
      this.stats.commands.other.failed++;
      this.log.info({ code: err.code, reason: err.message }, 'redis door: malformed request, closing the connection');
      this.push(encodeValue(error(PROTOCOL_TEXT[err.code]), this.state.proto), true);
      this.stopped = true;
    }
    this.replies.throttle();
  }

  private release(): void {
    this.holding = false;
    while (!this.holding && !this.stopped && this.held.length > 0) {
      const h = this.held.shift()!;
      this.run(h.argv, h.fill);
    }
  }

  /** Runs one command; its reply goes to `slot` when one was taken for it while it was held. */
  private run(argv: Buffer[], slot?: Fill): void {
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
    if (closeAfter) this.stopped = true;
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
        fill(encodeValue(v, proto), closeAfter);
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
