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
@ set several: MSET key1 value1 key2 value2 ...   (all or none, over any groups)
@ get several: MGET key1 key2 ...   (all as of one instant)
@ add server: add <server id> <address>:<port>
	e.g. add 2 127.0.0.1:8002
@ remove server: remove <server id>
@ current server status: st (or stat) [group <g>]
@ list members: ls (or list) [group <g>]
@ leadership transfer: transfer <server id> [group <g>]   (on the leader; answers once <server id> leads)
	e.g. transfer 3 group 2
@ take a snapshot now: snapshot [group <g>]   (prints the index it covers)
@ quit: q (or exit, quit)
With several groups, \`group <g>\` picks one; stat, list and snapshot without it cover every group.
`;

/** Prints a RESP reply one line per line, as myshell does (`*1`, `$5`, `Hello`). */
export function respLines(bytes: Buffer): string {
  const text = bytes.toString('latin1');
  return text.endsWith('\r\n') ? text.slice(0, -2).split('\r\n').join('\n') : text;
}

/** What a prompt operates: a Raft member, or the coordinator (no membership changes, transfers or snapshots). */
export interface PromptTarget {
  readonly prompt: string;
  kvSession(): KvSession;
  statusText(group?: number): string;
  membersText(group?: number): string;
  addMember?(id: number, address: string): Promise<void>;
  removeMember?(id: number): Promise<void>;
  transfer?(to: number, group?: number): Promise<{ readonly group: number; readonly term: number }>;
  snapshot?(group?: number): Promise<ReadonlyArray<{ readonly group: number; readonly index: number }>>;
}

/**
 * Splits a trailing `group <g>` qualifier off a command's words. `group`
 * undefined: none given; a string: what was wrong with it.
 */
export function splitGroupQualifier(args: readonly string[]): { readonly rest: readonly string[]; readonly group?: number } | string {
  const at = args.findIndex((a) => a.toLowerCase() === 'group');
  if (at < 0) return { rest: args };
  if (at !== args.length - 2) return 'the group qualifier goes last: ... group <g>';
  const g = Number(args[at + 1]);
  if (!/^[1-9][0-9]*$/.test(args[at + 1]!) || !Number.isSafeInteger(g)) return `group must be a positive integer, got "${args[at + 1]}"`;
  return { rest: args.slice(0, at), group: g };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
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
      case 'ls':
      case 'list': {
        const q = splitGroupQualifier(args);
        const isStat = cmd.toLowerCase().startsWith('s');
        if (typeof q === 'string' || q.rest.length > 0) {
          say(`usage: ${isStat ? 'stat' : 'list'} [group <g>]${typeof q === 'string' ? ` (${q})` : ''}`);
          return true;
        }
        try {
          say(isStat ? member.statusText(q.group) : member.membersText(q.group));
        } catch (err) {
          say(`error: ${message(err)}`);
        }
        return true;
      }
      case 'transfer': {
        const transfer = member.transfer?.bind(member);
        if (transfer === undefined) {
          say('leadership transfers are made on a participant\'s prompt');
          return true;
        }
        const q = splitGroupQualifier(args);
        const id = typeof q === 'string' ? NaN : Number(q.rest[0]);
        if (typeof q === 'string' || q.rest.length !== 1 || !Number.isSafeInteger(id) || id <= 0) {
          say(`usage: transfer <server id> [group <g>]${typeof q === 'string' ? ` (${q})` : ''}`);
          return true;
        }
        try {
          const done = await transfer(id, q.group);
          say(`leadership of group ${done.group} transferred to ${id} (term ${done.term})`);
        } catch (err) {
          say(`transfer to ${id} failed: ${message(err)}`);
        }
        return true;
      }
      case 'snapshot': {
        const snapshot = member.snapshot?.bind(member);
        if (snapshot === undefined) {
          say('snapshots are taken on a participant\'s prompt');
          return true;
        }
        const q = splitGroupQualifier(args);
        if (typeof q === 'string' || q.rest.length > 0) {
          say(`usage: snapshot [group <g>]${typeof q === 'string' ? ` (${q})` : ''}`);
          return true;
        }
        try {
          for (const s of await snapshot(q.group)) say(`snapshot of group ${s.group} at index ${s.index}`);
        } catch (err) {
          say(`snapshot failed: ${message(err)}`);
        }
        return true;
      }
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
      case 'mset':
        if (bufs.length < 2 || bufs.length % 2 !== 0) say('usage: MSET key value [key value ...]');
        else await kv({ type: 'mset', pairs: Array.from({ length: bufs.length / 2 }, (_, i) => [bufs[2 * i]!, bufs[2 * i + 1]!] as const) });
        return true;
      case 'mget':
        if (bufs.length < 1) say('usage: MGET key...');
        else await kv({ type: 'mget', keys: bufs });
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
