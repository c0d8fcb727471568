/**
 * Bytes -> memcached text requests, fed in any chunking (the same requests
 * whatever the splits). Bounded: a command line may hold `lineBytesMax`
 * bytes (a get/gets/gat/gats line `keysLineBytesMax`, for many keys), a data
 * block `itemBytesMax` + 2; a larger block is answered `SERVER_ERROR object
 * too large for cache` and skipped without being kept, as memcached does.
 * A line longer than its bound cannot be resynchronised: the parser answers
 * `CLIENT_ERROR line too long` and is dead (memcached closes silently).
 *
 * Error lines are memcached 1.6's (proto_text.c / proto_parser.c): a wrong
 * token count or an unknown command is `ERROR`; bad numbers or keys
 * `CLIENT_ERROR bad command line format` (the data block announced by a
 * storage line whose byte count is readable is skipped too); a data block
 * not ending in \r\n `CLIENT_ERROR bad data chunk`.
 * Also the memcached-lite short form `set <key> <bytes>` (flags 0, no expiry).
 */
import { assert } from '../../raft/assert.js';
import { FLAGS_MAX } from '../kv/mc-item.js';
import { parseU64, type McStoreMode } from '../kv/mc-change.js';
import type { McRequest } from './mc-request.js';

export interface McParserLimits {
  /** Largest data block (memcached -I, default 1 MiB). */
  readonly itemBytesMax: number;
  /** Longest command line but a retrieval one, \r\n excluded (memcached: 2048). */
  readonly lineBytesMax: number;
  /** Longest get/gets/gat/gats line. */
  readonly keysLineBytesMax: number;
}

export const DEFAULT_MC_LIMITS: McParserLimits = { itemBytesMax: 1024 * 1024, lineBytesMax: 2048, keysLineBytesMax: 256 * 1024 };

/** memcached KEY_MAX_LENGTH. */
export const KEY_BYTES_MAX = 250;
const INT32_MAX = 2147483647;
const BAD_FORMAT = 'CLIENT_ERROR bad command line format';

const STORE_MODES: ReadonlySet<string> = new Set(['set', 'add', 'replace', 'append', 'prepend', 'cas']);
const RETRIEVAL = /^(get|gets|gat|gats) /;

/** A key memcached accepts: 1..250 bytes, no control characters, no space (DEL and bytes >= 0x80 are allowed). */
export function keyProblem(key: Buffer): boolean {
  if (key.length === 0 || key.length > KEY_BYTES_MAX) return true;
  for (const b of key) if (b <= 0x20 || b === 0x7f) return true;
  return false;
}

function u32(t: string | undefined): number | undefined {
  return t !== undefined && /^[0-9]{1,10}$/.test(t) && Number(t) <= FLAGS_MAX ? Number(t) : undefined;
}

function i32(t: string | undefined): number | undefined {
  return t !== undefined && /^-?[0-9]{1,10}$/.test(t) && Math.abs(Number(t)) <= INT32_MAX ? Number(t) : undefined;
}

type State = { readonly s: 'line' } | { readonly s: 'data'; readonly need: number; readonly head: PendingStore } | { readonly s: 'skip'; need: number; readonly reply: string; readonly noreply: boolean };

/** A storage line waiting for its data block. */
interface PendingStore {
  readonly mode: McStoreMode;
  readonly key: Buffer;
  readonly flags: number;
  readonly exptime: number;
  readonly cas: string;
  readonly noreply: boolean;
}

export class McParser {
  readonly limits: McParserLimits;
  #state: State = { s: 'line' };
  /** The command line read so far (no \n yet), or the data block so far. */
  #parts: Buffer[] = [];
  #partsBytes = 0;
  #dead = false;

  constructor(limits: Partial<McParserLimits> = {}) {
    this.limits = { ...DEFAULT_MC_LIMITS, ...limits };
    assert(this.limits.itemBytesMax >= 1 && this.limits.lineBytesMax >= 64 && this.limits.keysLineBytesMax >= this.limits.lineBytesMax, 'mc parser: limits out of range');
  }

  /** After a `close` refusal: nothing more is read. */
  get dead(): boolean {
    return this.#dead;
  }

  /** Bytes held between feeds. Invariant: <= max(keysLineBytesMax + 1, itemBytesMax + 2). */
  get bufferedBytes(): number {
    return this.#partsBytes;
  }

  feed(chunk: Buffer): McRequest[] {
    const out: McRequest[] = [];
    let pos = 0;
    while (pos < chunk.length && !this.#dead) {
      const st = this.#state;
      if (st.s === 'skip') {
        const take = Math.min(st.need, chunk.length - pos);
        st.need -= take;
        pos += take;
        if (st.need === 0) {
          this.#state = { s: 'line' };
          out.push({ t: 'refused', reply: st.reply, noreply: st.noreply, close: false });
        }
        continue;
      }
      if (st.s === 'data') {
        const take = Math.min(st.need - this.#partsBytes, chunk.length - pos);
        this.#hold(chunk.subarray(pos, pos + take));
        pos += take;
        if (this.#partsBytes === st.need) out.push(this.#finishData(st.head));
        continue;
      }
      const nl = chunk.indexOf(0x0a, pos);
      if (nl < 0) {
        this.#hold(chunk.subarray(pos));
        pos = chunk.length;
        if (this.#partsBytes > this.#lineBound()) out.push(this.#lineTooLong());
        continue;
      }
      this.#hold(chunk.subarray(pos, nl));
      pos = nl + 1;
      let line = this.#take();
      if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
      if (line.length > this.#lineBound(line)) {
        out.push(this.#lineTooLong());
        continue;
      }
      const r = this.#parseLine(line);
      if (r !== undefined) out.push(r);
    }
    return out;
  }

  /** Copies: a held part must not pin the socket's chunk, and the chunk may be a view the caller reuses. */
  #hold(b: Buffer): void {
    if (b.length === 0) return;
    this.#parts.push(Buffer.from(b));
    this.#partsBytes += b.length;
  }

  #take(): Buffer {
    const b = this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts, this.#partsBytes);
    this.#parts = [];
    this.#partsBytes = 0;
    return b;
  }

  /** The bound for a line (a retrieval line may be longer); for the line held so far, one more for a \r before its \n. */
  #lineBound(line?: Buffer): number {
    const head = line ?? Buffer.concat(this.#parts.slice(0, 5)).subarray(0, 5);
    const bound = RETRIEVAL.test(head.subarray(0, 5).toString('latin1')) ? this.limits.keysLineBytesMax : this.limits.lineBytesMax;
    return line === undefined ? bound + 1 : bound;
  }

  #lineTooLong(): McRequest {
    this.#dead = true;
    this.#parts = [];
    this.#partsBytes = 0;
    return { t: 'refused', reply: 'CLIENT_ERROR line too long', noreply: false, close: true };
  }

  #finishData(head: PendingStore): McRequest {
    const block = this.#take();
    this.#state = { s: 'line' };
    const data = block.subarray(0, block.length - 2);
    if (block[block.length - 2] !== 0x0d || block[block.length - 1] !== 0x0a) return { t: 'refused', reply: 'CLIENT_ERROR bad data chunk', noreply: head.noreply, close: false };
    return { t: 'store', ...head, data };
  }

  #parseLine(line: Buffer): McRequest | undefined {
    const words = line.toString('latin1').split(' ').filter((w) => w !== '');
    const [cmd] = words;
    const error: McRequest = { t: 'refused', reply: 'ERROR', noreply: false, close: false };
    if (cmd === undefined) return error;
    const n = words.length;
    const noreplyAt = (i: number): boolean => words[i] === 'noreply';
    const key = (i: number): Buffer => Buffer.from(words[i]!, 'latin1');
    const refuse = (reply: string, noreply: boolean): McRequest => ({ t: 'refused', reply, noreply, close: false });
    if (STORE_MODES.has(cmd)) return this.#storageLine(cmd as McStoreMode, words);
    switch (cmd) {
      case 'get':
      case 'gets': {
        if (n < 2) return error;
        const keys = words.slice(1).map((w) => Buffer.from(w, 'latin1'));
        if (keys.some(keyProblem)) return refuse(BAD_FORMAT, false);
        return { t: 'get', withCas: cmd === 'gets', keys };
      }
      case 'gat':
      case 'gats': {
        if (n < 3) return error;
        const exptime = i32(words[1]);
        if (exptime === undefined) return refuse('CLIENT_ERROR invalid exptime argument', false);
        const keys = words.slice(2).map((w) => Buffer.from(w, 'latin1'));
        if (keys.some(keyProblem)) return refuse(BAD_FORMAT, false);
        return { t: 'gat', withCas: cmd === 'gats', exptime, keys };
      }
      case 'delete': {
        if (n < 2 || n > 3) return error;
        const noreply = noreplyAt(2);
        if (n === 3 && !noreply) return refuse('CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]', false);
        if (keyProblem(key(1))) return refuse(BAD_FORMAT, noreply);
        return { t: 'delete', key: key(1), noreply };
      }
      case 'incr':
      case 'decr': {
        if (n < 3 || n > 4) return error;
        const noreply = noreplyAt(3);
        if (keyProblem(key(1))) return refuse(BAD_FORMAT, noreply);
        if (parseU64(words[2]!) === undefined) return refuse('CLIENT_ERROR invalid numeric delta argument', noreply);
        return { t: 'arith', decr: cmd === 'decr', key: key(1), delta: BigInt(words[2]!).toString(), noreply };
      }
      case 'touch': {
        if (n < 3 || n > 4) return error;
        const noreply = noreplyAt(3);
        if (keyProblem(key(1))) return refuse(BAD_FORMAT, noreply);
        const exptime = i32(words[2]);
        if (exptime === undefined) return refuse('CLIENT_ERROR invalid exptime argument', noreply);
        return { t: 'touch', key: key(1), exptime, noreply };
      }
      case 'flush_all': {
        if (n > 3) return error;
        const noreply = noreplyAt(n - 1) && n > 1;
        const args = n - 1 - (noreply ? 1 : 0);
        if (args === 0) return { t: 'flush_all', delay: 0, noreply };
        const delay = i32(words[1]);
        if (delay === undefined) return refuse('CLIENT_ERROR invalid exptime argument', noreply);
        return { t: 'flush_all', delay, noreply };
      }
      case 'version':
        return n === 1 ? { t: 'version' } : error;
      case 'verbosity': {
        if (n < 2 || n > 3) return error;
        const noreply = noreplyAt(n - 1) && n === 3;
        if (u32(words[1]) === undefined) return refuse(BAD_FORMAT, noreply);
        return { t: 'verbosity', noreply };
      }
      case 'stats':
        return { t: 'stats', args: words.slice(1) };
      case 'quit':
        return n === 1 ? { t: 'quit' } : error;
      default:
        return error;
    }
  }

  /** `<mode> <key> <flags> <exptime> <bytes> [<cas>] [noreply]`, or memcached-lite's `set <key> <bytes>`. */
  #storageLine(mode: McStoreMode, words: readonly string[]): McRequest | undefined {
    const n = words.length;
    const short = mode === 'set' && n === 3;
    const base = mode === 'cas' ? 6 : 5;
    if (!short && n !== base && n !== base + 1) return { t: 'refused', reply: 'ERROR', noreply: false, close: false };
    const noreply = !short && n === base + 1 && words[n - 1] === 'noreply';
    const bytesText = short ? words[2] : words[4];
    const bytes = bytesText !== undefined && /^[0-9]{1,10}$/.test(bytesText) && Number(bytesText) <= INT32_MAX - 2 ? Number(bytesText) : undefined;
    // Without a byte count the data block cannot be found: the data line will be read as a command (as memcached).
    if (bytes === undefined) return { t: 'refused', reply: BAD_FORMAT, noreply, close: false };
    const key = Buffer.from(words[1]!, 'latin1');
    const flags = short ? 0 : u32(words[2]);
    const exptime = short ? 0 : i32(words[3]);
    const cas = mode === 'cas' ? words[5]! : '';
    const extraOk = short || n === base || noreply;
    const bad = keyProblem(key) || flags === undefined || exptime === undefined || (mode === 'cas' && parseU64(cas) === undefined) || !extraOk;
    const skip = (reply: string): undefined => {
      this.#state = { s: 'skip', need: bytes + 2, reply, noreply };
      return undefined;
    };
    if (bad) return skip(BAD_FORMAT);
    if (bytes > this.limits.itemBytesMax) return skip('SERVER_ERROR object too large for cache');
    this.#state = { s: 'data', need: bytes + 2, head: { mode, key, flags: flags!, exptime: exptime!, cas: mode === 'cas' ? BigInt(cas).toString() : '', noreply } };
    return undefined;
  }
}
