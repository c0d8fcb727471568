import { assertNever } from '../../raft/assert.js';

/**
 * One action of an experiment's timeline, and the one-line text form users
 * write in a scenario file and the built-in scenarios are written in:
 *
 *   start load | stop load | stop        the experiment's own client load on / off (`stop` also ends the timeline)
 *   wait 2s | wait 500ms                 let time pass
 *   wait caught-up TARGET [20s]          until TARGET's applied index reaches what the others had committed (from the samples)
 *   wait leaders [20s]                   until every group has a leader among the running members (from the samples)
 *   wait compacted TARGET [30s]          until every other replica snapshotted 2 x snapshot_entries past TARGET's last index
 *                                        when it was hit: the entries it lacks are compacted away, it needs InstallSnapshot
 *   kill -9 TARGET | kill TARGET         SIGKILL
 *   terminate TARGET                     SIGTERM (a graceful stop)
 *   restart TARGET                       start it again on its data folder
 *   pause TARGET | resume TARGET         SIGSTOP / SIGCONT
 *   partition A[,B] | C[,D]|rest         cut every peer link between the two sides
 *   heal                                 every link passes again
 *
 * TARGET: a member name (coordinator, participant2, raft1), `leader` or
 * `leader:G` (who leads group G, default 1, when the step runs), `follower`
 * or `follower:G`, `victim` (the members the last kill/terminate/pause/
 * partition hit), `down` (every member not running now), `rest` (in a
 * partition: everyone not on the other side).
 */
export type Step =
  | { readonly do: 'load'; readonly on: boolean }
  | { readonly do: 'end' }
  | { readonly do: 'wait'; readonly ms: number }
  | { readonly do: 'caught-up'; readonly target: string; readonly timeoutMs: number }
  | { readonly do: 'compacted'; readonly target: string; readonly timeoutMs: number }
  | { readonly do: 'leaders'; readonly timeoutMs: number }
  | { readonly do: 'kill'; readonly target: string }
  | { readonly do: 'terminate'; readonly target: string }
  | { readonly do: 'restart'; readonly target: string }
  | { readonly do: 'pause'; readonly target: string }
  | { readonly do: 'resume'; readonly target: string }
  | { readonly do: 'partition'; readonly side: readonly string[]; readonly other: readonly string[] }
  | { readonly do: 'heal' };

/** A wait longer than this is surely a typo (an hour). */
export const waitMsMax = 3_600_000;
/** How long `wait caught-up` waits when the line names no bound. */
export const caughtUpWaitMsDefault = 20_000;
/** How long `wait compacted` waits when the line names no bound. */
export const compactedWaitMsDefault = 30_000;

export class StepError extends Error {
  readonly code = 'BAD_STEP';
}

/** `2s`, `1.5s`, `300ms`, `300` (ms). */
export function parseDurationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (m === null) throw new StepError(`not a duration: ${JSON.stringify(text)} (write 2s, 500ms, 1m)`);
  const n = Number(m[1]);
  const ms = m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n;
  if (ms > waitMsMax) throw new StepError(`duration ${text} is over an hour`);
  return Math.round(ms);
}

const TARGET = /^(leader(:\d+)?|follower(:\d+)?|victim|down|rest|[a-z][a-z0-9-]*)$/;

function target(text: string | undefined, line: string): string {
  if (text === undefined || !TARGET.test(text)) throw new StepError(`${JSON.stringify(line)}: needs a target (a member name, leader, leader:G, follower, victim, down)`);
  if (text === 'rest') throw new StepError(`${JSON.stringify(line)}: rest only names a side of a partition`);
  return text;
}

function side(text: string, line: string): string[] {
  const names = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0) throw new StepError(`${JSON.stringify(line)}: an empty side`);
  for (const n of names) if (!TARGET.test(n)) throw new StepError(`${JSON.stringify(line)}: ${JSON.stringify(n)} is not a target`);
  return names;
}

/** One line of a timeline, or a StepError that quotes it. */
export function parseStep(line: string): Step {
  const words = line.trim().split(/\s+/);
  const [verb, a, b, c] = words;
  switch (verb) {
    case 'start':
      if (a === 'load' && words.length === 2) return { do: 'load', on: true };
      break;
    case 'stop':
      if (words.length === 1) return { do: 'end' };
      if (a === 'load' && words.length === 2) return { do: 'load', on: false };
      break;
    case 'wait':
      if (a === 'caught-up' && words.length <= 4) return { do: 'caught-up', target: target(b, line), timeoutMs: c === undefined ? caughtUpWaitMsDefault : parseDurationMs(c) };
      if (a === 'leaders' && words.length <= 3) return { do: 'leaders', timeoutMs: b === undefined ? caughtUpWaitMsDefault : parseDurationMs(b) };
      if (a === 'compacted' && words.length <= 4) return { do: 'compacted', target: target(b, line), timeoutMs: c === undefined ? compactedWaitMsDefault : parseDurationMs(c) };
      if (a !== undefined && words.length === 2) return { do: 'wait', ms: parseDurationMs(a) };
      break;
    case 'kill':
      if (a === '-9' && words.length === 3) return { do: 'kill', target: target(b, line) };
      if (words.length === 2) return { do: 'kill', target: target(a, line) };
      break;
    case 'terminate':
    case 'restart':
    case 'pause':
    case 'resume':
      if (words.length === 2) return { do: verb, target: target(a, line) };
      break;
    case 'partition': {
      const rest = line.trim().slice('partition'.length);
      const parts = rest.split('|');
      if (parts.length === 2) return { do: 'partition', side: side(parts[0]!, line), other: side(parts[1]!, line) };
      throw new StepError(`${JSON.stringify(line)}: write partition A | B (names or leader, follower; rest: all others)`);
    }
    case 'heal':
      if (words.length === 1) return { do: 'heal' };
      break;
    default:
      break;
  }
  throw new StepError(`${JSON.stringify(line)}: not a step (start load, wait 2s, wait caught-up X, wait leaders, wait compacted X, kill -9 X, terminate X, restart X, pause X, resume X, partition A | B, heal, stop load, stop)`);
}

/** The text form of a step (the report lists the timeline as it was run). */
export function formatStep(s: Step): string {
  switch (s.do) {
    case 'load':
      return s.on ? 'start load' : 'stop load';
    case 'end':
      return 'stop';
    case 'wait':
      return `wait ${s.ms}ms`;
    case 'caught-up':
      return `wait caught-up ${s.target} ${s.timeoutMs}ms`;
    case 'compacted':
      return `wait compacted ${s.target} ${s.timeoutMs}ms`;
    case 'leaders':
      return `wait leaders ${s.timeoutMs}ms`;
    case 'kill':
      return `kill -9 ${s.target}`;
    case 'terminate':
    case 'restart':
    case 'pause':
    case 'resume':
      return `${s.do} ${s.target}`;
    case 'partition':
      return `partition ${s.side.join(',')} | ${s.other.join(',')}`;
    case 'heal':
      return 'heal';
    default:
      return assertNever(s, 'timeline step');
  }
}
