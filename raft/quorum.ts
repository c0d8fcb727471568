import type { NodeId } from './types.js';

export function majority(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

/**
 * The highest index replicated on a majority of voters (Raft §5.3): the
 * majority()-th largest match. 0 when there are no voters.
 */
export function quorumMatchIndex(voters: readonly NodeId[], matchOf: (id: NodeId) => number): number {
  if (voters.length === 0) return 0;
  const matches = voters.map(matchOf).sort((a, b) => b - a);
  return matches[majority(voters.length) - 1] ?? 0;
}

export type VoteResult = 'won' | 'lost' | 'pending';

/** Tallies granted (true) and rejected (false) votes among voters only. */
export function voteResult(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  const q = majority(voters.length);
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === true) granted++;
    else if (v === false) rejected++;
  }
  if (granted >= q) return 'won';
  if (voters.length - rejected < q) return 'lost';
  return 'pending';
}
