import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { assertNever } from '../../raft/assert.js';
import { CommandError, toRequest } from '../protocol/commands.js';
import { ProtocolError } from '../protocol/protocol-error.js';
import { encodeBulkArray, encodeBulkString, encodeInteger, LAB_ERROR_REPLY, LAB_NIL_REPLY, OK_REPLY, PONG_REPLY } from '../protocol/resp-encoder.js';
import { RespParser } from '../protocol/resp-parser.js';
import type { Command, RespParserLimits } from '../protocol/resp-parser.js';
import type { ClientPool } from './client-pool.js';
import { ClientAuthGate, type GateResult, type RequirePass } from './client-auth.js';
import { FrontDoorStats } from './front-door-stats.js';
import type { DataCommand, FrontDoorCommand } from './front-door-stats.js';
import type { KvAnswer, KvService, KvSession } from './kv-service.js';
import { orderedSession } from './ordered-session.js';
import { ReplyQueue } from './reply-queue.js';

/**
 * Operator commands outside the lab's set, named `KVSTORE.<WORD>` (e.g. a
 * participant asking the coordinator for its group). Returns the reply bytes,
 * or undefined for an unknown one.
 */
export type AdminCommands = (name: string, args: readonly Buffer[]) => Buffer | undefined;

/** What a front door adds beyond the lab's commands: counting, and INFO. */
export interface FrontDoorHooks {
  /** Shared by every connection of the process. */
  readonly stats?: FrontDoorStats;
  /** INFO's text for the sections asked (none: all); absent, INFO is -ERROR. */
  readonly info?: (sections: readonly string[]) => string;
  /** config requirepass: commands but AUTH, QUIT and PING wait for AUTH (client-auth.ts). Absent: no AUTH, as the lab. */
  readonly requirepass?: RequirePass;
}

export interface ClientConnectionLimits {
  /** Requests of one connection being executed at once; beyond it we stop reading. */
  readonly pipelineMax: number;
  readonly parser: Partial<RespParserLimits>;
  /** The process's clients: builds the reply queue with the output limits (admission is the caller's: ClientPool.admit). */
  readonly pool?: ClientPool;
}

/**
 * Options for every server whose sockets reach a ClientConnection. A client
 * may half-close (shutdown(SHUT_WR): `nc -N`, `printf ... | nc -q 1`) right
 * after its commands; without allowHalfOpen Node would end our side at once
 * and drop every reply still being computed. The connection ends its side
 * itself once the last reply is flushed (see ClientConnection), as Redis does.
 */
export const CLIENT_SERVER_OPTIONS = { allowHalfOpen: true } as const;

export function encodeAnswer(a: KvAnswer): Buffer {
  switch (a.type) {
    case 'ok':
      return OK_REPLY;
    case 'values':
      return a.values === undefined ? LAB_NIL_REPLY : encodeBulkArray(a.values);
    case 'count':
      return encodeInteger(a.n);
    case 'multi':
      // The lab's MGET: one GET reply per key, nested in an array.
      return Buffer.concat([Buffer.from(`*${a.values.length}\r\n`), ...a.values.map((v) => (v === undefined ? LAB_NIL_REPLY : encodeBulkArray(v)))]);
    case 'str':
    case 'exec':
      // Only the Redis door sends str and exec ops; the lab's commands never make one.
      return assertNever(a as never, `a ${a.type} answer at the lab port`);
  }
}

/**
 * One RESP client. Requests may be pipelined; replies go out in request
 * order, everything ready in one turn in one write. A malformed frame gets
 * `-ERROR` and the connection closes; an unknown command or wrong arity gets
 * `-ERROR` and the connection lives on.
 */
export class ClientConnection {
  private readonly parser: RespParser;
  private readonly replies: ReplyQueue;
  private readonly session: KvSession;
  private closing = false;
  /** The parser failed: nothing more is read (the requests before the error still run). */
  private inputDead = false;
  private readonly stats: FrontDoorStats;
  private readonly authGate: ClientAuthGate | undefined;

  constructor(
    private readonly socket: Socket,
    head: Buffer,
    service: KvService,
    private readonly limits: ClientConnectionLimits,
    private readonly log: Logger,
    private readonly admin?: AdminCommands,
    private readonly hooks: FrontDoorHooks = {},
  ) {
    // Without shared stats a connection still counts, into its own (unread) copy: one code path.
    this.stats = hooks.stats ?? new FrontDoorStats();
    this.stats.connectionsReceived++;
    this.stats.connectionsOpen++;
    this.parser = new RespParser(limits.parser);
    this.replies = limits.pool?.replyQueue(socket, limits.pipelineMax) ?? new ReplyQueue(socket, limits.pipelineMax);
    this.authGate = hooks.requirepass !== undefined ? new ClientAuthGate(hooks.requirepass) : undefined;
    // Pipelined commands answer in order and a GET sees the writes sent before it.
    this.session = orderedSession(service.openSession());
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.log.debug({ err: err.message }, 'client socket error'));
    socket.on('end', () => this.replies.inputEnded());
    socket.on('close', () => {
      this.closing = true;
      this.stats.connectionsOpen--;
      this.session.close();
    });
    if (head.length > 0) this.onData(head);
    // The sniffer hands the socket over paused; listeners are attached now.
    if (!this.replies.paused) socket.resume();
  }

  private onData(chunk: Buffer): void {
    if (this.closing || this.inputDead) return;
    this.replies.noteInput();
    try {
      for (const cmd of this.parser.feed(chunk)) {
        // Started in order, when the connection's window allows (ReplyQueue.dispatch).
        this.replies.dispatch(() => this.runOne(cmd));
      }
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.inputDead = true;
      this.log.info({ code: err.code, reason: err.message }, 'malformed request: closing connection');
      this.replies.dispatch(() => {
        this.count('other', true);
        if (this.closing) return;
        this.push({ bytes: LAB_ERROR_REPLY, closeAfter: true });
        this.closing = true;
      });
    }
    this.replies.throttle();
  }

  private runOne(cmd: Command): void {
    if (this.closing) return;
    const gated = this.authGate?.gate(cmd);
    if (gated !== undefined && gated.type === 'answered') {
      this.answerGated(cmd.name, gated);
      return;
    }
    if (this.admin !== undefined && cmd.name.startsWith('KVSTORE.')) {
      this.push({ bytes: this.admin(cmd.name, cmd.args) ?? LAB_ERROR_REPLY, closeAfter: false });
      return;
    }
    this.handle(cmd.name, () => toRequest(cmd));
  }

  private handle(name: string, parse: () => ReturnType<typeof toRequest>): void {
    let req;
    try {
      req = parse();
    } catch (err) {
      if (!(err instanceof CommandError)) throw err;
      this.count(countedName(name), true);
      this.log.info({ command: name, code: err.code, reason: err.reason }, 'bad command');
      this.push({ bytes: LAB_ERROR_REPLY, closeAfter: false });
      return;
    }
    switch (req.type) {
      case 'ping':
        this.count('ping', false);
        this.push({ bytes: PONG_REPLY, closeAfter: false });
        return;
      case 'quit':
        this.count('quit', false);
        this.push({ bytes: OK_REPLY, closeAfter: true });
        this.closing = true;
        return;
      case 'info': {
        const info = this.hooks.info;
        this.count('info', info === undefined);
        this.push({ bytes: info === undefined ? LAB_ERROR_REPLY : encodeBulkString(info(req.sections)), closeAfter: false });
        return;
      }
      case 'set':
      case 'get':
      case 'del':
      case 'mset':
      case 'mget': {
        const command: DataCommand = req.type;
        const counts = this.stats.commands[command];
        counts.calls++;
        const latency = this.stats.latency;
        const startedMs = latency !== undefined ? performance.now() : 0;
        const reply = this.replies.pending();
        this.session.execute(req).then(
          (answer) => {
            latency?.(command, (performance.now() - startedMs) / 1000);
            reply(() => encodeAnswer(answer));
          },
          (err: unknown) => {
            counts.failed++;
            latency?.(command, (performance.now() - startedMs) / 1000);
            this.log.info({ command: req.type, err: describe(err) }, 'request failed');
            reply(LAB_ERROR_REPLY);
          },
        );
        return;
      }
      default:
        return assertNever(req, 'request');
    }
  }

  private answerGated(name: string, g: Extract<GateResult, { type: 'answered' }>): void {
    this.count(countedName(name), !g.ok);
    if (g.wrongPassword) this.log.warn({ remote: `${this.socket.remoteAddress ?? '?'}:${this.socket.remotePort ?? '?'}` }, 'AUTH with a wrong password');
    else if (!g.ok) this.log.debug({ command: name }, 'refused before AUTH');
    this.push({ bytes: g.reply, closeAfter: false });
  }

  private count(command: FrontDoorCommand, failed: boolean): void {
    const c = this.stats.commands[command];
    c.calls++;
    if (failed) c.failed++;
  }

  private push(slot: { bytes: Buffer; closeAfter: boolean }): void {
    this.replies.push(slot.bytes, slot.closeAfter);
  }

}

/** A refused command's name as counted: one of ours, or `other` (never an unbounded label). */
function countedName(name: string): FrontDoorCommand {
  switch (name) {
    case 'SET':
      return 'set';
    case 'GET':
      return 'get';
    case 'DEL':
    case 'DELETE':
      return 'del';
    case 'MSET':
      return 'mset';
    case 'MGET':
      return 'mget';
    case 'PING':
      return 'ping';
    case 'QUIT':
      return 'quit';
    case 'INFO':
      return 'info';
    default:
      return 'other';
  }
}

export function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
