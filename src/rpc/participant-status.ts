/**
 * The coordinator's heartbeat: one `{t:'status'}` request per participant
 * per period (not one per group), answered with the state of every group
 * replica the participant hosts, and the layout it holds.
 */

/** One group replica, as its host reports it. */
export interface GroupStatus {
  readonly group: number;
  readonly role: string;
  readonly term: number;
  /** 0 when the replica knows no leader. */
  readonly leaderId: number;
  readonly commit: number;
  readonly applied: number;
  /** Open transactions in this replica's applied state: prepared records (each holds locks) and decisions not yet forgotten. Absent from older builds. */
  readonly prepared?: number;
  readonly decisions?: number;
  /** Keys in this replica's applied state (DBSIZE). Absent from older builds. */
  readonly keys?: number;
}

export interface ParticipantStatus {
  readonly id: number;
  /** Sorted by group id. */
  readonly groups: readonly GroupStatus[];
  /** The layout this participant keeps in its data dir (encoded, see src/sharding/layout.ts), if any. */
  readonly layout?: unknown;
}

export const STATUS_REQUEST = { t: 'status' } as const;

/** Groups one status reply may list. */
export const STATUS_GROUPS_MAX = 16_384;

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function parseGroupStatus(v: unknown): GroupStatus | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const { group, role, term, leaderId, commit, applied, prepared, decisions, keys } = o;
  if (!isCount(group) || group < 1 || typeof role !== 'string' || role.length > 32) return undefined;
  if (!isCount(term) || !isCount(leaderId) || !isCount(commit) || !isCount(applied)) return undefined;
  if ((prepared !== undefined && !isCount(prepared)) || (decisions !== undefined && !isCount(decisions)) || (keys !== undefined && !isCount(keys))) return undefined;
  return { group, role, term, leaderId, commit, applied, ...(prepared !== undefined ? { prepared } : {}), ...(decisions !== undefined ? { decisions } : {}), ...(keys !== undefined ? { keys } : {}) };
}

/** The reply, or undefined when a peer answered garbage. */
export function parseParticipantStatus(v: unknown): ParticipantStatus | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (!isCount(o['id']) || o['id'] < 1 || !Array.isArray(o['groups']) || o['groups'].length > STATUS_GROUPS_MAX) return undefined;
  const groups: GroupStatus[] = [];
  for (const g of o['groups'] as unknown[]) {
    const st = parseGroupStatus(g);
    if (st === undefined) return undefined;
    if (groups.length > 0 && groups[groups.length - 1]!.group >= st.group) return undefined;
    groups.push(st);
  }
  return { id: o['id'], groups, ...(o['layout'] !== undefined ? { layout: o['layout'] } : {}) };
}
