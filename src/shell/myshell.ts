import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { assertNever } from '../../raft/assert.js';
import type { Endpoint } from '../config/address.js';
import { ShellLineError, shellLineToRequest } from './line-tokenizer.js';
import { replyLines } from './reply-lines.js';
import { RespConnection, type RespConnectionLimits } from './resp-connection.js';
import { ShellConnectionError } from './shell-connection-error.js';

/**
 * myshell's exit statuses. A `-ERROR` reply is an answer: status 0.
 *
 * - 0: every line that was sent got its reply (whatever the reply said).
 * - 1: (pipe / -c only) a line was not sent because it was malformed.
 * - 2: the server could not be reached, or a command got no reply
 *      (timeout, connection lost, bad reply). Also: bad config or options.
 *
 * At a terminal the session always ends with 0: the person saw every error.
 */
export const MYSHELL_EXIT = { ok: 0, lineNotSent: 1, noReply: 2 } as const;
export type MyshellExit = (typeof MYSHELL_EXIT)[keyof typeof MYSHELL_EXIT];

/** The longest line myshell sends; a longer one is refused (nothing sent). */
export const shellLineCharsMax = 8 * 1024 * 1024;
/** Lines of history kept by readline in an interactive session. */
export const historyLinesMax = 1000;

export interface MyshellOptions {
  readonly endpoint: Endpoint;
  readonly input: Readable;
  /** Replies (and, at a terminal, the prompt and banner). */
  readonly output: Writable;
  /** One line per problem: `myshell: cannot reach 127.0.0.1:8001 (ECONNREFUSED)`. */
  readonly errors: Writable;
  /** A person at a terminal: prompt, banner, line editing and history. */
  readonly interactive: boolean;
  /** `-c LINE`: send this one line, print its reply, and return. */
  readonly command?: string;
  readonly limits?: Partial<RespConnectionLimits>;
  /** Ends the session from outside (the cluster launcher on SIGTERM), like Ctrl-D. */
  readonly signal?: AbortSignal;
}

type LineOutcome = 'replied' | 'blank' | 'not-sent' | 'no-reply' | 'quit';

/**
 * The lab's client shell: reads lines like `SET CS06142 "Cloud Computing"`,
 * sends each as a RESP array of the line's words (quotes removed, see
 * line-tokenizer.ts), prints the raw reply one RESP line per line, and
 * returns the exit status. One connection for the whole session; if it
 * drops, the next command reconnects.
 */
export async function runMyshell(o: MyshellOptions): Promise<MyshellExit> {
  if (o.signal?.aborted === true) return MYSHELL_EXIT.ok;
  const conn = new RespConnection(o.endpoint, o.limits);
  const complain = (text: string): void => {
    o.errors.write(`myshell: ${text}\n`);
  };
  try {
    await conn.connect();
  } catch (err) {
    if (!(err instanceof ShellConnectionError)) throw err;
    complain(err.message);
    return MYSHELL_EXIT.noReply;
  }
  let quitting = false;
  const runLine = async (line: string): Promise<LineOutcome> => {
    if (line.length > shellLineCharsMax) {
      complain(`line of ${line.length} characters is longer than ${shellLineCharsMax}; nothing sent`);
      return 'not-sent';
    }
    let request: Buffer | null;
    try {
      if (/^\s*(quit|exit)\s*$/i.test(line)) return 'quit';
      request = shellLineToRequest(line);
    } catch (err) {
      if (!(err instanceof ShellLineError)) throw err;
      complain(`${err.reason}; nothing sent`);
      return 'not-sent';
    }
    if (request === null) return 'blank';
    try {
      const reply = await conn.request(request);
      o.output.write(`${replyLines(reply).join('\n')}\n`);
      return 'replied';
    } catch (err) {
      if (!(err instanceof ShellConnectionError)) throw err;
      if (!quitting) complain(err.message);
      return 'no-reply';
    }
  };

  try {
    if (o.command !== undefined) return statusOf(await runLine(o.command));
    const rl = o.interactive
      ? createInterface({
          input: o.input,
          output: o.output,
          terminal: true,
          prompt: `${conn.address}> `,
          historySize: historyLinesMax,
          removeHistoryDuplicates: true,
        })
      : createInterface({ input: o.input, terminal: false, crlfDelay: Infinity });
    return await session(rl, o, conn, runLine, () => {
      quitting = true;
    });
  } finally {
    conn.close();
  }
}

async function session(
  rl: Interface,
  o: MyshellOptions,
  conn: RespConnection,
  runLine: (line: string) => Promise<LineOutcome>,
  onQuit: () => void,
): Promise<MyshellExit> {
  let status: MyshellExit = MYSHELL_EXIT.ok;
  /** Leaves at once, also mid-command: the reply is not awaited. */
  const quit = (): void => {
    onQuit();
    rl.close();
    conn.close();
  };
  if (o.signal?.aborted === true) {
    // Aborted while connecting: no session to run.
    rl.close();
    return MYSHELL_EXIT.ok;
  }
  o.signal?.addEventListener('abort', quit, { once: true });
  if (o.interactive) {
    // Ctrl-C leaves the shell.
    rl.on('SIGINT', () => {
      o.output.write('\n');
      quit();
    });
    o.output.write(`myshell: connected to ${conn.address}. Commands like SET k "v", GET k, DEL k, MSET k1 v1 k2 v2, MGET k1 k2; quit or Ctrl-D to leave.\n`);
    rl.prompt();
  }
  try {
    for await (const line of rl) {
      const outcome = await runLine(line);
      if (outcome === 'quit') break;
      const s = statusOf(outcome);
      if (s > status) status = s;
      if (o.interactive) rl.prompt();
    }
  } finally {
    o.signal?.removeEventListener('abort', quit);
    rl.close();
  }
  return o.interactive ? MYSHELL_EXIT.ok : status;
}

function statusOf(outcome: LineOutcome): MyshellExit {
  switch (outcome) {
    case 'replied':
    case 'blank':
    case 'quit':
      return MYSHELL_EXIT.ok;
    case 'not-sent':
      return MYSHELL_EXIT.lineNotSent;
    case 'no-reply':
      return MYSHELL_EXIT.noReply;
    default:
      return assertNever(outcome, 'line outcome');
  }
}
