import type { MemoryStorage } from '../../raft/memory-storage.js';
import type { Entry, HardState, NodeId } from '../../raft/types.js';
import { NONE } from '../../raft/types.js';
import { entryDigest } from './sim-state-machine.js';

/** Every property the simulator checks; a failure names one of these. */
export const CHECKS = [
  'electionSafety',
  'logMatching',
  'leaderCompleteness',
  'stateMachineSafety',
  'committedDurability',
  'readLinearizability',
  'liveness',
  'raftInvariant',
  'hostContract',
] as const;
export type CheckName = (typeof CHECKS)[number];

/** A broken property. Operating error of the system under test, with a stable code. */
export class CheckFailure extends Error {
  override readonly name = 'CheckFailure';
  readonly code = 'SIM_CHECK_FAILED';
  constructor(
    readonly check: CheckName,
    message: string,
  ) {
    super(`${check}: ${message}`);
  }
}

/** Entries a log-matching pass compares per pair of nodes (the newest ones). */
export const LOG_MATCH_WINDOW_ENTRIES = 512;

/** What some node applied at one index: the first applier is the reference for all others. */
export interface AppliedRecord {
  readonly term: number;
  readonly digest: number;
  /** The state machine's hash chain right after applying this index. */
  readonly chain: number;
  readonly node: NodeId;
  readonly tick: number;
  /**
   * The lowest term any applier was in when it applied this index. The
   * leader that committed it had a term <= this, so every leader of a
   * HIGHER term must hold the entry (leader completeness, Raft §5.4).
   */
  minTermAtApply: number;
}

/**
 * Cluster-wide history the checks compare against. It survives crashes:
 * it is what the outside world saw.
 */
export class SafetyState {
  /** Every leader ever seen, per term. Invariant: one per term (Raft §5.2). */
  readonly leaderByTerm = new Map<number, NodeId>();
  /** Index -> what was applied there (by anyone, ever). */
  readonly applied: (AppliedRecord | undefined)[] = [];
  /** Highest index anyone has applied. */
  appliedMax = 0;
  /** Highest log index of a client write acknowledged so far. */
  ackedMaxIndex = 0;
}

/** Election safety: at most one leader per term (Raft §5.2). */
export function checkElectionSafety(s: SafetyState, node: NodeId, term: number): void {
  const prior = s.leaderByTerm.get(term);
  if (prior !== undefined && prior !== node) {
    throw new CheckFailure('electionSafety', `n${node} became leader of term ${term}, already led by n${prior}`);
  }
  s.leaderByTerm.set(term, node);
}

/**
 * State machine safety (Raft §5.4.3): no two replicas apply different
 * entries at one index; and the chain proves each applied the same history
 * before it (including what it got from snapshots). Records the first
 * application. `nodeTerm` is the applier's term when it applied.
 */
export function checkApply(
  s: SafetyState,
  node: NodeId,
  nodeTerm: number,
  applied: { readonly index: number; readonly term: number; readonly digest: number; readonly chain: number },
  tick: number,
): void {
  const { index, term, digest, chain } = applied;
  const rec = s.applied[index];
  if (rec === undefined) {
    s.applied[index] = { term, digest, chain, node, tick, minTermAtApply: nodeTerm };
    if (index > s.appliedMax) s.appliedMax = index;
    return;
  }
  if (rec.term !== term || rec.digest !== digest) {
    throw new CheckFailure(
      'stateMachineSafety',
      `n${node} applied index ${index} term ${term} (digest ${hex(digest)}), ` +
        `but n${rec.node} applied term ${rec.term} (digest ${hex(rec.digest)}) there at t=${rec.tick}`,
    );
  }
  if (rec.chain !== chain) {
    throw new CheckFailure(
      'stateMachineSafety',
      `n${node} applied the same entry at ${index} as n${rec.node}, but on a different history ` +
        `(state ${hex(chain)} vs ${hex(rec.chain)}): an earlier entry or snapshot differed`,
    );
  }
  if (nodeTerm < rec.minTermAtApply) rec.minTermAtApply = nodeTerm;
}

/**
 * Leader completeness (Raft §5.4): a new leader of `term` holds every entry
 * committed in a lower term. Entries its snapshot covers are vouched for by
 * the state machine chain instead.
 */
export function checkLeaderCompleteness(s: SafetyState, node: NodeId, term: number, log: MemoryStorage): void {
  const from = log.firstIndex();
  const last = log.lastIndex();
  for (let i = from; i <= s.appliedMax; i++) {
    const rec = s.applied[i];
    if (rec === undefined || rec.minTermAtApply >= term) continue;
    if (i > last) {
      throw new CheckFailure(
        'leaderCompleteness',
        `n${node} leads term ${term} with last index ${last}, missing index ${i} (term ${rec.term}) ` +
          `committed by term ${rec.minTermAtApply}`,
      );
    }
    const t = log.term(i);
    if (t !== rec.term) {
      throw new CheckFailure(
        'leaderCompleteness',
        `n${node} leads term ${term} holding term ${t} at index ${i}, but term ${rec.term} was committed there`,
      );
    }
  }
}

/**
 * What the core asks to persist never rolls back durable promises: the term
 * never decreases, a vote once cast in a term is never changed (Raft §5.2,
 * Figure 2), the commit index never decreases.
 */
export function checkHardStateTransition(node: NodeId, prev: HardState, next: HardState): void {
  if (next.term < prev.term) {
    throw new CheckFailure('committedDurability', `n${node} persisted term ${next.term} after ${prev.term}`);
  }
  if (next.term === prev.term && prev.vote !== NONE && next.vote !== prev.vote) {
    throw new CheckFailure(
      'electionSafety',
      `n${node} changed its vote in term ${next.term} from n${prev.vote} to n${next.vote}`,
    );
  }
  if (next.commit < prev.commit) {
    throw new CheckFailure('committedDurability', `n${node} persisted commit ${next.commit} after ${prev.commit}`);
  }
}

/** A restarted node finds on its disk exactly the hard state it last persisted. */
export function checkDiskKeptHardState(node: NodeId, persisted: HardState | undefined, onDisk: HardState): void {
  if (persisted === undefined) return;
  if (persisted.term !== onDisk.term || persisted.vote !== onDisk.vote || persisted.commit !== onDisk.commit) {
    throw new CheckFailure(
      'committedDurability',
      `n${node} restarts with term=${onDisk.term} vote=${onDisk.vote} commit=${onDisk.commit}, ` +
        `but it persisted term=${persisted.term} vote=${persisted.vote} commit=${persisted.commit}`,
    );
  }
}

/**
 * Nothing committed is ever lost: an append never rewrites an entry at or
 * below the node's persisted commit index, and no entry the node itself
 * calls committed differs from what the cluster applied there.
 */
export function checkAppendKeepsCommitted(
  s: SafetyState,
  node: NodeId,
  disk: MemoryStorage,
  entries: readonly Entry[],
  nextCommit: number,
): void {
  const committed = disk.hardState().commit;
  const first = disk.firstIndex();
  const held = disk.allEntries();
  for (const e of entries) {
    if (e.index <= committed && e.index >= first) {
      const old = held[e.index - first];
      if (old !== undefined && old !== e && !sameEntry(old, e)) {
        throw new CheckFailure(
          'committedDurability',
          `n${node} overwrote committed index ${e.index} (term ${old.term}) with term ${e.term}; commit ${committed}`,
        );
      }
    }
    if (e.index <= nextCommit) {
      const rec = s.applied[e.index];
      if (rec !== undefined && (rec.term !== e.term || rec.digest !== entryDigest(e))) {
        throw new CheckFailure(
          'committedDurability',
          `n${node} persisted index ${e.index} term ${e.term} as committed, but term ${rec.term} was applied there`,
        );
      }
    }
  }
}

/**
 * Log matching (Raft §5.3): if two logs hold an entry with the same index
 * and term, they are identical in all entries up through it. Checks the
 * newest LOG_MATCH_WINDOW_ENTRIES of the overlap.
 */
export function checkLogMatching(a: NodeId, da: MemoryStorage, b: NodeId, db: MemoryStorage): void {
  const lo = Math.max(da.firstIndex(), db.firstIndex());
  let i = Math.min(da.lastIndex(), db.lastIndex());
  while (i >= lo && da.term(i) !== db.term(i)) i--;
  const floor = Math.max(lo, i - LOG_MATCH_WINDOW_ENTRIES);
  const ea = da.allEntries();
  const eb = db.allEntries();
  const fa = da.firstIndex();
  const fb = db.firstIndex();
  const top = i;
  for (; i >= floor; i--) {
    const x = ea[i - fa];
    const y = eb[i - fb];
    if (x === undefined || y === undefined || (x !== y && !sameEntry(x, y))) {
      throw new CheckFailure(
        'logMatching',
        `n${a} and n${b} agree on index ${top} (term ${da.term(top)}) but differ at ${i}: ` +
          `term ${x?.term} vs ${y?.term}`,
      );
    }
  }
}

/** A linearizable read as the client saw it. */
export interface ReadRecord {
  readonly ctx: number;
  readonly node: NodeId;
  readonly startTick: number;
  /** Highest acknowledged write index (in the read's group) when the read was issued. */
  readonly mustSeeIndex: number;
}

/**
 * Linearizable reads (Raft dissertation §6.4): a read observes every write
 * acknowledged before it started, so the state it is answered from (the
 * replica's state machine once its read barrier resolved) has applied at
 * least the index of each such write.
 */
export function checkRead(read: ReadRecord, appliedAtAnswer: number, tick: number): void {
  if (appliedAtAnswer < read.mustSeeIndex) {
    throw new CheckFailure(
      'readLinearizability',
      `read ctx=${read.ctx} at n${read.node} (issued t=${read.startTick}) answered at t=${tick} from applied ${appliedAtAnswer}, ` +
        `but a write at index ${read.mustSeeIndex} was acknowledged before it started`,
    );
  }
}

function sameEntry(x: Entry, y: Entry): boolean {
  return x.index === y.index && x.term === y.term && x.type === y.type && entryDigest(x) === entryDigest(y);
}

function hex(x: number): string {
  return (x >>> 0).toString(16).padStart(8, '0');
}
