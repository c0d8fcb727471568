import type { Message } from '../../raft/messages.js';
import type { Entry, NodeId } from '../../raft/types.js';

/**
 * Checks that a Raft message from the network has the shape the core
 * expects. The core asserts its invariants and would crash on garbage, so
 * nothing reaches it unchecked: a peer speaking garbage is logged and ignored.
 * Returns the message, or the reason it is not one.
 */
type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isId = (v: unknown): v is NodeId => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;
const isIdList = (v: unknown): v is NodeId[] => Array.isArray(v) && v.every(isId);

function checkEntry(e: unknown): string | undefined {
  if (!isObj(e) || !isIndex(e['term']) || !isIndex(e['index'])) return 'entry without term/index';
  if (e['type'] === 'normal') return isBytes(e['data']) ? undefined : 'normal entry without data';
  if (e['type'] === 'conf') {
    const c = e['change'];
    if (!isObj(c) || !isId(c['nodeId'])) return 'conf entry without a change';
    if (c['type'] !== 'addLearner' && c['type'] !== 'promote' && c['type'] !== 'remove') return 'unknown conf change';
    if (c['context'] !== undefined && typeof c['context'] !== 'string') return 'bad conf context';
    return undefined;
  }
  return 'unknown entry type';
}

function checkSnapshot(s: unknown): string | undefined {
  if (!isObj(s) || !isBytes(s['data']) || !isObj(s['meta'])) return 'snapshot without meta/data';
  const m = s['meta'];
  if (!isIndex(m['index']) || !isIndex(m['term']) || !isObj(m['conf'])) return 'bad snapshot meta';
  const conf = m['conf'];
  if (!isIdList(conf['voters']) || !isIdList(conf['learners'])) return 'bad snapshot conf';
  return undefined;
}

const NUMERIC_FIELDS: Record<Message['type'], readonly string[]> = {
  preVote: ['lastLogIndex', 'lastLogTerm'],
  vote: ['lastLogIndex', 'lastLogTerm'],
  voteResp: [],
  preVoteResp: [],
  app: ['prevLogIndex', 'prevLogTerm', 'commit'],
  appResp: ['index', 'hintIndex', 'hintTerm'],
  heartbeat: ['commit', 'readRound'],
  heartbeatResp: ['readRound'],
  snap: [],
  timeoutNow: [],
};

export function checkRaftMessage(raw: unknown, from: NodeId, self: NodeId): Message | string {
  if (!isObj(raw)) return 'not an object';
  const type = raw['type'];
  if (typeof type !== 'string' || !Object.hasOwn(NUMERIC_FIELDS, type)) return `unknown type ${JSON.stringify(type)}`;
  if (raw['from'] !== from) return `claims to be from ${String(raw['from'])} on ${from}'s connection`;
  if (raw['to'] !== self) return `addressed to ${String(raw['to'])}`;
  if (!isIndex(raw['term'])) return 'bad term';
  for (const f of NUMERIC_FIELDS[type as Message['type']]) if (!isIndex(raw[f])) return `bad ${f}`;
  switch (type) {
    case 'vote':
      if (typeof raw['transfer'] !== 'boolean') return 'bad transfer flag';
      break;
    case 'voteResp':
    case 'preVoteResp':
      if (typeof raw['reject'] !== 'boolean') return 'bad reject flag';
      break;
    case 'appResp':
      if (typeof raw['reject'] !== 'boolean') return 'bad reject flag';
      break;
    case 'app': {
      const ents = raw['entries'];
      if (!Array.isArray(ents)) return 'entries missing';
      for (let k = 0; k < ents.length; k++) {
        const problem = checkEntry(ents[k]);
        if (problem !== undefined) return problem;
        if ((ents[k] as Entry).index !== (raw['prevLogIndex'] as number) + 1 + k) return 'entries not contiguous';
      }
      break;
    }
    case 'snap': {
      const problem = checkSnapshot(raw['snapshot']);
      if (problem !== undefined) return problem;
      break;
    }
    default:
      break;
  }
  return raw as unknown as Message;
}
