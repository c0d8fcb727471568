import type { KvAnswer, KvOp, KvService, KvSession } from './kv-service.js';

/** Maps a key to the Raft group that owns it (src/sharding: slot, then slot range). */
export interface KeyRouter {
  groupOf(key: Uint8Array): number;
}

/** A command that would touch several groups, refused until cross-group transactions exist. */
export class CrossGroupError extends Error {
  override readonly name = 'CrossGroupError';
  readonly code = 'CROSS_GROUP';
  constructor(readonly groups: readonly number[]) {
    super(`the keys fall in groups ${groups.join(', ')}; a command over several groups is refused rather than applied in part`);
  }
}

/**
 * The front door's KV service over several groups: each command goes to the
 * service of its key's group. The same code routes in the coordinator (each
 * group's service forwards to that group's leader) and in a multi-group
 * Raft peer (each group's service is its local replica).
 * Invariant: a command is executed by exactly one group's service, whole.
 */
export class RoutedKv implements KvService {
  constructor(
    private readonly router: KeyRouter,
    private readonly groups: ReadonlyMap<number, KvService>,
  ) {}

  openSession(): KvSession {
    const sessions = new Map<number, KvSession>();
    const sessionOf = (g: number): KvSession => {
      let s = sessions.get(g);
      if (s === undefined) {
        const service = this.groups.get(g);
        if (service === undefined) throw new Error(`routed kv: no service for group ${g}`);
        s = service.openSession();
        sessions.set(g, s);
      }
      return s;
    };
    return {
      execute: (op: KvOp): Promise<KvAnswer> => {
        try {
          return sessionOf(this.groupOfOp(op)).execute(op);
        } catch (err) {
          return Promise.reject(err);
        }
      },
      close: () => {
        for (const s of sessions.values()) s.close();
        sessions.clear();
      },
    };
  }

  private groupOfOp(op: KvOp): number {
    if (op.type !== 'del') return this.router.groupOf(op.key);
    const first = this.router.groupOf(op.keys[0]!);
    let several: Set<number> | undefined;
    for (let k = 1; k < op.keys.length; k++) {
      const g = this.router.groupOf(op.keys[k]!);
      if (g !== first) (several ??= new Set([first])).add(g);
    }
    if (several !== undefined) throw new CrossGroupError([...several].sort((a, b) => a - b));
    return first;
  }
}
