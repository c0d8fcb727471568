import { readFileSync, statSync } from 'node:fs';
import { ClusterSecret, CLUSTER_SECRET_BYTES_MAX } from '../net/peer-auth.js';

/**
 * Where a node's cluster_secret comes from: one of three config lines, at
 * most one per file.
 *
 *   cluster_secret WORD        the secret itself (the file is then a secret too)
 *   cluster_secret_file PATH   the file's contents, blanks and line ends trimmed
 *   cluster_secret_env VAR     the environment variable's value
 *
 * A relative PATH is taken from the process's working directory, as data_dir.
 */
export const SECRET_PARAMETERS = ['cluster_secret', 'cluster_secret_file', 'cluster_secret_env'] as const;
export type SecretParameter = (typeof SECRET_PARAMETERS)[number];

/** A secret file larger than this is not a secret file (a wrong path, most likely). */
export const SECRET_FILE_BYTES_MAX = 64 * 1024;

/** What resolving a secret may touch; the real file system and environment unless a test says otherwise. */
export interface SecretSources {
  readonly readFile: (path: string) => Buffer;
  readonly fileBytes: (path: string) => number;
  readonly env: (name: string) => string | undefined;
}

export const PROCESS_SECRET_SOURCES: SecretSources = {
  readFile: (path) => readFileSync(path),
  fileBytes: (path) => statSync(path).size,
  env: (name) => process.env[name],
};

/** Why a secret cannot be had; the config parser turns it into a ConfigError naming file and line. */
export class SecretProblem extends Error {
  override readonly name = 'SecretProblem';
  constructor(
    readonly code: 'BAD_VALUE' | 'SECRET_UNAVAILABLE',
    readonly reason: string,
  ) {
    super(reason);
  }
}

export function isSecretParameter(name: string): name is SecretParameter {
  return (SECRET_PARAMETERS as readonly string[]).includes(name);
}

/** The secret one config line names. Throws SecretProblem. */
export function resolveClusterSecret(parameter: SecretParameter, value: string, sources: SecretSources = PROCESS_SECRET_SOURCES): ClusterSecret {
  switch (parameter) {
    case 'cluster_secret':
      return fromBytes(Buffer.from(value, 'utf8'), 'cluster_secret');
    case 'cluster_secret_file':
      return secretFromFile(value, sources);
    case 'cluster_secret_env':
      return secretFromEnv(value, sources);
  }
}

/** The trimmed contents of a secret file. Throws SecretProblem when unreadable, too large or empty. */
export function secretFromFile(path: string, sources: SecretSources = PROCESS_SECRET_SOURCES): ClusterSecret {
  let bytes: Buffer;
  try {
    const size = sources.fileBytes(path);
    if (size > SECRET_FILE_BYTES_MAX) throw new SecretProblem('SECRET_UNAVAILABLE', `cluster_secret_file ${path} is ${size} bytes, more than ${SECRET_FILE_BYTES_MAX}: not a secret file`);
    bytes = sources.readFile(path);
  } catch (err) {
    if (err instanceof SecretProblem) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new SecretProblem('SECRET_UNAVAILABLE', `cannot read cluster_secret_file ${path} (${code})`);
  }
  const trimmed = trimBlanks(bytes);
  if (trimmed.length === 0) throw new SecretProblem('SECRET_UNAVAILABLE', `cluster_secret_file ${path} is empty`);
  return fromBytes(trimmed, `cluster_secret_file ${path}`);
}

/** The value of an environment variable. Throws SecretProblem when the name is malformed, or it is unset or blank. */
export function secretFromEnv(name: string, sources: SecretSources = PROCESS_SECRET_SOURCES): ClusterSecret {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(name)) {
    throw new SecretProblem('BAD_VALUE', `cluster_secret_env needs an environment variable name ([A-Za-z_][A-Za-z0-9_]*), got "${name.slice(0, 64)}"`);
  }
  const value = sources.env(name);
  if (value === undefined) throw new SecretProblem('SECRET_UNAVAILABLE', `cluster_secret_env ${name}: the environment variable is not set`);
  const trimmed = trimBlanks(Buffer.from(value, 'utf8'));
  if (trimmed.length === 0) throw new SecretProblem('SECRET_UNAVAILABLE', `cluster_secret_env ${name}: the environment variable is empty`);
  return fromBytes(trimmed, `cluster_secret_env ${name}`);
}

function fromBytes(bytes: Buffer, what: string): ClusterSecret {
  if (bytes.length > CLUSTER_SECRET_BYTES_MAX) throw new SecretProblem('BAD_VALUE', `${what}: the secret is ${bytes.length} bytes, at most ${CLUSTER_SECRET_BYTES_MAX}`);
  return new ClusterSecret(bytes);
}

/** Cuts ASCII blanks (space, tab, CR, LF) from both ends, byte-wise: a binary secret file keeps its other bytes as they are. */
function trimBlanks(b: Buffer): Buffer {
  const blank = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
  let lo = 0;
  let hi = b.length;
  while (lo < hi && blank(b[lo]!)) lo++;
  while (hi > lo && blank(b[hi - 1]!)) hi--;
  return b.subarray(lo, hi);
}
