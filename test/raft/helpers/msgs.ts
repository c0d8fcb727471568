import type { Message } from '../../../raft/messages.js';

/** The messages of one type, typed as that member of the union. */
export const ofType = <T extends Message['type']>(msgs: readonly Message[], type: T): Extract<Message, { type: T }>[] =>
  msgs.filter((m): m is Extract<Message, { type: T }> => m.type === type);

/** A compact view of a message for deepEqual: "type from->to tN". */
export const brief = (m: Message): string => `${m.type} ${m.from}->${m.to} t${m.term}`;
