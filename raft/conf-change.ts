import { assertNever } from './assert.js';
import type { ConfChange, ConfState, NodeId } from './types.js';

const sorted = (ids: readonly NodeId[]): NodeId[] => [...ids].sort((a, b) => a - b);

export function isVoter(conf: ConfState, id: NodeId): boolean {
  return conf.voters.includes(id);
}

export function isMember(conf: ConfState, id: NodeId): boolean {
  return conf.voters.includes(id) || conf.learners.includes(id);
}

/** Why `cc` cannot apply to `conf`, or undefined when it can. */
export function confChangeProblem(conf: ConfState, cc: ConfChange): string | undefined {
  if (!Number.isInteger(cc.nodeId) || cc.nodeId <= 0) return `bad node id ${cc.nodeId}`;
  switch (cc.type) {
    case 'addLearner':
      return isMember(conf, cc.nodeId) ? `node ${cc.nodeId} is already a member` : undefined;
    case 'promote':
      return conf.learners.includes(cc.nodeId) ? undefined : `node ${cc.nodeId} is not a learner`;
    case 'remove':
      if (!isMember(conf, cc.nodeId)) return `node ${cc.nodeId} is not a member`;
      if (conf.voters.length === 1 && conf.voters[0] === cc.nodeId) return 'cannot remove the last voter';
      return undefined;
    default:
      return assertNever(cc, 'conf change');
  }
}

/**
 * The membership after `cc`. A change that no longer applies (already done)
 * leaves the membership as it is: entries are applied once per log, but a
 * snapshot may already include a change its log suffix repeats.
 */
export function applyConfChange(conf: ConfState, cc: ConfChange): ConfState {
  if (confChangeProblem(conf, cc) !== undefined) return conf;
  const id = cc.nodeId;
  switch (cc.type) {
    case 'addLearner':
      return { voters: conf.voters, learners: sorted([...conf.learners, id]) };
    case 'promote':
      return { voters: sorted([...conf.voters, id]), learners: conf.learners.filter((x) => x !== id) };
    case 'remove':
      return { voters: conf.voters.filter((x) => x !== id), learners: conf.learners.filter((x) => x !== id) };
    default:
      return assertNever(cc, 'conf change');
  }
}
