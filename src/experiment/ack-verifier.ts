import type { Reply } from '../protocol/resp-reply-parser.js';
import { ClientLink } from './client-link.js';
import type { RequestRecord } from './samples.js';

/** Connections the check reads over. */
const verifyConnections = 4;
/** Losses listed by name in the report (the count is always exact). */
export const lostListedMax = 50;

export interface LostWrite {
  readonly key: string;
  readonly expected: string;
  /** What GET answered: the words, `nil`, or why nothing could be read. */
  readonly got: string;
}

export interface AckVerification {
  /** Acknowledged requests and the keys they wrote. */
  readonly acknowledgedRequests: number;
  readonly keysChecked: number;
  readonly keysReadable: number;
  /** Keys whose GET answered another value or nil: acknowledged writes lost. */
  readonly lostCount: number;
  readonly lost: readonly LostWrite[];
  /** Keys no GET could be answered for before the deadline (not counted as lost, but the verdict fails). */
  readonly unreadable: number;
  /** Requests that failed or timed out: their outcome is unknown (an MSET among them is still checked for atomicity). */
  readonly indeterminate: number;
  /**
   * Unacknowledged MSETs over several groups, read back: each must be
   * applied whole (every key holds its value) or not at all (none does).
   * `partial` is a transaction seen half applied: atomicity broken.
   */
  readonly unackedMsets: { readonly checked: number; readonly whole: number; readonly none: number; readonly partial: number; readonly unreadable: number };
  /** Up to lostListedMax partial MSETs: the keys that held the value and those that did not. */
  readonly partialMsets: ReadonlyArray<{ readonly value: string; readonly applied: readonly string[]; readonly missing: readonly string[] }>;
  readonly durationMs: number;
}

/** The words of a GET reply joined by one space, null for the lab's nil; undefined when the reply is not a value. */
function valueOf(reply: Reply): string | null | undefined {
  if (reply.type === 'bulk') return reply.value === null ? null : reply.value.toString('utf8');
  if (reply.type !== 'array') return undefined;
  if (reply.items === null) return null;
  const words = reply.items.map((it) => (it.type === 'bulk' && it.value !== null ? it.value.toString('utf8') : undefined));
  if (words.some((w) => w === undefined)) return undefined;
  // Load values are never "nil", so this is the lab's missing-key reply.
  if (words.length === 1 && words[0] === 'nil') return null;
  return words.join(' ');
}

/**
 * Reads back every key an acknowledged write wrote, after the cluster is
 * whole again: each must hold the value written (every key is written once,
 * so there is exactly one right answer). Error replies and timeouts are
 * retried until the deadline; a wrong value or nil is a lost write at once.
 * The keys of every unacknowledged cross-group MSET are read too: all or
 * none of them may hold its value, never some.
 */
export async function verifyAcknowledged(records: readonly RequestRecord[], ports: readonly number[], deadlineMs: number, requestTimeoutMs = 2_000): Promise<AckVerification> {
  const started = performance.now();
  const acked = records.filter((r) => r.outcome === 'ok');
  const unackedMsets = records.filter((r) => r.outcome !== 'ok' && r.op === 'mset' && r.keys.length > 1);
  const todo = [...acked, ...unackedMsets].flatMap((r) => r.keys.map((key) => ({ key, expected: r.value })));
  // Every key is written once, so a key maps to one read.
  const got = new Map<string, string | undefined>();
  let next = 0;
  const worker = async (w: number): Promise<void> => {
    let portAt = w % ports.length;
    let link: ClientLink | undefined;
    while (next < todo.length) {
      const item = todo[next++]!;
      let value: string | undefined;
      while (value === undefined && performance.now() - started < deadlineMs) {
        if (link === undefined || !link.usable) link = await ClientLink.open(ports[portAt]!, requestTimeoutMs);
        const r = link === undefined ? undefined : await link.call(['GET', item.key], requestTimeoutMs);
        const v = r?.kind === 'reply' ? valueOf(r.reply) : undefined;
        if (v !== undefined) value = v ?? 'nil';
        else {
          // An error reply (no leader yet, a lock being resolved) or no answer: try again, maybe elsewhere.
          portAt = (portAt + 1) % ports.length;
          await new Promise((res) => setTimeout(res, 50));
        }
      }
      got.set(item.key, value);
    }
    link?.close();
  };
  await Promise.all(Array.from({ length: verifyConnections }, (_, w) => worker(w)));

  let readable = 0;
  let unreadable = 0;
  let lostCount = 0;
  const lost: LostWrite[] = [];
  for (const r of acked) {
    for (const key of r.keys) {
      const v = got.get(key);
      if (v === undefined) unreadable++;
      else if (v === r.value) readable++;
      else {
        lostCount++;
        if (lost.length < lostListedMax) lost.push({ key, expected: r.value, got: v });
      }
    }
  }
  const m = { checked: unackedMsets.length, whole: 0, none: 0, partial: 0, unreadable: 0 };
  const partialMsets: Array<{ value: string; applied: string[]; missing: string[] }> = [];
  for (const r of unackedMsets) {
    const values = r.keys.map((k) => got.get(k));
    if (values.some((v) => v === undefined)) {
      m.unreadable++;
      continue;
    }
    const applied = r.keys.filter((k) => got.get(k) === r.value);
    if (applied.length === r.keys.length) m.whole++;
    else if (applied.length === 0) m.none++;
    else {
      m.partial++;
      if (partialMsets.length < lostListedMax) partialMsets.push({ value: r.value, applied, missing: r.keys.filter((k) => !applied.includes(k)) });
    }
  }
  return {
    acknowledgedRequests: acked.length,
    keysChecked: acked.reduce((n, r) => n + r.keys.length, 0),
    keysReadable: readable,
    lostCount,
    lost,
    unreadable,
    indeterminate: records.length - acked.length,
    unackedMsets: m,
    partialMsets,
    durationMs: performance.now() - started,
  };
}
