import type fc from 'fast-check';

/**
 * One module under hostile input: how to make inputs (random, and mutated
 * valid ones) and the properties every input must satisfy. `check` throws a
 * FuzzViolation naming the broken property; fast-check then shrinks the
 * input and reports its seed and path, which replay it exactly.
 */
export interface FuzzTarget<T> {
  readonly name: string;
  /** What the target covers, one line, for the campaign's report. */
  readonly about: string;
  readonly arbitrary: fc.Arbitrary<T>;
  check(input: T): void;
}

/** A broken property: a bug in the module, not in the input. */
export class FuzzViolation extends Error {
  override readonly name = 'FuzzViolation';
}

export function violation(what: string): never {
  throw new FuzzViolation(what);
}

/** Cuts `bytes` at the given positions (any order, repeats and out-of-range values tolerated). */
export function cutAt(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % (bytes.length + 1))))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const c of at) {
    out.push(bytes.subarray(from, c));
    from = c;
  }
  out.push(bytes.subarray(from));
  return out;
}

/** Streaming inputs up to this long are also fed split at each single byte position (quadratic work). */
export const EVERY_SPLIT_BYTES_MAX = 64;

/**
 * The chunkings every streaming input is fed in besides whole: the random
 * cuts that came with it, one byte at a time, and (for inputs up to
 * `everySplitBytesMax`) each single split point.
 */
export function chunkings(bytes: Buffer, cuts: readonly number[], everySplitBytesMax: number): Buffer[][] {
  const out: Buffer[][] = [cutAt(bytes, cuts)];
  const bytewise: Buffer[] = [];
  for (let i = 0; i < bytes.length; i++) bytewise.push(bytes.subarray(i, i + 1));
  out.push(bytewise);
  if (bytes.length <= everySplitBytesMax) {
    for (let i = 1; i < bytes.length; i++) out.push([bytes.subarray(0, i), bytes.subarray(i)]);
  }
  return out;
}

/** A short printable rendering of bytes for failure messages. */
export function show(bytes: Buffer, max = 160): string {
  const s = JSON.stringify(bytes.subarray(0, max).toString('latin1'));
  return bytes.length > max ? `${s}... (${bytes.length} bytes)` : s;
}
