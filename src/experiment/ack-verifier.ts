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
  /** Requests that failed or timed out: their outcome is unknown and not checked. */
  readonly indeterminate: number;
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
 */
export async function verifyAcknowledged(records: readonly RequestRecord[], ports: readonly number[], deadlineMs: number, requestTimeoutMs = 2_000): Promise<AckVerification> {
  const started = performance.now();
  const acked = records.filter((r) => r.outcome === 'ok');
  const todo = acked.flatMap((r) => r.keys.map((key) => ({ key, expected: r.value })));
  let readable = 0;
  let unreadable = 0;
  const lost: LostWrite[] = [];
  let lostCount = 0;
  let next = 0;
  const worker = async (w: number): Promise<void> => {
    let portAt = w % ports.length;
    let link: ClientLink | undefined;
    while (next < todo.length) {
      const item = todo[next++]!;
      let got: string | undefined;
      while (got === undefined && performance.now() - started < deadlineMs) {
        if (link === undefined || !link.usable) link = await ClientLink.open(ports[portAt]!, requestTimeoutMs);
        const r = link === undefined ? undefined : await link.call(['GET', item.key], requestTimeoutMs);
        const v = r?.kind === 'reply' ? valueOf(r.reply) : undefined;
        if (v !== undefined) got = v ?? 'nil';
        else {
          portAt = (portAt + 1) % ports.length;
          await new Promise((res) => setTimeout(res, 50));
        }
      }
      if (got === undefined) unreadable++;
      else if (got === item.expected) readable++;
      else {
        lostCount++;
        if (lost.length < lostListedMax) lost.push({ key: item.key, expected: item.expected, got });
      }
    }
    link?.close();
  };
  await Promise.all(Array.from({ length: verifyConnections }, (_, w) => worker(w)));
  return {
    acknowledgedRequests: acked.length,
    keysChecked: todo.length,
    keysReadable: readable,
    lostCount,
    lost,
    unreadable,
    indeterminate: records.length - acked.length,
    durationMs: performance.now() - started,
  };
}
