import type { Socket } from 'node:net';
import type { Logger } from '../server/logger.js';
import type { FrontDoorCommand, FrontDoorStats } from '../server/front-door-stats.js';
import type { KvSession } from '../server/kv-service.js';
import { ReplyQueue } from '../server/reply-queue.js';
import { runMcRequest, serverError, type McDoorFacts } from './mc-commands.js';
import { McParser, type McParserLimits } from './mc-parser.js';
import type { McRequest } from './mc-request.js';

/** What the shared front-door counters (INFO, /metrics) call a memcached request. */
function counted(r: McRequest): FrontDoorCommand {
  switch (r.t) {
    case 'store':
      return 'set';
    case 'get':
      return 'get';
    case 'delete':
      return 'del';
    case 'quit':
      return 'quit';
    default:
      return 'other';
  }
}

/** A reply that is empty: a noreply request sends nothing, but keeps its place in the order. */
const NOTHING = Buffer.alloc(0);

/**
 * One client of the memcached door. Requests may be pipelined; each runs as
 * soon as it is parsed, through the connection's ordered session (a get
 * sees the sets sent before it), and replies leave in request order through
 * the shared ReplyQueue. `noreply` requests are executed and answered with
 * nothing. A client that half-closes still gets every reply, then the
 * connection ends. `quit` and a line too long to read end it too.
 */
export class McConnection {
  private readonly parser: McParser;
  private readonly replies: ReplyQueue;
  private stopped = false;
  /** Requests of this connection not answered yet: `stats` waits for them, so it counts what came before it. */
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(
    private readonly socket: Socket,
    private readonly session: KvSession,
    private readonly door: McDoorFacts,
    limits: Partial<McParserLimits> & { readonly pipelineMax: number },
    private readonly stats: FrontDoorStats,
    private readonly log: Logger,
  ) {
    this.parser = new McParser(limits);
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
    this.door.stats.bytesRead += chunk.length;
    for (const req of this.parser.feed(chunk)) {
      this.run(req);
      if (this.stopped) return;
    }
    this.replies.throttle();
  }

  private run(req: McRequest): void {
    const counts = this.stats.commands[counted(req)];
    counts.calls++;
    if (req.t === 'quit') {
      this.stopped = true;
      this.push(NOTHING, true);
      return;
    }
    if (req.t === 'refused') {
      counts.failed++;
      if (req.close) {
        this.stopped = true;
        this.log.info({ reply: req.reply }, 'memcache door: unreadable request, closing the connection');
      }
      this.push(req.noreply ? NOTHING : Buffer.from(`${req.reply}\r\n`, 'latin1'), req.close);
      return;
    }
    const noreply = 'noreply' in req && req.noreply;
    let reply: Buffer | Promise<Buffer>;
    try {
      reply = req.t === 'stats' && this.inflight.size > 0 ? Promise.allSettled([...this.inflight]).then(() => runMcRequest(req, this.session, this.door)) : runMcRequest(req, this.session, this.door);
    } catch (err) {
      reply = Promise.reject(err);
    }
    if (!(reply instanceof Promise)) {
      this.push(noreply ? NOTHING : reply, false);
      return;
    }
    const fill = this.replies.pending(false);
    const settled = reply.then(
      () => undefined,
      () => undefined,
    );
    this.inflight.add(settled);
    void settled.then(() => this.inflight.delete(settled));
    reply.then(
      (bytes) => fill(noreply ? NOTHING : this.count(bytes)),
      (err: unknown) => {
        counts.failed++;
        this.log.info({ request: req.t, err: err instanceof Error ? err.message : String(err) }, 'memcache door: request failed');
        fill(noreply ? NOTHING : this.count(serverError(err)));
      },
    );
  }

  private count(bytes: Buffer): Buffer {
    this.door.stats.bytesWritten += bytes.length;
    return bytes;
  }

  private push(bytes: Buffer, closeAfter: boolean): void {
    this.replies.push(this.count(bytes), closeAfter);
  }
}
