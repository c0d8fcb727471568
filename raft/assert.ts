/**
 * Always-on assertions. A broken invariant is a programmer error: it crashes
 * with a message naming what was expected, never continues with bad state.
 */
export class InvariantError extends Error {
  override readonly name = 'InvariantError';
}

export function assert(cond: unknown, message: string | (() => string)): asserts cond {
  if (!cond) {
    throw new InvariantError(typeof message === 'string' ? message : message());
  }
}

/** Closes exhaustive switches over discriminated unions. */
export function assertNever(value: never, what = 'value'): never {
  throw new InvariantError(`unexpected ${what}: ${JSON.stringify(value)}`);
}
