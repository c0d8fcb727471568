import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { encodeAnswer } from '../server/client-connection.js';
import type { KvOp, KvSession } from '../server/kv-service.js';
import { ShellLineError, tokenizeShellLine } from './line-tokenizer.js';

const HELP = `Usage:
@ set value: SET key value...
	e.g. SET CS06142 "Cloud Computing"
@ get value: GET key
	e.g. GET CS06142
@ delete values: DEL key1 key2 ... (or DELETE)
@ add server: add <server id> <address>:<port>
	e.g. add 2 127.0.0.1:8002
@ remove server: remove <server id>
@ current server status: st (or stat)
@ list members: ls (or list)
@ quit: q (or exit, quit)
`;

/** Prints a RESP reply one line per line, as myshell does (`*1`, `$5`, `Hello`). */
export function respLines(bytes: Buffer): string {
  const text = bytes.toString('latin1');
  return text.endsWith('\r\n') ? text.slice(0, -2).split('\r\n').join('\n') : text;
}

/** What a prompt operates: a Raft member, or the coordinator (no membership changes). */
export interface PromptTarget {
  readonly prompt: string;
  kvSession(): KvSession;
  statusText(): string;
  membersText(): string;
  addMember?(id: number, address: string): Promise<void>;
  removeMember?(id: number): Promise<void>;
}

/**
 * The per-node prompt (`kvstore_server <id>> `), shown only on a TTY: the
 * NuRaft-style operator console of a running member or coordinator.
 */
export function runNodePrompt(member: PromptTarget, input: Readable, output: Writable, onQuit: () => void): void {
  const rl = createInterface({ input, output, prompt: member.prompt, historySize: 1000 });
  const session = member.kvSession();
  const say = (s: string): void => {
    output.write(s.endsWith('\n') ? s : `${s}\n`);
  };

  const kv = async (op: KvOp): Promise<void> => {
    try {
      say(respLines(encodeAnswer(await session.execute(op))));
    } catch (err) {
      say(`-ERROR (${err instanceof Error ? err.message : String(err)})`);
    }
  };

  const handle = async (line: string): Promise<boolean> => {
    let words: string[];
    try {
      words = tokenizeShellLine(line);
    } catch (err) {
      if (!(err instanceof ShellLineError)) throw err;
      say(`error: ${err.message}`);
      return true;
    }
    const [cmd, ...args] = words;
    if (cmd === undefined) return true;
    const bufs = args.map((a) => Buffer.from(a, 'utf8'));
    switch (cmd.toLowerCase()) {
      case 'q':
      case 'quit':
      case 'exit':
        return false;
      case 'help':
      case '?':
        say(HELP);
        return true;
      case 'st':
      case 'stat':
        say(member.statusText());
        return true;
      case 'ls':
      case 'list':
        say(member.membersText());
        return true;
      case 'add': {
        const add = member.addMember?.bind(member);
        if (add === undefined) {
          say('membership changes are made on a participant\'s prompt');
          return true;
        }
        const id = Number(args[0]);
        if (args.length !== 2 || !Number.isInteger(id) || id <= 0 || !/^[^:\s]+:\d+$/.test(args[1]!)) {
          say('usage: add <server id> <address>:<port>');
          return true;
        }
        say('async request is in progress (check with `list` command)');
        add(id, args[1]!).then(
          () => say(`\nserver ${id} added`),
          (err: unknown) => say(`\nadd ${id} failed: ${err instanceof Error ? err.message : String(err)}`),
        );
        return true;
      }
      case 'remove': {
        const remove = member.removeMember?.bind(member);
        if (remove === undefined) {
          say('membership changes are made on a participant\'s prompt');
          return true;
        }
        const id = Number(args[0]);
        if (args.length !== 1 || !Number.isInteger(id) || id <= 0) {
          say('usage: remove <server id>');
          return true;
        }
        try {
          await remove(id);
          say(`server ${id} removed`);
        } catch (err) {
          say(`remove ${id} failed: ${err instanceof Error ? err.message : String(err)}`);
        }
        return true;
      }
      case 'set':
        if (bufs.length < 2) say('usage: SET key value...');
        else await kv({ type: 'set', key: bufs[0]!, values: bufs.slice(1) });
        return true;
      case 'get':
        if (bufs.length !== 1) say('usage: GET key');
        else await kv({ type: 'get', key: bufs[0]! });
        return true;
      case 'del':
      case 'delete':
        if (bufs.length < 1) say('usage: DEL key...');
        else await kv({ type: 'del', keys: bufs });
        return true;
      default:
        say(`unknown command "${cmd}" (try help)`);
        return true;
    }
  };

  let chain = Promise.resolve(true);
  rl.on('line', (line) => {
    chain = chain.then(async (go) => {
      if (!go) return false;
      const more = await handle(line);
      if (more) rl.prompt();
      else rl.close();
      return more;
    });
  });
  rl.on('close', () => {
    session.close();
    onQuit();
  });
  rl.prompt();
}
