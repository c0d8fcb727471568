import type { Message } from '../../../raft/messages.js';

/** The member(s) of the message union whose `type` may be T (voteResp and preVoteResp share one). */
export type MsgOf<T extends Message['type']> = Message extends infer M ? (M extends Message ? (T extends M['type'] ? M : never) : never) : never;

/** The messages of one type, typed as that member of the union. */
export const ofType = <T extends Message['type']>(msgs: readonly Message[], type: T): MsgOf<T>[] =>
  msgs.filter((m): m is MsgOf<T> => m.type === type);

/** A compact view of a message for deepEqual: "type from->to tN". */
export const brief = (m: Message): string => `${m.type} ${m.from}->${m.to} t${m.term}`;
