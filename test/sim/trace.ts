import type { Message } from '../../raft/messages.js';
import { assertNever } from '../../raft/assert.js';

/** Lines a failure report shows: the last steps before the broken check. */
export const TRACE_TAIL_LINES = 60;

/**
 * One traced step. Message events keep a reference to the (immutable) message
 * and are formatted only when someone reads the trace: formatting every
 * delivery of a 1,000-seed run would cost more than running Raft.
 */
interface TraceItem {
  readonly tick: number;
  /** '->' delivered, '-x' dropped (reason in `text`), or undefined for a plain event line. */
  readonly arrow: '->' | '-x' | undefined;
  readonly msg: Message | undefined;
  /** The message's group, or 0 in a single-group run (no prefix). */
  readonly group: number;
  readonly text: string;
}

/**
 * The simulator's flight recorder: a ring buffer of the last `capacityLines`
 * steps, a running digest of EVERY step (two runs of one seed must produce
 * the same digest), and optionally a sink that receives every line as it
 * happens (`--trace`).
 * Invariant: `ring` never holds more than `capacityLines` items.
 */
export class Trace {
  private readonly ring: (TraceItem | undefined)[];
  private next = 0;
  private count = 0;
  /** FNV-1a over every event, 32 bits. */
  private hash = 0x811c9dc5;

  constructor(
    private readonly capacityLines: number = TRACE_TAIL_LINES,
    private readonly sink?: (line: string) => void,
  ) {
    this.ring = new Array<TraceItem | undefined>(capacityLines).fill(undefined);
  }

  /** A free-form event: `t=1234 n2 crash (afterPersist)`. */
  event(tick: number, text: string): void {
    this.mixNumber(tick);
    this.mixString(text);
    this.push({ tick, arrow: undefined, msg: undefined, group: 0, text });
  }

  /** A message handed to its receiver (`group` 0: a single-group run, no prefix). */
  delivered(tick: number, m: Message, group = 0): void {
    this.mixMessage(tick, m, 1);
    if (group !== 0) this.mixNumber(group);
    this.push({ tick, arrow: '->', msg: m, group, text: '' });
  }

  /** A message the network or a dead receiver lost. */
  dropped(tick: number, m: Message, reason: string, group = 0): void {
    this.mixMessage(tick, m, 2);
    if (group !== 0) this.mixNumber(group);
    this.mixString(reason);
    this.push({ tick, arrow: '-x', msg: m, group, text: reason });
  }

  /** Digest of every event so far: equal digests mean identical runs. */
  digest(): string {
    return (this.hash >>> 0).toString(16).padStart(8, '0');
  }

  /** The last `capacityLines` events, oldest first, formatted. */
  tail(): string[] {
    const out: string[] = [];
    const n = Math.min(this.count, this.ring.length);
    for (let k = n; k > 0; k--) {
      const item = this.ring[(this.next - k + this.ring.length) % this.ring.length];
      if (item !== undefined) out.push(formatItem(item));
    }
    return out;
  }

  private push(item: TraceItem): void {
    this.ring[this.next] = item;
    this.next = (this.next + 1) % this.ring.length;
    this.count++;
    if (this.sink !== undefined) this.sink(formatItem(item));
  }

  private mixNumber(x: number): void {
    let h = this.hash;
    // Four bytes of the low 32 bits, then the high bits folded in.
    for (let k = 0; k < 4; k++) {
      h ^= (x >>> (8 * k)) & 0xff;
      h = Math.imul(h, 0x01000193);
    }
    h ^= Math.floor(x / 4294967296) & 0xff;
    this.hash = Math.imul(h, 0x01000193) >>> 0;
  }

  private mixString(s: string): void {
    let h = this.hash;
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    this.hash = h >>> 0;
  }

  private mixMessage(tick: number, m: Message, kind: number): void {
    this.mixNumber(tick * 4 + kind);
    this.mixNumber(m.from * 65536 + m.to);
    this.mixNumber(m.term);
    this.mixString(m.type);
    switch (m.type) {
      case 'app':
        this.mixNumber(m.prevLogIndex);
        this.mixNumber(m.entries.length);
        this.mixNumber(m.commit);
        break;
      case 'appResp':
        this.mixNumber(m.index);
        this.mixNumber(m.reject ? 1 : 0);
        break;
      case 'heartbeat':
        this.mixNumber(m.commit);
        break;
      case 'snap':
        this.mixNumber(m.snapshot.meta.index);
        break;
      case 'voteResp':
      case 'preVoteResp':
        this.mixNumber(m.reject ? 1 : 0);
        break;
      default:
        break;
    }
  }
}

function formatItem(item: TraceItem): string {
  if (item.msg === undefined) return `t=${item.tick} ${item.text}`;
  const m = item.msg;
  const group = item.group === 0 ? '' : `g${item.group} `;
  const line = `t=${item.tick} ${group}n${m.from} ${item.arrow} n${m.to} ${formatMessage(m)}`;
  return item.arrow === '-x' ? `${line} (dropped: ${item.text})` : line;
}

/** `app term=5 prev=(40,5) n=3 commit=41` and friends. */
export function formatMessage(m: Message): string {
  switch (m.type) {
    case 'app': {
      const first = m.entries[0];
      const conf = m.entries.some((e) => e.type === 'conf') ? ' +conf' : '';
      const range = first === undefined ? '' : ` [${first.index}..${first.index + m.entries.length - 1}]`;
      return `app term=${m.term} prev=(${m.prevLogIndex},${m.prevLogTerm}) n=${m.entries.length}${range}${conf} commit=${m.commit}`;
    }
    case 'appResp':
      return m.reject
        ? `appResp term=${m.term} reject index=${m.index} hint=(${m.hintIndex},${m.hintTerm})`
        : `appResp term=${m.term} index=${m.index}`;
    case 'heartbeat':
      return `hb term=${m.term} commit=${m.commit}${m.readRound > 0 ? ` read=${m.readRound}` : ''}`;
    case 'heartbeatResp':
      return `hbResp term=${m.term}${m.readRound > 0 ? ` read=${m.readRound}` : ''}`;
    case 'preVote':
      return `preVote term=${m.term} last=(${m.lastLogIndex},${m.lastLogTerm})`;
    case 'vote':
      return `vote term=${m.term} last=(${m.lastLogIndex},${m.lastLogTerm})${m.transfer ? ' transfer' : ''}`;
    case 'voteResp':
    case 'preVoteResp':
      return `${m.type} term=${m.term} ${m.reject ? 'rejected' : 'granted'}`;
    case 'snap': {
      const meta = m.snapshot.meta;
      return `snap term=${m.term} snap=(${meta.index},${meta.term}) voters=[${meta.conf.voters.join(',')}]`;
    }
    case 'timeoutNow':
      return `timeoutNow term=${m.term}`;
    default:
      return assertNever(m, 'message');
  }
}
