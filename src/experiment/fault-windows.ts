import type { ActionEvent } from './samples.js';

/** A fault as the timeline did it: from the action that began it to the one that undid it (or the end of the run). */
export interface FaultWindow {
  readonly kind: 'kill' | 'terminate' | 'pause' | 'partition';
  /** What a person reads: `kill -9 participant2`. */
  readonly label: string;
  readonly victims: readonly string[];
  readonly startMs: number;
  /** When restart / resume / heal was done; undefined: never undone in the run. */
  readonly recoverMs?: number;
  /** restart, resume or heal. */
  readonly recoverAction?: string;
}

const LABEL = { kill: 'kill -9', terminate: 'terminate', pause: 'pause', partition: 'partition' } as const;

/**
 * Pairs every fault action with the action that undid it: kill and
 * terminate with the next restart of that member, pause with its resume,
 * partition with the next heal. Several victims killed in a row and
 * restarted together make one window per victim.
 */
export function faultWindows(events: readonly ActionEvent[]): FaultWindow[] {
  const out: FaultWindow[] = [];
  events.forEach((e, i) => {
    if (e.action !== 'kill' && e.action !== 'terminate' && e.action !== 'pause' && e.action !== 'partition') return;
    const undo = e.action === 'pause' ? 'resume' : e.action === 'partition' ? 'heal' : 'restart';
    const victims = e.action === 'partition' ? [e.targets] : e.targets.map((t) => [t]);
    for (const v of victims) {
      const end = events.slice(i + 1).find((x) => x.action === undo && (undo === 'heal' || x.targets.some((t) => v.includes(t))));
      const label = e.action === 'partition' ? `partition ${v.join(',')} | ${(e.others ?? []).join(',')}` : `${LABEL[e.action]} ${v.join(',')}`;
      out.push({ kind: e.action, label, victims: v, startMs: e.tMs, ...(end !== undefined ? { recoverMs: end.tMs, recoverAction: end.action } : {}) });
    }
  });
  return out;
}
