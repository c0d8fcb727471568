/**
 * Redis-style INFO text: `# Section` headers, `field:value` lines, CRLF
 * line ends, a blank line between sections (Redis src/server.c
 * genRedisInfoString). Clients read two fields: redis-cli `redis_version`,
 * ioredis `loading`.
 */

export type InfoValue = string | number;

export interface InfoSection {
  /** As printed in the header, e.g. `Server`; matched case-insensitively. */
  readonly name: string;
  /** Computed when asked for, so INFO costs nothing until someone asks. */
  readonly fields: () => ReadonlyArray<readonly [string, InfoValue]>;
}

/** `INFO`, `INFO default|all|everything`: every section; else the sections named (unknown names add nothing, as in Redis). */
export function infoText(sections: readonly InfoSection[], asked: readonly string[]): string {
  const wanted = asked.map((a) => a.toLowerCase());
  const all = wanted.length === 0 || wanted.some((w) => w === 'default' || w === 'all' || w === 'everything');
  const chosen = all ? sections : sections.filter((s) => wanted.includes(s.name.toLowerCase()));
  return chosen.map((s) => `# ${s.name}\r\n${s.fields().map(([k, v]) => `${k}:${clean(v)}\r\n`).join('')}`).join('\r\n');
}

/** A value never breaks a line (nor a `key:value` pair). */
function clean(v: InfoValue): string {
  return String(v).replace(/[\r\n]/g, ' ');
}
